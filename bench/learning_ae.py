"""The associative-embedding learning proof, measured over seeds: posekit.zoo.associative_embedding.CPU_PRESET
(the CPU-sized HigherHRNet) trained from scratch for a fixed number of steps on synthetic 3-8-person
scenes (posekit.zoo.learning_paf's), COCO AP of its tag-grouped people on the same held-out scenes, per
seed, with the untrained network beside it.

One torch thread per run; ``--jobs`` runs seeds in parallel processes. Writes
bench/results/learning_ae.json (``--out``): each seed's row and AP's mean, min, max and spread.
tests/bottomup/test_ae_learning.py's slow bar is set from the minimum.

    python bench/learning_ae.py [--seeds 0 1 2] [--steps 900] [--jobs 3] [--preset higherhrnet-small-160x160]
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run(args: tuple[int, int, str]) -> dict:
    import torch

    from posekit.zoo.associative_embedding import proof_run

    torch.set_num_threads(1)
    seed, steps, preset = args
    return proof_run(seed, steps, preset)


def main() -> None:
    from posekit.fileio import write_json
    from posekit.zoo.associative_embedding import CPU_PRESET, PROOF_STEPS
    from posekit.zoo.learning_paf import proof_summary, report_seeds

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=PROOF_STEPS)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--preset", default=CPU_PRESET)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_ae.json"))
    a = p.parse_args()
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(_run, [(s, a.steps, a.preset) for s in a.seeds]))
    summary = proof_summary(a.preset, rows, a.steps, a.jobs)
    write_json(a.out, summary, indent=True)
    report_seeds(summary, a.out)


if __name__ == "__main__":
    main()
