"""The multi-task proof, measured (issue 16, section 3): does a person-segmentation head trained
beside the keypoint head help the keypoints at the same budget? One preset trained from scratch on
2400 synthetic crops with their generator masks (seed 1), scored on 300 held-out crops (seed 4):
single-task (the keypoint loss alone), fixed weighting (L_k + w L_s) and Kendall et al.'s
uncertainty weighting (posekit.topdown.multitask), the same steps, batch and seed, three seeds,
one torch thread. The gain of each multi-task row over single-task is reported against the spread
(max - min over the seeds; the larger of the two rows'). Writes the JSON after every run.

    python bench/multitask_synthetic.py [--preset hourglass-2stack-128x96] [--size 64x64] [--steps 300]
        [--seeds 0 1 2] [--seg-weight 0.01] [--out bench/results/multitask_synthetic.json]
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from posekit.fileio import write_json  # noqa: E402
from posekit.zoo.learning_multitask import MODES, learn_multitask  # noqa: E402
from posekit.zoo.learning_proof import synthetic_instances  # noqa: E402
from posekit.zoo.seed_summary import summarise_seeds  # noqa: E402

KEYS = ("PCK@0.1", "PCK@0.2", "AP")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="hourglass-2stack-128x96")
    ap.add_argument("--size", default="64x64", help="crop W x H")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--seg-weight", type=float, default=0.01, help="w of the fixed weighting")
    ap.add_argument("--train", type=int, default=2400, help="training crops")
    ap.add_argument("--out", default=str(ROOT / "bench/results/multitask_synthetic.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    train = synthetic_instances(args.train, size, seed=1, masks=True)
    held_out = synthetic_instances(300, size, seed=4, masks=True)
    command = ("python bench/multitask_synthetic.py " + " ".join(sys.argv[1:])).strip()
    runs: list[dict] = []
    for seed in args.seeds:
        for mode in MODES:
            row = learn_multitask(args.preset, args.steps, train, held_out, mode, seed, args.seg_weight,
                                  model_args={"input_size": size}, log_every=10**6)
            runs.append(row)
            extra = f"  seg IoU {row['seg_IoU']:.3f}" if "seg_IoU" in row else ""
            print(f"seed {seed} {mode:<12} " + "  ".join(f"{k} {row[k]:.4f}" for k in KEYS) + extra, flush=True)
            write_json(args.out, {"command": command, "preset": args.preset, "size": list(size), "steps": args.steps,
                                  "seg_weight": args.seg_weight, "train_crops": args.train, "held_out_crops": 300,
                                  "machine": f"{platform.machine()}, 1 torch thread", "runs": runs,
                                  "summary": summarise_seeds(runs, "mode", MODES, "single-task", KEYS)}, indent=True)
    summary = summarise_seeds(runs, "mode", MODES, "single-task", KEYS)
    print(f"\n{'mode':<14}" + "".join(f"{k:>24}" for k in KEYS))
    for mode in MODES:
        s = summary[mode]
        print(f"{mode:<14}" + "".join(f"{s[k]['mean']:>10.4f} ({s[k]['min']:.3f}-{s[k]['max']:.3f})" for k in KEYS))
    for mode in MODES[1:]:
        s = summary[mode]
        print(f"{mode}: gain " + ", ".join(f"{k} {s['gain_' + k]:+.4f} (spread {s['spread_' + k]:.4f})" for k in KEYS))


if __name__ == "__main__":
    main()
