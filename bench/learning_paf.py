"""The bottom-up learning proof, measured over seeds: posekit.zoo.learning_paf.PRESET (the CPU-sized
OpenPose) trained from scratch for a fixed number of steps on synthetic 3-8-person scenes, COCO AP
of its grouped people on the same held-out scenes, per seed, with the untrained network beside it.

One torch thread per run (the figures do not depend on the core count); ``--jobs`` runs seeds in
parallel processes. Writes bench/results/learning_paf.json (``--out``): each seed's row (AP, AP50,
AR, untrained AP, wall and CPU minutes) and AP's mean, min, max and spread. tests/bottomup/test_learning_paf.py's
slow bar is set from the minimum.

    python bench/learning_paf.py [--seeds 0 1 2] [--steps 2200] [--jobs 3]
    python bench/learning_paf.py --ceiling   # adds the AP of the ground-truth fields to the JSON
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run(args: tuple[int, int]) -> dict:
    import torch

    from posekit.zoo.learning_paf import proof_run

    torch.set_num_threads(1)
    seed, steps = args
    return proof_run(seed, steps)


def main() -> None:
    from posekit.fileio import write_json
    from posekit.zoo.learning_paf import PRESET, PROOF_AMP, STEPS, proof_summary, report_seeds

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_paf.json"))
    p.add_argument("--ceiling", action="store_true",
                   help="only decode the held-out scenes' ground-truth fields and add their AP to --out")
    a = p.parse_args()
    if a.ceiling:
        from posekit.fileio import read_json
        from posekit.zoo.learning_paf import ground_truth_ap

        summary = read_json(a.out)
        summary["ground_truth_fields_AP"] = round(ground_truth_ap(), 4)
        write_json(a.out, summary, indent=True)
        print(f"ground-truth fields AP {summary['ground_truth_fields_AP']:.4f}; wrote {a.out}")
        return
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(_run, [(s, a.steps) for s in a.seeds]))
    summary = proof_summary(PRESET, rows, a.steps, a.jobs, amp=PROOF_AMP)
    write_json(a.out, summary, indent=True)
    report_seeds(summary, a.out)


if __name__ == "__main__":
    main()
