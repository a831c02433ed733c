"""Where the time of bottom-up inference goes: network, field resampling, grouping, end to end.

On the 30 real COCO photos bundled in ./data (coco_mini val2017) at input height 368, each part
timed separately (median over the photos, after a warm-up):
  * the network on each backend: posekit's torch module, its ONNX export on onnxruntime, and,
    side by side as the reference, OpenVINO running the int8 file (and its float graph);
  * the fields on the decoding grid (network + resampling the heatmaps, posekit.bottomup.fields; the
    first call at each input shape is slow, so this row is not the network row plus resampling);
  * the grouping (posekit.codecs.paf_grouping, NumPy);
  * end to end ``predict`` (torch and onnxruntime), by default and with ``--accurate`` (flip test and
    heights 368/256/512: six network runs, their heatmaps warped onto the grid, PAFs read where sampled).

    python bench/bottomup_speed.py [--threads 2]

Writes bench/results/bottomup_speed.json.
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GOMP_SPINCOUNT", "20000")  # as the CLI
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reference"))
XML = ROOT / "posekit/pretrained/data/human-pose-estimation-0001/human-pose-estimation-0001.xml"


def timed(fn, *a):
    start = time.perf_counter()
    out = fn(*a)
    return (time.perf_counter() - start) * 1000, out


def main() -> int:
    import torch

    from openvino_pose import openvino_fields
    from posekit.bottomup.fields import _prepare, compute_fields
    from posekit.bottomup.openpose import OpenPose, OpenPoseConfig
    from posekit.codecs.paf_grouping import group_people
    from posekit.data.images import read_image
    from posekit.pretrained.runtime import make_runner
    from posekit.skeletons import OPENPOSE18

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--height", type=int, default=368)
    p.add_argument("--out", default=str(ROOT / "bench/results/bottomup_speed.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    photos = [read_image(f) for f in sorted((ROOT / "data/coco_mini/images/val2017").glob("*.jpg"))]
    nets = {"torch (posekit)": make_runner("openpose_lightweight", "torch"),
            "onnxruntime (posekit)": make_runner("openpose_lightweight", "onnxruntime", threads=args.threads),
            "openvino int8 (reference)": openvino_fields(XML, threads=args.threads),
            "openvino float graph": openvino_fields(XML, strip_fake_quantize=True, threads=args.threads)}
    inputs = [np.ascontiguousarray(_prepare(img, args.height, 8)[0].transpose(2, 0, 1)[None], np.float32)
              for img in photos]
    times: dict[str, list[float]] = {}
    for name, run in nets.items():
        run(inputs[0])
        times[f"network: {name}"] = [timed(run, x)[0] for x in inputs]
    est = {b: OpenPose(backend=b) for b in ("torch", "onnxruntime")}
    est.update({f"{b}, --accurate": OpenPose(OpenPoseConfig().accurate(), backend=b) for b in ("torch", "onnxruntime")})
    for e in est.values():
        e.predict(photos[0])
    for img in photos:
        t, grid = timed(compute_fields, nets["torch (posekit)"], img, OPENPOSE18, OPENPOSE18.limbs, (args.height,))
        times.setdefault("fields (network + resampling, torch)", []).append(t)
        t, _ = timed(group_people, grid.heatmaps[:18], grid.pafs, OPENPOSE18.limbs)
        times.setdefault("grouping", []).append(t)
        for b, e in est.items():
            times.setdefault(f"end to end predict ({b})", []).append(timed(e.predict, img)[0])
    rows = {k: float(np.median(v)) for k, v in times.items()}
    ref = rows["network: openvino int8 (reference)"]
    print(f"{len(photos)} real photos (coco_mini val2017) at input height {args.height}, {args.threads} threads; "
          f"median ms per image")
    for k, v in rows.items():
        ratio = f"{v / ref:5.2f}x OpenVINO int8" if k.startswith("network") else ""
        print(f"  {k:42s} {v:7.1f} ms  {ratio}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"settings": vars(args), "median_ms": rows}, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
