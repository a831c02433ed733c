"""``posekit eval-track``: PoseTrack-style tracking metrics of a tracks file."""
from __future__ import annotations

import argparse

from ..fileio import write_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="ground truth with track ids (PoseTrack18, or COCO with track_id)")
    p.add_argument("--results", required=True, help="tracks.json written by posekit track")
    p.add_argument("--keypoint-threshold", type=float, default=0.3,
                   help="predicted keypoints scoring below this do not count (default 0.3)")
    p.add_argument("--json", metavar="OUT.json", help="also write the figures as a JSON object")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..video.evaluate import evaluate_tracks

    ev = evaluate_tracks(args.gt, args.results, args.keypoint_threshold)
    mota = ev.mot.mota_per_joint
    width = max(len(n) for n in ev.mot.names)
    print(f"{'joint':<{width}}  MOTA")
    for name, value in zip(ev.mot.names, mota):
        print(f"{name:<{width}}  {value:6.3f}" if np.isfinite(value) else f"{name:<{width}}     -")
    summary = ev.summary()
    print("  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items()))
    if args.json:
        write_json(args.json, {**summary, "MOTA_per_joint": dict(zip(ev.mot.names, map(float, mota)))},
                   indent=True)
    return 0
