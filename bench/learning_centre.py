"""The human-centre regression learning proofs, measured over seeds: DEKR's and SPM's CPU presets
(posekit.zoo.learning_centre) trained from scratch for fixed steps on synthetic 3-8-person scenes, COCO AP
of the people they decode in the same held-out scenes, per seed, with the untrained network beside it.

One torch thread per run; ``--jobs`` runs them in parallel processes. Writes
bench/results/learning_centre.json (``--out``): per preset its steps, each seed's row (AP, AP50, AR,
untrained AP, wall and CPU minutes) and AP's mean, min, max. tests/bottomup/test_dekr_learning.py's slow
bars are set from the minimum.

    python bench/learning_centre.py [--presets dekr-small-160x160 spm-small-160x160] [--seeds 0 1 2] [--jobs 1]
"""
from __future__ import annotations

import argparse
import platform
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run(args: tuple[str, int, int | None]) -> dict:
    import torch

    from posekit.zoo.learning_centre import proof_run

    torch.set_num_threads(1)
    preset, seed, steps = args
    return proof_run(preset, seed, steps)


def main() -> None:
    import numpy as np

    from posekit.fileio import read_json, write_json
    from posekit.zoo.learning_centre import STEPS
    from posekit.zoo.learning_paf import SCENES, SIZE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="+", default=sorted(STEPS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=None, help="override every preset's steps")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning_centre.json"))
    a = p.parse_args()
    jobs = [(preset, s, a.steps) for preset in a.presets for s in a.seeds]
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(_run, jobs))
    out = Path(a.out)
    summary = read_json(out) if out.exists() else {}
    summary.update({"input": list(SIZE), "scenes": SCENES, "machine": platform.processor() or platform.machine(),
                    "parallel_jobs": a.jobs})
    for preset in a.presets:
        mine = [r for r in rows if r["preset"] == preset]
        ap = np.array([r["AP"] for r in mine])
        summary[preset] = {"steps": mine[0]["steps"], "seeds": a.seeds,
                           "AP": {"mean": round(float(ap.mean()), 4), "min": round(float(ap.min()), 4),
                                  "max": round(float(ap.max()), 4)},
                           "cpu_minutes_max": round(max(r["cpu_minutes"] for r in mine), 2), "runs": mine}
        for r in mine:
            print(f"{preset} seed {r['seed']}: AP {r['AP']:.4f} (untrained {r['untrained_AP']:.4f}), "
                  f"AP50 {r['AP50']:.4f}, {r['cpu_minutes']:.1f} CPU min")
    write_json(out, summary, indent=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
