"""Video pose tracking end to end: estimate (every frame or on key frames), track, smooth.

The per-frame estimator runs on key frames; in between, poses follow the optical flow
(:mod:`posekit.video.keyframes`) until a person's flow confidence drops, which forces a
key frame. Poses become tracks (:mod:`posekit.video.tracking`) and each track's
keypoints are smoothed (:mod:`posekit.video.smoothing`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Literal

import numpy as np

from ..structures import PoseResult
from .keyframes import FlowPropagator
from .smoothing import OneEuroFilter, jitter, savgol
from .tracking import PoseTracker, TrackerConfig, apply_backfill

__all__ = ["TrackingOptions", "track_frames", "smooth_tracks", "track_arrays"]


@dataclass(frozen=True)
class TrackingOptions:
    smooth: Literal["one-euro", "savgol", "none"] = "one-euro"
    keyframe_interval: int = 1
    fps: float = 25.0
    tracker: TrackerConfig = TrackerConfig()


def track_frames(frames: Iterable[np.ndarray], estimate: Callable[[np.ndarray, int], PoseResult],
                 options: TrackingOptions = TrackingOptions()) -> tuple[list[PoseResult], int]:
    """Tracked poses per frame and the number of estimator runs. ``track_ids`` are set, also in the
    frames before a track was confirmed; -1 marks people whose track never was."""
    tracker = PoseTracker(options.tracker)
    flow = FlowPropagator() if options.keyframe_interval > 1 else None
    out, last, runs = [], None, 0
    for t, frame in enumerate(frames):
        poses = None
        if flow is not None and last is not None and t % options.keyframe_interval:
            moved, confidence = flow.propagate(last, frame)
            if len(moved) and confidence.min() >= flow.min_confidence:
                poses = replace(moved, image_id=t, track_ids=None)
        if poses is None:
            poses = estimate(frame, t)
            runs += 1
            if flow is not None:
                flow.start(frame)
        tracked = tracker.update(poses)
        out.append(tracked)
        apply_backfill(out, tracker.pop_backfill())
        last = tracked
    return out, runs


def track_arrays(results: list[PoseResult]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """track id -> (frame indices (T,), keypoints (T, K, 2)) over confirmed tracks."""
    tracks: dict[int, tuple[list, list]] = {}
    for t, r in enumerate(results):
        for i, tid in enumerate(r.track_ids if r.track_ids is not None else []):
            if tid >= 0:
                frames, kps = tracks.setdefault(int(tid), ([], []))
                frames.append(t)
                kps.append(r.keypoints[i])
    return {k: (np.array(f), np.array(p)) for k, (f, p) in tracks.items()}


def smooth_tracks(results: list[PoseResult], method: str, fps: float = 25.0) -> tuple[list[PoseResult], dict]:
    """Smoothed copies of ``results`` and the jitter (px/frame^2) before and after, over all tracks."""
    if method == "none":
        return results, {"note": "no smoothing"}
    out = [replace(r, keypoints=r.keypoints.copy()) for r in results]
    before, after, short, unchanged = [], [], 0, 0
    for tid, (frames, kps) in track_arrays(results).items():
        if method == "savgol":
            if len(kps) < 9:
                short += 1
                unchanged += len(kps) < 5  # a window of 3 fits a quadratic exactly
            smooth = savgol(kps, 9, 2)
        else:
            f = OneEuroFilter(fps=fps)
            smooth = np.stack([f(k) for k in kps])
        for t, k in zip(frames, smooth):
            i = int(np.flatnonzero(out[t].track_ids == tid)[0])
            out[t].keypoints[i] = k
        if len(frames) >= 3 and (np.diff(frames) == 1).all():
            before.append(jitter(kps))
            after.append(jitter(smooth))
    report = {"jitter_before": float(np.mean(before)) if before else float("nan"),
              "jitter_after": float(np.mean(after)) if after else float("nan")}
    if short:
        report["note"] = (f"{short} track(s) shorter than the Savitzky-Golay window of 9 frames were smoothed with a "
                          f"shorter window; {unchanged} of under 5 frames are unchanged")
    return out, report
