"""The flow-fusion proof, measured (issue 17 §2, first method; Pfister et al. 2015, "Flowing
ConvNets"): does fusing the flow-warped heatmaps of a tube's neighbouring frames beat the same
per-frame network on its own, on held-out degraded synthetic videos? Per seed
(posekit.zoo.learning_flow_fusion): a SimpleBaseline-R18 is trained from scratch on the person crops
of every frame of 12 degraded training videos (blur, defocus, occlusion, camera), then frozen; the
1x1 fusion of its DIS-warped heatmaps over 5-frame tubes (2 frames apart) is trained on the tubes of
6 other videos. Scored on the centre frames of the held-out tubes (6 videos): single-frame, the plain average
of the warped heatmaps (the fusion before training) and the learned fusion; all tubes and the tubes
whose centre frame is degraded. One torch thread; a gain counts when it is larger than the spread
(max - min over the seeds, the larger of the two rows'). Writes the JSON after every seed.

    python bench/flow_fusion_synthetic.py [--steps 600] [--fusion-steps 300] [--size 64x96]
        [--seeds 0 1 2] [--out bench/results/flow_fusion_synthetic.json]
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
from posekit.zoo.learning_flow_fusion import learn_flow_fusion  # noqa: E402
from posekit.zoo.seed_summary import summarise_seeds  # noqa: E402

METHODS = ("single", "warped_mean", "fused")
KEYS = ("all_AP", "degraded_AP", "all_PCK@0.1", "degraded_PCK@0.1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=600, help="per-frame network training steps")
    ap.add_argument("--fusion-steps", type=int, default=300)
    ap.add_argument("--size", default="64x96", help="crop W x H")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default=str(ROOT / "bench/results/flow_fusion_synthetic.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    command = ("python bench/flow_fusion_synthetic.py " + " ".join(sys.argv[1:])).strip()
    seeds, runs = [], []
    for seed in args.seeds:
        row = learn_flow_fusion(seed, args.steps, input_size=size, fusion_steps=args.fusion_steps)
        seeds.append(row)
        runs += [{"method": m, "seed": seed, **{k: row[f"{m}_{k}"] for k in KEYS}} for m in METHODS]
        print(f"seed {seed}: " + "  ".join(f"{m} {row[m + '_degraded_AP']:.4f}/{row[m + '_all_AP']:.4f}"
                                           for m in METHODS) + f"  (degraded/all AP, {row['minutes']:.1f} min)",
              flush=True)
        summary = summarise_seeds(runs, "method", METHODS, "single", KEYS)
        write_json(args.out, {"command": command, "size": list(size), "steps": args.steps,
                              "fusion_steps": args.fusion_steps, "machine": f"{platform.machine()}, 1 torch thread",
                              "seeds": seeds, "runs": runs, "summary": summary}, indent=True)
    for m in METHODS[1:]:
        s = summary[m]
        print(f"{m} vs single: " + ", ".join(f"{k} {s['gain_' + k]:+.4f} (spread {s['spread_' + k]:.4f}, "
                                            f"{'beyond' if s['beats_base_' + k] else 'within'})" for k in KEYS))


if __name__ == "__main__":
    main()
