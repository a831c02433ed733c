"""``posekit track VIDEO --out DIR``: tracked, smoothed poses of every person in a video.

Writes ``DIR/tracks.json`` (COCO result records with ``frame_id``, ``track_id``,
COCO-17 ``keypoints``, ``bbox``, ``score``), ``DIR/posetrack.json`` (PoseTrack18 form),
and ``DIR/overlay.mp4`` (ids and short trails). Every file is written atomically.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", help="a video file (or a webcam index)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--smooth", choices=("one-euro", "savgol", "none"), default="one-euro")
    p.add_argument("--keyframe-interval", type=int, default=1,
                   help="run the estimator every K frames and follow optical flow between (default 1: every frame)")
    p.add_argument("--accurate", action="store_true", help="detect on overlapping tiles too (finds small people; slower)")
    p.add_argument("--model", default="blazepose-full")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch")
    p.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: all)")
    p.add_argument("--keypoint-threshold", type=float, default=0.5, help="overlay draws keypoints above this")
    p.add_argument("--no-overlay", action="store_true")


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np
    from tqdm import tqdm

    from ..data.posetrack import save_posetrack
    from ..data.results import results_to_records
    from ..data.video import read_frames, video_info
    from ..errors import InputError
    from ..fileio import write_json
    from ..estimators import load
    from ..skeletons import COCO17
    from ..structures import PoseSample
    from ..video.pipeline import TrackingOptions, smooth_tracks, track_frames

    out = Path(args.out)
    fps, total = video_info(args.video)
    if args.max_frames and total:
        total = min(total, args.max_frames)
    estimator = load(args.model, backend=args.backend, tiling=args.accurate)
    options = TrackingOptions(smooth=args.smooth, keyframe_interval=max(1, args.keyframe_interval), fps=fps)
    sizes: list[tuple[int, int]] = []

    def frames():
        for f in tqdm(read_frames(args.video, args.max_frames), total=total, desc="track", unit="frame"):
            sizes.append(f.shape[:2])
            yield f

    start = time.perf_counter()
    results, runs = track_frames(frames(), lambda f, t: estimator.predict(f, image_id=t).as_view("coco17"), options)
    elapsed = time.perf_counter() - start
    if not results:
        raise InputError(f"{args.video}: no frame could be read")
    results, report = smooth_tracks(results, args.smooth, fps)
    records, samples = [], []
    for t, r in enumerate(results):
        records += [dict(rec, frame_id=t) for rec in results_to_records([r]) if rec["track_id"] >= 0]
        keep = np.flatnonzero(r.track_ids >= 0)
        h, w = sizes[t]
        samples.append(PoseSample(image_id=t, file_name=f"{Path(args.video).stem}/{t:06d}.jpg", width=w, height=h,
                                  keypoints=r.keypoints[keep], visibility=(r.keypoint_scores[keep] >= 0.5) * 2,
                                  boxes=r.boxes[keep], track_ids=r.track_ids[keep]))
    write_json(out / "tracks.json", records)
    save_posetrack(samples, out / "posetrack.json", video_id=Path(args.video).stem, skeleton=COCO17)
    if not args.no_overlay:
        _overlay(args, results, out / "overlay.mp4", fps)
    tracks = len({r["track_id"] for r in records})
    print(f"posekit track: {len(results)} frames in {elapsed:.1f} s ({len(results) / elapsed:.1f} frames/s, "
          f"estimator on {runs}), {tracks} tracks; jitter {report.get('jitter_before', float('nan')):.2f} -> "
          f"{report.get('jitter_after', float('nan')):.2f} px/frame^2 ({args.smooth}); output in {out}",
          file=sys.stderr)
    return 0


def _overlay(args, results, target: Path, fps: float) -> None:
    from ..data.video import read_frames, write_video
    from ..visualize import draw_poses

    def frames():
        trails: dict[int, list] = {}
        for r, frame in zip(results, read_frames(args.video, len(results))):
            for i, tid in enumerate(r.track_ids):
                if tid >= 0:
                    seen = r.keypoint_scores[i] >= args.keypoint_threshold
                    centre = r.keypoints[i][seen].mean(0) if seen.any() else r.keypoints[i].mean(0)
                    trails[int(tid)] = (trails.get(int(tid), []) + [centre])[-15:]
            yield draw_poses(frame, r, args.keypoint_threshold, trails=trails)

    write_video(target, frames(), fps)
