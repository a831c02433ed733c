"""Speed of posekit's BlazePose pipeline (torch and onnxruntime) against MediaPipe's own runtime.

Same images, same machine, one run: each backend's mean milliseconds per image after a
warm-up, each in its own process, and the ratio to MediaPipe (lower is faster). MediaPipe runs in the reference
environment (.venv-ref, `make reference`), timing itself in-process.

    python bench/infer_speed.py [--repeat 5] [--threads N] [IMAGE ...]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEDIAPIPE = """
import json, sys, time, cv2
import mediapipe as mp
paths, repeat = sys.argv[2:], int(sys.argv[1])
images = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
    for im in images:
        pose.process(im)
    t = time.perf_counter()
    for _ in range(repeat):
        for im in images:
            pose.process(im)
    print(json.dumps(1000 * (time.perf_counter() - t) / (repeat * len(images))))
"""
DEFAULT = ["mmpose_tests/mpii/004645041.jpg", "mmpose_tests/coco/000000000785.jpg",
           "mmpose_tests/coco/000000196141.jpg", "coco_mini/images/val2017/000000209829.jpg"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--backend", choices=("torch", "onnxruntime"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    shared = ROOT / "data"  # bundled real data
    paths = args.images or [str(shared / p) for p in DEFAULT]

    import torch

    if args.backend:  # the child process: time one backend, print its milliseconds
        import posekit
        from posekit.data.images import read_image

        if args.threads:
            torch.set_num_threads(args.threads)
        images = [read_image(p) for p in paths]
        est = posekit.load("blazepose-full", backend=args.backend)
        for im in images:
            est.predict(im)
        t = time.perf_counter()
        for _ in range(args.repeat):
            for im in images:
                est.predict(im)
        print(json.dumps(1000 * (time.perf_counter() - t) / (args.repeat * len(images))))
        return
    from posekit.data.images import read_image

    sizes = sorted({read_image(p).shape[:2] for p in paths})
    print(f"{len(paths)} images, sizes {sizes}; torch threads {args.threads or torch.get_num_threads()}, "
          f"{os.cpu_count()} cores; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
    rows = {}
    for backend in ("torch", "onnxruntime"):  # one process each: one runtime's idle threads never slow another's
        cmd = [sys.executable, __file__, "--backend", backend, "--repeat", str(args.repeat),
               "--threads", str(args.threads), *paths]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows[f"posekit ({backend})"] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = Path(os.environ.get("POSEKIT_REFERENCE_PYTHON", ROOT / ".venv-ref" / "bin" / "python"))
    if ref.exists():
        out = subprocess.run([str(ref), "-c", MEDIAPIPE, str(args.repeat), *paths], capture_output=True, text=True,
                             check=True)
        rows["MediaPipe 0.10.14"] = json.loads(out.stdout.strip().splitlines()[-1])
    else:
        print(f"(no reference runtime at {ref}: run `make reference` for MediaPipe's figure)")
    base = rows.get("MediaPipe 0.10.14")
    print(f"{'pipeline':<24}{'ms/image':>10}{'vs MediaPipe':>14}")
    for name, ms in rows.items():
        ratio = f"{ms / base:.2f}" if base else "-"
        print(f"{name:<24}{ms:>10.1f}{ratio:>14}")


if __name__ == "__main__":
    main()
