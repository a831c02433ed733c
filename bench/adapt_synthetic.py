"""The domain-adaptation proof, measured (issue 16, section 5): a preset trained on clean synthetic
people (2400 crops, seed 1), then adapted without labels to the shifted target domain of
posekit.zoo.learning_adapt (low light + blur; ``--occlusion S`` adds occlusion at severity S) from
400 unlabelled target crops (seed 3), scored on 200 other target crops (seed 4), three seeds, one
torch thread. Rows per seed: the source model on clean test crops (what the shift costs), source
only, AdaBN, AdaBN + mean-teacher self-training. The gain of each over source-only is reported
against the spread (max - min over the seeds of each row; the larger of the two).

    python bench/adapt_synthetic.py [--preset hourglass-2stack-128x96] [--size 64x64] [--steps 300]
        [--adapt-steps 300] [--seeds 0 1 2] [--occlusion 0] [--out bench/results/adapt_synthetic.json]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.fileio import write_json  # noqa: E402
from posekit.zoo.learning_adapt import TARGET_SEVERITIES, learn_adaptation, shifted_instances  # noqa: E402
from posekit.zoo.learning_proof import synthetic_instances  # noqa: E402
from posekit.zoo.seed_summary import summarise_seeds  # noqa: E402

KEYS = ("PCK@0.1", "PCK@0.2", "AP")
METHODS = ("source-only, clean", "source-only", "adabn", "adabn+mean-teacher")


def summarise(runs: list[dict]) -> dict:
    return summarise_seeds(runs, "method", METHODS, "source-only", KEYS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="hourglass-2stack-128x96")
    ap.add_argument("--size", default="64x64", help="crop W x H")
    ap.add_argument("--steps", type=int, default=300, help="source training steps")
    ap.add_argument("--adapt-steps", type=int, default=300, help="mean-teacher steps")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--occlusion", type=int, default=0, help="occlusion severity of the target (0: none)")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", default=str(ROOT / "bench/results/adapt_synthetic.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    sev = {"occlusion": args.occlusion}
    source = synthetic_instances(2400, size, seed=1)
    target_train = shifted_instances(synthetic_instances(400, size, seed=3), 3, sev)
    target_test = shifted_instances(synthetic_instances(200, size, seed=4), 4, sev)
    clean_test = synthetic_instances(200, size, seed=4)
    runs: list[dict] = []
    command = "python bench/adapt_synthetic.py " + " ".join(sys.argv[1:])
    for seed in args.seeds:
        t0 = time.monotonic()
        rows = learn_adaptation(args.preset, args.steps, args.adapt_steps, source, target_train, target_test, seed,
                                model_args={"input_size": size}, threshold=args.threshold, clean_test=clean_test,
                                log_every=10**6)
        for r in rows:
            r["minutes"] = round((time.monotonic() - t0) / 60, 2)
            print(f"seed {seed} {r['method']:<20} " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS), flush=True)
        runs += rows
        write_json(args.out, {"command": command.strip(), "preset": args.preset, "size": list(size),
                              "steps": args.steps, "adapt_steps": args.adapt_steps,
                              "target": dict(TARGET_SEVERITIES, **sev), "threshold": args.threshold,
                              "machine": f"{platform.machine()}, 1 torch thread", "runs": runs,
                              "summary": summarise(runs)}, indent=True)
    summary = summarise(runs)
    print(f"\n{'method':<22}" + "".join(f"{k:>24}" for k in KEYS))
    for method in METHODS:
        if method in summary:
            s = summary[method]
            print(f"{method:<22}" + "".join(f"{s[k]['mean']:>10.4f} ({s[k]['min']:.3f}-{s[k]['max']:.3f})"
                                            for k in KEYS))
    for method in ("adabn", "adabn+mean-teacher"):
        if method in summary:
            s = summary[method]
            print(f"{method}: gain " + ", ".join(f"{k} {s['gain_' + k]:+.4f} (spread {s['spread_' + k]:.4f})"
                                                  for k in KEYS))


if __name__ == "__main__":
    main()
