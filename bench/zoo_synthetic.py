"""The survey's comparison, measured: every family's CPU-sized preset trained from scratch on the
same synthetic people for the same number of steps, then scored on the same held-out people,
over several seeds.

Fixed steps, not minutes, so the figures do not depend on the load of the (shared) machine;
one torch thread, so they do not depend on its core count either. Writes the rows as JSON
(``--out``, default bench/results/learning_zoo.json; rewritten after every run, so an
interrupted bench keeps what it measured) with, per preset, PCK@0.1's mean, min and max over the
seeds run, and a Markdown table beside it. ``tests/engine/test_learning_zoo.py`` sets its bars
from the minima; ``posekit.zoo``'s ``learned`` figures are checked against the means.
Every model gets the same data, optimiser (Adam 3e-3, batch 8, cosine over the steps, bf16
autocast) and steps; nothing is tuned per family.

    python bench/zoo_synthetic.py [--steps 300] [--seeds 0 1 2] [--presets NAME ...] [--held-out 300]
    python bench/zoo_synthetic.py --merge A.json B.json ...   # runs measured in parallel processes
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.fileio import atomic_write, read_json, write_json  # noqa: E402
from posekit.zoo import PRESETS  # noqa: E402
from posekit.zoo.learning_proof import learn_synthetic, mean_pose_scores, synthetic_instances  # noqa: E402

# one CPU-sized preset per family, in the survey's order
FAMILIES = {
    "simplebaseline-r18-128x96": "SimpleBaseline",
    "cpm-128x96": "CPM",
    "hourglass-2stack-128x96": "Stacked Hourglass",
    "cpn-r18-128x96": "CPN",
    "hrnet-w16-128x96": "HRNet",
    "deeppose-r18-128x96": "DeepPose",
    "integral-r18-128x96": "Integral regression",
    "rle-r18-128x96": "RLE",
    "simcc-r18-128x96": "SimCC",
    "litehrnet-18-128x96": "Lite-HRNet",
    "mobilenetv2-128x96": "MobileNetV2 + deconv",
    "shufflenetv2-128x96": "ShuffleNetV2 + deconv",
}


def summarise(runs: list[dict]) -> dict:
    """Per preset: the seeds run and PCK@0.1 / PCK@0.2 / AP mean, min and max over them."""
    out = {}
    for name in dict.fromkeys(r["preset"] for r in runs):
        rows = [r for r in runs if r["preset"] == name]
        entry = {"family": FAMILIES.get(name, name), "seeds": [r["seed"] for r in rows], "steps": rows[0]["steps"]}
        for key in ("PCK@0.1", "PCK@0.2", "AP"):
            v = np.array([r[key] for r in rows])
            entry[key] = {"mean": round(float(v.mean()), 4), "min": round(float(v.min()), 4),
                          "max": round(float(v.max()), 4)}
        out[name] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--presets", nargs="*", default=[p for p in FAMILIES if p in PRESETS])
    ap.add_argument("--held-out", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_zoo.json"))
    ap.add_argument("--merge", nargs="*", metavar="JSON", help="combine the runs of these files into --out; no training")
    args = ap.parse_args()
    if args.merge:
        parts = [read_json(p) for p in args.merge]
        runs = [r for part in parts for r in part["runs"]]
        order = {name: i for i, name in enumerate(FAMILIES)}
        runs.sort(key=lambda r: (r["seed"], order.get(r["preset"], 99)))
        first = parts[0]
        write(Path(args.out), runs, first["steps"], first["held_out"], first["machine"], first["mean_pose"],
              first["train_crops"] if "train_crops" in first else first["steps"] * 8)
        return
    torch.set_num_threads(args.threads)
    missing = [p for p in args.presets if p not in PRESETS]
    if missing:
        sys.exit(f"unknown presets: {missing}")
    out = Path(args.out)
    t0 = time.time()
    train = synthetic_instances(args.steps * 8, (96, 128), seed=1)   # every crop seen once
    held_out = synthetic_instances(args.held_out, (96, 128), seed=2)
    print(f"{len(train)} training and {len(held_out)} held-out crops in {time.time() - t0:.0f} s", flush=True)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} torch thread(s)"
    runs = []
    if out.exists():  # resume an interrupted bench of the same settings
        old = read_json(out)
        if old.get("steps") == args.steps and old.get("held_out") == args.held_out:
            runs = old["runs"]
    reference = mean_pose_scores(train, held_out, PRESETS[args.presets[0]].build().skeleton)
    for seed in args.seeds:          # seed-major: an interrupted bench has every family at least once
        for name in args.presets:
            if any(r["preset"] == name and r["seed"] == seed for r in runs):
                continue
            row = learn_synthetic(name, args.steps, train, held_out, seed=seed, untrained=True)
            runs.append(row)
            print(f"{name} seed {seed}: PCK@0.1 {row['PCK@0.1']:.3f} (untrained {row['untrained_PCK@0.1']:.3f})  "
                  f"AP {row['AP']:.3f}  {row['steps']} steps in {row['minutes']:.2f} min", flush=True)
            write(out, runs, args.steps, args.held_out, machine, reference, len(train))


def write(out: Path, runs: list[dict], steps: int, held_out: int, machine: str, reference: dict, n_train: int) -> None:
    """The JSON (settings, summary, every run) and the Markdown table beside it."""
    write_json(out, {"command": f"python bench/zoo_synthetic.py --steps {steps}", "steps": steps,
                     "held_out": held_out, "train_crops": n_train, "machine": machine, "mean_pose": reference,
                     "summary": summarise(runs), "runs": runs}, indent=True)
    summary = summarise(runs)
    lines = [f"Trained from scratch for {steps} steps (batch 8) on the same {n_train} synthetic crops "
             f"(96x128), scored on {held_out} held-out crops, seeds as listed; {machine}; "
             f"`python bench/zoo_synthetic.py --steps {steps}`. The mean training pose predicted for every "
             f"crop scores PCK@0.1 {reference['PCK@0.1']:.3f}.", "",
             "| family | preset | seeds | PCK@0.1 mean (min-max) | PCK@0.2 mean | AP mean |",
             "|---|---|---|---|---|---|"]
    for name, s in summary.items():
        p = s["PCK@0.1"]
        lines.append(f"| {s['family']} | `{name}` | {len(s['seeds'])} | {p['mean']:.3f} ({p['min']:.3f}-{p['max']:.3f}) "
                     f"| {s['PCK@0.2']['mean']:.3f} | {s['AP']['mean']:.3f} |")
    with atomic_write(out.with_suffix(".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
