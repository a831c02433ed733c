"""The distillation proof, measured: a CPU-sized student distilled (FPD, Zhang et al. 2019, alpha
0.5) from a trained teacher against the same student trained alone for the same steps, on the
same synthetic crops as bench/zoo_synthetic.py (2400 training crops of 96x128, seed 1; 300
held-out crops, seed 2), three seeds each, one torch thread.

The teacher (posekit.zoo.learning_distill.TEACHER) is trained once (seed 0, ``--teacher-steps``)
and cached under the system temp folder (``--cache``). Writes bench/results/distill_synthetic.json
after every run (an interrupted bench keeps what it measured): every run, and per mode the
PCK@0.1 / PCK@0.2 / AP mean, min, max and standard deviation over the seeds, and the margin
(distilled mean - alone mean) against the spread (the larger of the two modes' max - min).

    python bench/distill_synthetic.py [--steps 300] [--teacher-steps 300] [--seeds 0 1 2]
        [--student-channels 64] [--student-stacks 1] [--out JSON]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.fileio import read_json, write_json  # noqa: E402
from posekit.zoo.learning_distill import STUDENT, STUDENT_ARGS, TEACHER, learn_distilled, trained_teacher  # noqa: E402
from posekit.zoo.learning_proof import synthetic_instances  # noqa: E402

KEYS = ("PCK@0.1", "PCK@0.2", "AP")


def summarise(runs: list[dict]) -> dict:
    out: dict = {}
    for mode in ("alone", "distilled"):
        rows = [r for r in runs if r["mode"] == mode]
        if not rows:
            continue
        entry = {"seeds": [r["seed"] for r in rows]}
        for key in KEYS:
            v = np.array([r[key] for r in rows])
            entry[key] = {"mean": round(float(v.mean()), 4), "min": round(float(v.min()), 4),
                          "max": round(float(v.max()), 4), "std": round(float(v.std()), 4)}
        out[mode] = entry
    if len(out) == 2:
        a, d = out["alone"]["PCK@0.1"], out["distilled"]["PCK@0.1"]
        spread = max(a["max"] - a["min"], d["max"] - d["min"])
        out["margin_PCK@0.1"] = round(d["mean"] - a["mean"], 4)
        out["spread_PCK@0.1"] = round(spread, 4)
        out["distilled_beats_alone"] = bool(d["mean"] - a["mean"] > spread)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--teacher-steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--held-out", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--student-channels", type=int, default=STUDENT_ARGS["channels"])
    ap.add_argument("--student-stacks", type=int, default=STUDENT_ARGS["stacks"])
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "posekit-bench-distill"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "distill_synthetic.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    n_train = max(args.steps, args.teacher_steps) * 8
    train = synthetic_instances(n_train, (96, 128), seed=1)
    held_out = synthetic_instances(args.held_out, (96, 128), seed=2)
    teacher, teacher_row = trained_teacher(args.cache, args.teacher_steps, train, held_out, seed=0)
    print(f"teacher {TEACHER}: PCK@0.1 {teacher_row['PCK@0.1']:.3f} ({teacher_row['params_m']:.2f} M parameters, "
          f"{teacher_row['minutes']:.1f} min)", flush=True)
    out = Path(args.out)
    student_args = {"stacks": args.student_stacks, "channels": args.student_channels}
    settings = {"steps": args.steps, "teacher_steps": args.teacher_steps, "held_out": args.held_out,
                "train_crops": n_train, "student_args": student_args}
    runs = []
    if out.exists():
        old = read_json(out)
        if all(old.get(k) == v for k, v in settings.items()):
            runs = old["runs"]
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} torch thread(s)"
    for seed in args.seeds:
        for mode in ("alone", "distilled"):
            if any(r["seed"] == seed and r["mode"] == mode for r in runs):
                continue
            row = learn_distilled(args.steps, train, held_out, teacher if mode == "distilled" else None, seed=seed,
                                  student_args=student_args)
            runs.append(row)
            print(f"student {mode} seed {seed}: PCK@0.1 {row['PCK@0.1']:.4f}  PCK@0.2 {row['PCK@0.2']:.4f}  "
                  f"AP {row['AP']:.4f}  ({row['minutes']:.2f} min)", flush=True)
            write_json(out, {"command": f"python bench/distill_synthetic.py --steps {args.steps} "
                                        f"--teacher-steps {args.teacher_steps} --student-channels "
                                        f"{args.student_channels} --student-stacks {args.student_stacks}",
                             **settings, "machine": machine, "method": "FPD (Zhang et al. 2019), alpha 0.5",
                             "teacher": {"preset": TEACHER, **{k: teacher_row[k] for k in KEYS + ('params_m',)}},
                             "student": {"preset": STUDENT, "model_args": student_args,
                                         "params_m": row["params_m"]},
                             "summary": summarise(runs), "runs": runs,
                             "minutes": round((time.time() - t0) / 60, 2)}, indent=True)
    print(read_json(out)["summary"])


if __name__ == "__main__":
    main()
