"""Speed of COCO keypoint evaluation: posekit against pycocotools, faster-coco-eval and hotcoco.

Generates a realistic set with a fixed seed (N images, 1-12 people each, crowd
regions, people with no labelled keypoint, noisy detections with duplicates,
left/right swaps and false positives, at most 20 per image), then times, side by
side in one run:
  * whole processes: `posekit eval` against a pycocotools script, a
    faster-coco-eval script and a hotcoco (Rust) script, each reading the same two files (best of R runs,
    peak resident memory of each process);
  * in-process: load + evaluate + accumulate + summarize, imports excluded.
It prints the ratios and checks that the 10 statistics agree.

    python bench/eval_speed.py [--images 5000] [--repeat 3] [--out bench/results/eval_speed.json]

The figures, the machine's load average before and after, and the statistics' differences are
written to ``--out``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYCOCO = """
import sys, json, io, contextlib
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = COCOeval(gt, dt, 'keypoints'); E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps(list(E.stats)))
"""
FASTER = """
import sys, json, io, contextlib
from faster_coco_eval import COCO, COCOeval_faster
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = COCOeval_faster(gt, dt, 'keypoints'); E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps(list(E.stats)))
"""
HOTCOCO = """
import sys, json, io, contextlib
import hotcoco
with contextlib.redirect_stdout(io.StringIO()):
    gt = hotcoco.COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = hotcoco.COCOeval(gt, dt, 'keypoints'); E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps(list(E.stats)))
"""
POSEKIT = """
import sys, json
from posekit.evaluation import evaluate_coco
print(json.dumps(list(evaluate_coco(sys.argv[1], sys.argv[2]).stats)))
"""


def run_process(cmd: list[str]) -> tuple[float, float, list[float] | None]:
    """Wall seconds, peak RSS (MiB) of a child process, and the stats it printed (if any)."""
    code = ("import resource, subprocess, sys, time, json\n"
            "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "dt = time.perf_counter() - t\n"
            "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps([dt, rss, p.returncode, p.stdout, p.stderr]))\n")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True)
    dt, rss, rc, stdout, stderr = json.loads(out.stdout)
    if rc != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {stderr[-2000:]}")
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    stats = json.loads(last) if last.startswith("[") else None
    return dt, rss, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "eval_speed.json"))
    args = ap.parse_args()
    load_before = os.getloadavg()

    from posekit.evaluation.simulate import random_keypoint_dataset, simulate_detections
    from posekit.fileio import write_json

    tmp = Path(tempfile.mkdtemp(prefix="posekit-evalbench-"))
    gt = random_keypoint_dataset(args.images, seed=args.seed)
    res = simulate_detections(gt, seed=args.seed + 1)
    gt_path, res_path = tmp / "gt.json", tmp / "results.json"
    write_json(gt_path, gt)
    write_json(res_path, res)
    crowd = sum(a["iscrowd"] for a in gt["annotations"])
    empty = sum(a["num_keypoints"] == 0 and not a["iscrowd"] for a in gt["annotations"])
    print(f"set: {len(gt['images'])} images, {len(gt['annotations'])} people ({crowd} crowd, {empty} unlabelled), "
          f"{len(res)} detections; files {gt_path.stat().st_size / 1e6:.1f} MB + {res_path.stat().st_size / 1e6:.1f} MB")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")

    env_py = [sys.executable]
    procs = {
        "posekit eval (CLI)": env_py + ["-m", "posekit", "eval", "--gt", str(gt_path), "--results", str(res_path)],
        "posekit (API script)": env_py + ["-c", POSEKIT, str(gt_path), str(res_path)],
        "pycocotools": env_py + ["-c", PYCOCO, str(gt_path), str(res_path)],
        "faster-coco-eval": env_py + ["-c", FASTER, str(gt_path), str(res_path)],
        "hotcoco": env_py + ["-c", HOTCOCO, str(gt_path), str(res_path)],
    }
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    rows, stats = {}, {}
    for name, cmd in procs.items():
        best, rss = float("inf"), 0.0
        for _ in range(args.repeat):
            dt, r, s = run_process(cmd)
            best, rss = min(best, dt), max(rss, r)
            if s is not None:
                stats[name] = s
        rows[name] = (best, rss)
    ref, hc = rows["pycocotools"][0], rows["hotcoco"][0]
    print(f"{'whole process':<22}{'seconds':>9}{'peak MiB':>10}{'vs pycocotools':>16}{'vs hotcoco':>12}")
    for name, (t, rss) in rows.items():
        print(f"{name:<22}{t:>9.3f}{rss:>10.0f}{ref / t:>15.1f}x{hc / t:>11.2f}x")

    print(f"\n{'in-process':<22}{'seconds':>9}{'vs pycocotools':>16}{'vs hotcoco':>12}")
    inproc = in_process_times(gt_path, res_path, args.repeat)
    ref, hc = inproc["pycocotools"], inproc["hotcoco"]
    for name, t in inproc.items():
        print(f"{name:<22}{t:>9.3f}{ref / t:>15.1f}x{hc / t:>11.2f}x")

    import numpy as np

    a, b, c, h = (np.array(stats[n]) for n in ("posekit (API script)", "pycocotools", "faster-coco-eval", "hotcoco"))
    print(f"\nstats: posekit {np.round(a, 4).tolist()}")
    print(f"max |posekit - pycocotools| = {np.abs(a - b).max():.3g}; "
          f"max |faster-coco-eval - pycocotools| = {np.abs(c - b).max():.3g}; "
          f"max |hotcoco - pycocotools| = {np.abs(h - b).max():.3g}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    report = {
        "set": {"images": len(gt["images"]), "people": len(gt["annotations"]), "crowd": crowd, "unlabelled": empty,
                "detections": len(res), "seed": args.seed},
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                    "load_before": load_before, "load_after": load_after},
        "repeat": args.repeat,
        "whole_process": {name: {"seconds": t, "peak_mib": rss} for name, (t, rss) in rows.items()},
        "in_process_seconds": inproc,
        "stats": {name: stats[name] for name in stats},
        "max_abs_diff_vs_pycocotools": {"posekit": float(np.abs(a - b).max()),
                                        "faster-coco-eval": float(np.abs(c - b).max()),
                                        "hotcoco": float(np.abs(h - b).max())},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}")


def in_process_times(gt_path: Path, res_path: Path, repeat: int) -> dict[str, float]:
    import contextlib
    import io

    import faster_coco_eval
    import hotcoco
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from posekit.evaluation import evaluate_coco

    def pyc():
        gt = COCO(str(gt_path))
        E = COCOeval(gt, gt.loadRes(str(res_path)), "keypoints")
        E.evaluate(); E.accumulate(); E.summarize()

    def fce():
        gt = faster_coco_eval.COCO(str(gt_path))
        E = faster_coco_eval.COCOeval_faster(gt, gt.loadRes(str(res_path)), "keypoints")
        E.evaluate(); E.accumulate(); E.summarize()

    def hot():
        gt = hotcoco.COCO(str(gt_path))
        E = hotcoco.COCOeval(gt, gt.loadRes(str(res_path)), "keypoints")
        E.evaluate(); E.accumulate(); E.summarize()

    def pk():
        evaluate_coco(gt_path, res_path)

    out = {}
    for name, fn in (("posekit", pk), ("pycocotools", pyc), ("faster-coco-eval", fce), ("hotcoco", hot)):
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                fn()
            best = min(best, time.perf_counter() - t)
        out[name] = best
    return out


if __name__ == "__main__":
    main()
