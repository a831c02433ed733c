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
import platform
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
    import numpy as np

    from posekit.fileio import write_json
    from posekit.zoo.learning_paf import SCENES, SIZE
    from posekit.zoo.pifpaf import CPU_PRESET, PROOF_STEPS, ground_truth_ap

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=PROOF_STEPS)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_pifpaf.json"))
    a = p.parse_args()
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(_run, [(s, a.steps) for s in a.seeds]))
    ap = np.array([r["AP"] for r in rows])
    summary = {"preset": CPU_PRESET, "input": list(SIZE), "scenes": SCENES, "steps": a.steps, "seeds": a.seeds,
               "AP": {"mean": round(float(ap.mean()), 4), "min": round(float(ap.min()), 4),
                      "max": round(float(ap.max()), 4), "spread": round(float(ap.max() - ap.min()), 4)},
               "ground_truth_fields_AP": round(ground_truth_ap(), 4),
               "cpu_minutes_max": round(max(r["cpu_minutes"] for r in rows), 2), "parallel_jobs": a.jobs,
               "machine": platform.processor() or platform.machine(), "runs": rows}
    write_json(a.out, summary, indent=True)
    for r in rows:
        print(f"seed {r['seed']}: AP {r['AP']:.4f} (untrained {r['untrained_AP']:.4f}), AP50 {r['AP50']:.4f}, "
              f"{r['cpu_minutes']:.1f} CPU min")
    print(f"AP mean {ap.mean():.4f}, min {ap.min():.4f}, max {ap.max():.4f}; wrote {a.out}")


if __name__ == "__main__":
    main()
