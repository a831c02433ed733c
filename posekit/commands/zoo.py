"""``posekit zoo list [--json]``: every preset with its survey section, paper, input size, size and
cost measured here, the published COCO AP with its source, and what posekit's learning test reached."""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list",))
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    p.add_argument("--section", help="only presets whose survey section contains this text (e.g. regression)")


def zoo_rows(section: str | None = None) -> list[dict]:
    """One row per preset; parameters and GFLOPs (multiply-adds) measured on the meta device."""
    from ..models.complexity import measure_builder
    from ..zoo import PRESETS

    rows = []
    for p in PRESETS.values():
        if section and section.lower() not in p.section.lower():
            continue
        params, macs = measure_builder(p.build, p.input_size)
        rows.append({"name": p.name, "section": p.section, "paper": p.paper,
                     "input": f"{p.input_size[0]}x{p.input_size[1]}", "params_m": round(params / 1e6, 2),
                     "gflops": round(macs / 1e9, 2), "published": p.published, "learned": p.learned})
    return rows


def run(args: argparse.Namespace) -> int:
    import json

    rows = zoo_rows(args.section)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    head = f"{'preset':34} {'section':27} {'input':>7} {'params':>8} {'GFLOPs':>7} {'pub. AP':>7} {'synth PCK@0.1':>13}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ap = r["published"].get("coco_val_ap")
        pck = r["learned"].get("pck@0.1")
        print(f"{r['name']:34} {r['section']:27} {r['input']:>7} {r['params_m']:>7.2f}M {r['gflops']:>7.2f} "
              f"{'' if ap is None else f'{ap:.1f}':>7} {'' if pck is None else f'{pck:.3f}':>13}")
    print("\nGFLOPs: multiply-adds per crop, counted here. pub. AP: COCO val2017 AP as the paper states it "
          "(`--json` gives each source). synth PCK@0.1: posekit's own learning test on synthetic people.")
    return 0
