"""The PifPaf learning proof, measured over seeds: posekit.zoo.pifpaf.CPU_PRESET (the CPU-sized
ShuffleNetV2K PifPaf) trained from scratch for a fixed number of steps on the synthetic 3-8-person
scenes of posekit.zoo.learning_paf, COCO AP of the people its CIF-CAF decoder finds in the same
held-out scenes as the OpenPose proof, per seed, with the untrained network beside it.

One torch thread per run; ``--jobs`` runs seeds in parallel processes. Writes
bench/results/learning_pifpaf.json (``--out``): each seed's row (AP, AP50, AR, untrained AP, wall and
CPU minutes), AP's mean, min, max and spread, and the AP of the held-out scenes' own ground-truth
fields (the ceiling). tests/bottomup/test_learning_pifpaf.py's slow bar is set from the minimum.

    python bench/learning_pifpaf.py [--seeds 0 1 2] [--steps 1500] [--jobs 1]
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

    from posekit.zoo.pifpaf import proof_run

    torch.set_num_threads(1)
    seed, steps = args
    return proof_run(seed, steps)


def main() -> None:
    from posekit.fileio import write_json
    from posekit.zoo.learning_paf import proof_summary, report_seeds
    from posekit.zoo.pifpaf import CPU_PRESET, PROOF_STEPS, ground_truth_ap

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=PROOF_STEPS)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_pifpaf.json"))
    a = p.parse_args()
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(_run, [(s, a.steps) for s in a.seeds]))
    summary = proof_summary(CPU_PRESET, rows, a.steps, a.jobs, ground_truth_fields_AP=round(ground_truth_ap(), 4))
    write_json(a.out, summary, indent=True)
    report_seeds(summary, a.out)


if __name__ == "__main__":
    main()
