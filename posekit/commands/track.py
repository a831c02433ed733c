"""``posekit track VIDEO --out DIR``: tracked, smoothed poses of every person in a video.

``VIDEO`` is a video file, a folder of frames (read in name order, 25 frames/s) or a webcam
index. Writes ``DIR/tracks.json`` (COCO result records with ``frame_id``, ``track_id``,
``keypoints``, ``bbox``, ``score``), ``DIR/posetrack.json`` (PoseTrack18 form),
``DIR/info.json`` (model, detector, keypoint names) and ``DIR/overlay.mp4`` (ids and short
trails). ``frame_id`` is the 0-based index of the frame in the video, as in ``infer``'s JSONL;
in posetrack.json the frames are images 0..T-1 with ``frame_id`` the same index. Every processed
frame is in the outputs: people seen before their track was confirmed carry its id. Every
file is written atomically.

``--refine-tracks RUN_DIR`` runs a tracklet refiner (:mod:`posekit.video.tracklet_refine`, trained
by ``posekit train-refiner``) over each finished track, then ``--smooth`` applies on top; with a
refiner the default smoothing is ``none`` (the refiner already steadies the track, and One-Euro
after it adds lag), and ``--smooth one-euro``/``savgol`` asks for both. All outputs carry the
refined poses.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Detection every few frames, tracking-mode crops between (see TrackingOptions).
DETECT_INTERVAL = 4
# A track born late is followed back through up to this many frames, and a detection frame keeps
# the people followed into it (TrackingOptions.backtrack, .keep_followed). On the synthetic clips of
# bench/track_speed.py (960x540, 4 people standing apart in every view): person-frame recall 0.898 ->
# 0.973, 0 switches and 4/4 tracks either way, frames/s 21.3 -> 16.2 (idle; docs/video.md).
BACKTRACK = 24
# The model `track` runs when none is named: BlazePose + the person SSD, following each person's
# crop between detections. `infer`'s bottom-up default, Lightweight OpenPose, is far better on
# photos but on video (bench/track_speed.py, 960x540, 2 cores) it ran at 2-3 frames/s against
# 14.5, followed 0.60-0.77 of the person-frames of the synthetic clips against 0.90, and split
# the 3 people of the real PoseTrack clip into 3-5 tracks against 2: `--model openpose-lightweight`.
TRACK_MODEL = "blazepose-full"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from .infer import add_model_arguments

    p.add_argument("video", help="a video file, a folder of frames, or a webcam index")
    p.add_argument("--out", required=True, help="output folder")
    add_model_arguments(p)
    p.add_argument("--smooth", choices=("one-euro", "savgol", "none"), default=None,
                   help="smoothing of each track (default one-euro; none with --refine-tracks)")
    p.add_argument("--refine-tracks", metavar="RUN_DIR",
                   help="refine each finished track with a tracklet refiner (posekit train-refiner), before smoothing")
    p.add_argument("--keyframe-interval", type=int, default=1,
                   help="run the estimator every K frames and follow optical flow between (default 1: every frame)")
    p.add_argument("--detect-interval", type=int, default=DETECT_INTERVAL,
                   help="run the person detector every D frames; between, each person's crop follows their pose "
                        f"in the previous frame (default {DETECT_INTERVAL}; 1: detect in every frame)")
    p.add_argument("--backtrack", type=int, default=BACKTRACK,
                   help="follow each new track back through up to N earlier frames, so a person found late is "
                        f"not lost before (default {BACKTRACK}; 0: off)")
    p.add_argument("--replace-at-detection", action="store_true",
                   help="at a detection frame take the detector's people only (default: keep the people followed "
                        "into it and add the new ones)")
    p.add_argument("--skeleton", default="coco17", help="keypoint set of the outputs (default coco17)")
    p.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: all)")
    p.add_argument("--keypoint-threshold", type=float, default=0.5, help="overlay draws keypoints above this")
    p.add_argument("--draw-boxes", action="store_true", help="draw each person's box and score on the overlay")
    p.add_argument("--no-overlay", action="store_true")


def run(args: argparse.Namespace) -> int:
    import time
    from dataclasses import replace

    import numpy as np
    from tqdm import tqdm

    from ..data.outputs import OutputFolder
    from ..data.posetrack import save_posetrack
    from ..data.results import keypoints_as, results_to_records
    from ..data.video import codec_note, read_frames, video_info
    from ..errors import InputError
    from ..fileio import write_json
    from ..skeletons import get_skeleton
    from ..structures import PoseSample
    from ..video.pipeline import TrackingOptions, smooth_tracks, track_frames
    from ..video.tracklet_refine import refine_results
    from .infer import _info, load_estimator

    skeleton = get_skeleton(args.skeleton)
    fps, total = video_info(args.video)
    if args.max_frames and total:
        total = min(total, args.max_frames)
    notes: list[str] = []
    if args.model is None:
        args.model = TRACK_MODEL
    refiner = _refiner(args, skeleton) if args.refine_tracks else None
    if args.smooth is None:
        args.smooth = "none" if refiner is not None else "one-euro"
    with OutputFolder(args.out, "track") as out:
        estimator = load_estimator(args)
        options = TrackingOptions(smooth=args.smooth, keyframe_interval=max(1, args.keyframe_interval),
                                  detect_interval=max(1, args.detect_interval), fps=fps,
                                  backtrack=max(0, args.backtrack), keep_followed=not args.replace_at_detection)
        sizes: list[tuple[int, int]] = []

        def frames():
            for f in tqdm(read_frames(args.video, args.max_frames, notes), total=total, desc="track", unit="frame"):
                sizes.append(f.shape[:2])
                yield f

        def as_output(result):
            kp, ks = keypoints_as(result, skeleton)
            keep = {k: v for k, v in result.views.items() if k == "alignment"}  # BlazePose's tracking crops
            return replace(result, keypoints=kp, keypoint_scores=ks, skeleton=skeleton.name, views=keep)

        follow = getattr(estimator, "follow", None)
        start = time.perf_counter()
        results, runs = track_frames(frames(), lambda f, t: as_output(estimator.predict(f, image_id=t)), options,
                                     (lambda f, t, last: as_output(follow(f, last, image_id=t))) if follow else None)
        elapsed = time.perf_counter() - start
        if not results:
            raise InputError(f"{args.video}: no frame could be read")
        if refiner is not None:
            results = refine_results(results, refiner)
        results, report = smooth_tracks(results, args.smooth, fps)
        records, samples = [], []
        stem = Path(args.video).stem or "video"
        for t, r in enumerate(results):
            records += [dict(rec, frame_id=t) for rec in results_to_records([r]) if rec["track_id"] >= 0]
            keep = np.flatnonzero(r.track_ids >= 0)
            h, w = sizes[t]
            samples.append(PoseSample(image_id=t, file_name=f"{stem}/{t:06d}.jpg", width=w, height=h,
                                      keypoints=r.keypoints[keep], visibility=(r.keypoint_scores[keep] >= 0.5) * 2,
                                      boxes=r.boxes[keep], track_ids=r.track_ids[keep]))
        write_json(out.file("tracks.json"), records)
        save_posetrack(samples, out.file("posetrack.json"), video_id=stem, skeleton=skeleton)
        write_json(out.file("info.json"), dict(_info(args, skeleton), fps=fps, frames=len(results),
                                               refiner=args.refine_tracks, smooth=args.smooth), indent=True)
        if not args.no_overlay:
            _overlay(args, results, out.file("overlay.mp4"), fps)
        out.commit()
    for note in notes:
        print(f"posekit track: warning: {note}", file=sys.stderr)
    tracks = len({r["track_id"] for r in records})
    if "jitter_before" in report:
        smooth = (f"jitter {report['jitter_before']:.2f} -> {report['jitter_after']:.2f} px/frame^2 ({args.smooth})"
                  if np.isfinite(report["jitter_before"]) else f"{args.smooth}: no track of 3+ frames to measure jitter")
    else:
        smooth = "no smoothing"
    if report.get("note") and "jitter_before" in report:
        smooth += f"; {report['note']}"
    if refiner is not None:
        smooth = f"tracks refined ({args.refine_tracks}); {smooth}"
    print(f"posekit track: {len(results)} frames in {elapsed:.1f} s ({len(results) / elapsed:.1f} frames/s, "
          f"estimator on {runs}), {tracks} tracks; {smooth}; output in {args.out}" +
          ("" if args.no_overlay else f"; {codec_note()}"), file=sys.stderr)
    return 0


def _refiner(args: argparse.Namespace, skeleton):
    """The refiner of ``--refine-tracks``, checked against the output keypoint set."""
    from ..errors import InputError
    from ..video.tracklet_refine import load_refiner

    refiner = load_refiner(args.refine_tracks)
    if refiner.config.skeleton != skeleton.name or refiner.config.num_keypoints != skeleton.num_keypoints:
        raise InputError(f"{args.refine_tracks}: the refiner was trained for {refiner.config.skeleton} "
                         f"({refiner.config.num_keypoints} keypoints) but the tracks are {skeleton.name}; "
                         f"use --skeleton {refiner.config.skeleton}")
    return refiner


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
            yield draw_poses(frame, r, args.keypoint_threshold, trails=trails, boxes=args.draw_boxes)

    write_video(target, frames(), fps)
