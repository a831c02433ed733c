"""Speed of the SSD person detector: posekit (torch, onnxruntime) against OpenVINO running the IR file.

Input: a 960 x 540 RGB frame (a real COCO photo of several people resized to it, if the shared data
is there). Each detector does its whole job per image: resize to 544 x 320, the network, the
decoding to people above 0.5 (posekit: NumPy DetectionOutput; OpenVINO: the graph's own
DetectionOutput layer, f32 inference). Runs alternate between the three so that load on a shared
machine hits them alike; prints the median (and best) ms per image and the ratio to OpenVINO, for
1 and 2 threads.

    python bench/detector_speed.py [--repeat 30] [--image PATH]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTO = ROOT / "data" / "coco_mini" / "images" / "val2017" / "000000162092.jpg"  # bundled


def frame(path: Path | None) -> np.ndarray:
    import cv2

    if path is not None and path.is_file():
        img = cv2.imread(str(path))[:, :, ::-1]
    else:
        img = np.random.default_rng(0).integers(0, 256, (540, 960, 3), np.uint8)
    return np.ascontiguousarray(cv2.resize(img, (960, 540)))


def openvino_detector(threads: int):
    import cv2
    import openvino as ov

    from importlib import resources

    from posekit.pretrained.weights import PERSON_SSD_XML

    core = ov.Core()
    model = core.compile_model(str(resources.files("posekit.pretrained") / PERSON_SSD_XML), "CPU",
                               {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads})
    request = model.create_infer_request()

    def detect(image: np.ndarray):
        x = cv2.resize(image[:, :, ::-1], (544, 320)).transpose(2, 0, 1)[None].astype(np.float32)
        rows = request.infer({0: x})[model.output(0)][0, 0]
        rows = rows[(rows[:, 0] >= 0) & (rows[:, 2] > 0.5)]
        h, w = image.shape[:2]
        return rows[:, 3:] * [w, h, w, h], rows[:, 2]

    return detect


def main() -> None:
    import torch

    from posekit.topdown.person_ssd import PersonSSD

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--image", type=Path, default=PHOTO)
    args = ap.parse_args()
    image = frame(args.image)
    import openvino

    print(f"960x540 input ({args.image.name if args.image.is_file() else 'random'}), {args.repeat} calls each; "
          f"torch {torch.__version__}, openvino {openvino.__version__}")
    print(f"{'threads':>7s} {'detector':24s} {'median ms':>10s} {'best ms':>8s} {'vs openvino':>12s} {'people':>7s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        detectors = {"posekit torch": PersonSSD(), "posekit onnxruntime": PersonSSD(backend="onnxruntime",
                                                                                    threads=threads),
                     "openvino": openvino_detector(threads)}
        times = {k: [] for k in detectors}
        found = {k: len(d(image)[1]) for k, d in detectors.items()}  # also the warm-up
        for _ in range(args.repeat):
            for key, detect in detectors.items():
                t0 = time.perf_counter()
                detect(image)
                times[key].append(time.perf_counter() - t0)
        ref = statistics.median(times["openvino"])
        for key, t in times.items():
            med = statistics.median(t)
            print(f"{threads:7d} {key:24s} {med * 1e3:10.1f} {min(t) * 1e3:8.1f} {med / ref:11.2f}x {found[key]:7d}")


if __name__ == "__main__":
    main()
