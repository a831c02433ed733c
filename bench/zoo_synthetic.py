"""The survey's comparison, measured: every family's CPU-sized preset trained from scratch on the
same synthetic people under the same time budget, then scored on the same held-out people.

Writes a Markdown table (PCK@0.1, PCK@0.2, OKS AP, parameters, ms per crop, steps) to
``--out`` (default bench/results/zoo_synthetic.md, which README includes) and the rows as JSON
beside it. Every model gets the same data, seed, optimiser (Adam 3e-3, batch 8, cosine fitted
to the budget, bf16 autocast) and minutes; nothing is tuned per family.

    python bench/zoo_synthetic.py [--minutes 3] [--presets NAME ...] [--train 12000] [--held-out 300]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posekit.fileio import atomic_write, write_json  # noqa: E402
from posekit.topdown.learning_proof import learn_synthetic, synthetic_instances  # noqa: E402
from posekit.zoo import PRESETS  # noqa: E402

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
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--presets", nargs="*", default=[p for p in FAMILIES if p in PRESETS])
    ap.add_argument("--train", type=int, default=12000, help="synthetic training crops (a pool shared by all)")
    ap.add_argument("--held-out", type=int, default=300)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "zoo_synthetic.md"))
    args = ap.parse_args()
    missing = [p for p in args.presets if p not in PRESETS]
    if missing:
        sys.exit(f"unknown presets: {missing}")
    t0 = time.time()
    train = synthetic_instances(args.train, (96, 128), seed=1)
    held_out = synthetic_instances(args.held_out, (96, 128), seed=2)
    print(f"{len(train)} training and {len(held_out)} held-out crops in {time.time() - t0:.0f} s", flush=True)
    rows = []
    for name in args.presets:
        row = learn_synthetic(name, args.minutes, train, held_out)
        row["family"] = FAMILIES.get(name, name)
        row["section"] = PRESETS[name].section
        rows.append(row)
        print(f"{name}: PCK@0.1 {row['PCK@0.1']:.3f}  AP {row['AP']:.3f}  {row['steps']} steps in "
              f"{row['minutes']:.2f} min  {row['ms_per_crop']:.2f} ms/crop", flush=True)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch CPU"
    lines = [f"Trained from scratch for {args.minutes:g} minutes each on the same {args.train} synthetic crops "
             f"(96x128), scored on {args.held_out} held-out crops; {machine}; "
             f"`python bench/zoo_synthetic.py --minutes {args.minutes:g}`.", "",
             "| family | preset | survey section | PCK@0.1 | PCK@0.2 | AP | params (M) | ms/crop | steps |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['family']} | `{r['preset']}` | {r['section']} | {r['PCK@0.1']:.3f} | {r['PCK@0.2']:.3f} | "
                     f"{r['AP']:.3f} | {r['params_m']:.2f} | {r['ms_per_crop']:.2f} | {r['steps']} |")
    out = Path(args.out)
    with atomic_write(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    write_json(out.with_suffix(".json"), rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
