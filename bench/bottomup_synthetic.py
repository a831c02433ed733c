"""Every bottom-up family and two top-down families on the same synthetic scenes, budget and seed
(posekit.zoo.scene_comparison): AP on held-out scenes (3-8 people) and on crowded ones (8-15),
ms per image at 1 and 15 people, parameters, training CPU minutes.

The bottom-up presets are every CPU-sized one in the zoo (input <= 256); the top-down ones run
behind the ground-truth boxes (an oracle detector). One torch thread per run; ``--jobs`` runs
presets in parallel processes (their ms figures are then measured under load: for timings, run
``--jobs 1`` on an idle machine). Writes bench/results/bottomup_synthetic.json and prints a
Markdown table (docs/bottomup.md holds it).

    python bench/bottomup_synthetic.py [--steps 1500] [--seed 0] [--jobs 1] [--presets NAME ...]
"""
from __future__ import annotations

import argparse
import platform
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOPDOWN = ("simplebaseline-r18-128x96", "simcc-r18-128x96")


def _run(args: tuple[str, int, int]) -> dict:
    import torch

    from posekit.zoo.scene_comparison import compare_preset

    torch.set_num_threads(1)
    preset, steps, seed = args
    return compare_preset(preset, steps, seed)


def table(rows: list[dict]) -> str:
    lines = ["| preset | family | AP | AP crowded | ms, 1 person | ms, 15 people | params (M) | train CPU min |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['preset']} | {r['family']} | {r['AP']:.3f} | {r['AP_crowded']:.3f} | "
                     f"{r['ms_1_people']:.1f} | {r['ms_15_people']:.1f} ({r['people_in_15_scene']} people) | "
                     f"{r['params_m']:.2f} | {r['train_cpu_minutes']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    from posekit.fileio import write_json
    from posekit.zoo import PRESETS

    bottom_up = sorted(n for n, p in PRESETS.items() if p.family == "bottom-up" and max(p.input_size) <= 256)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--presets", nargs="+", default=[*bottom_up, *TOPDOWN])
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "bottomup_synthetic.json"))
    a = p.parse_args()
    runs = [(n, a.steps, a.seed) for n in a.presets]
    rows: list[dict] = []

    def save() -> None:  # after every preset: a long run stopped part-way keeps what it measured
        write_json(a.out, {"steps": a.steps, "seed": a.seed, "batch_size": 8, "parallel_jobs": a.jobs,
                           "machine": platform.processor() or platform.machine(), "rows": rows}, indent=True)

    if a.jobs == 1:
        for r in runs:
            rows.append(_run(r))
            save()
    else:
        with ProcessPoolExecutor(a.jobs) as pool:
            for row in pool.map(_run, runs):
                rows.append(row)
                save()
    print(table(rows))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
