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

from ..geometry import box_iou
from ..structures import PoseResult
from .backtrack import Backtracker
from .keyframes import FlowPropagator
from .smoothing import OneEuroFilter, jitter, savgol
from .tracking import PoseTracker, TrackerConfig, apply_backfill

__all__ = ["TrackingOptions", "track_frames", "smooth_tracks", "track_arrays"]


@dataclass(frozen=True)
class TrackingOptions:
    """``keyframe_interval``: the estimator runs every K frames, optical flow carries the poses
    between. ``detect_interval``: the person detector runs every D frames; between, each
    person's crop comes from their pose in the previous frame (MediaPipe's tracking mode, and
    the detect-then-track loop of top-down trackers such as Xiao et al. 2018); people who appear
    are found at the next detection. ``backtrack``: a track born at frame t is followed backwards
    through up to this many earlier frames (:mod:`posekit.video.backtrack`; 0: off), so a person
    the detector found late is not lost in the frames before. ``keep_followed``: at a detection
    frame the people followed from the previous frame are kept, and the detector only adds people
    no followed box overlaps (box IoU above 0.5): a detection frame no longer swaps a good
    followed pose for a worse detected one (with ``detect_interval`` > 1: detecting in every frame
    asks for the detector's people alone)."""

    smooth: Literal["one-euro", "savgol", "none"] = "one-euro"
    keyframe_interval: int = 1
    detect_interval: int = 1
    backtrack: int = 0
    keep_followed: bool = False
    fps: float = 25.0
    tracker: TrackerConfig = TrackerConfig()


def track_frames(frames: Iterable[np.ndarray], estimate: Callable[[np.ndarray, int], PoseResult],
                 options: TrackingOptions = TrackingOptions(),
                 follow: Callable[[np.ndarray, int, PoseResult], PoseResult] | None = None
                 ) -> tuple[list[PoseResult], int]:
    """Tracked poses per frame and the number of estimator runs. ``track_ids`` are set, also in the
    frames before a track was confirmed; -1 marks people whose track never was.

    ``follow(frame, t, previous)`` estimates the previous frame's people without detection
    (used between detections when ``options.detect_interval`` > 1)."""
    tracker = PoseTracker(options.tracker)
    flow = FlowPropagator() if options.keyframe_interval > 1 else None
    back = Backtracker(follow, options.backtrack) if follow is not None and options.backtrack > 0 else None
    out, last, runs = [], None, 0
    for t, frame in enumerate(frames):
        if back is not None:
            back.push(t, frame)
        poses = None
        if flow is not None and last is not None and t % options.keyframe_interval:
            moved, confidence = flow.propagate(last, frame)
            if len(moved) and confidence.min() >= flow.min_confidence:
                poses = replace(moved, image_id=t, track_ids=None)
        if poses is None and follow is not None and last is not None and len(last) and t % options.detect_interval:
            poses = follow(frame, t, last)
            runs += 1
            if flow is not None:
                flow.start(frame)
        if poses is None:
            poses = estimate(frame, t)
            runs += 1
            if options.keep_followed and options.detect_interval > 1 and follow is not None and last is not None \
                    and len(last):
                poses = add_new_people(follow(frame, t, last), poses)
                runs += 1
            if flow is not None:
                flow.start(frame)
        tracked = tracker.update(poses)
        out.append(tracked)
        apply_backfill(out, tracker.pop_backfill())
        if back is not None:
            back.recover(out)
        last = tracked
    return out, runs + (back.runs if back is not None else 0)


def add_new_people(kept: PoseResult, found: PoseResult, iou: float = 0.5) -> PoseResult:
    """``kept`` and the people of ``found`` whose box overlaps none of ``kept``'s by more than ``iou``."""
    if not len(kept):
        return found
    overlap = box_iou(found.boxes, kept.boxes).max(axis=1) if len(found) else np.zeros(0)
    return replace(kept.join(found.take(np.flatnonzero(overlap <= iou))), track_ids=None)


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
