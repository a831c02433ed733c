"""Key-frame pose propagation with optical flow.

Survey section 1.3 ("key frames", "optical flow"): run the estimator only on key
frames and carry its keypoints through the frames between along dense optical flow,
as flow-based pose propagation does (Pfister et al., "Flowing ConvNets", ICCV 2015;
Song et al., "Thin-Slicing Network", CVPR 2017). Flow is OpenCV's DIS (Kroeger et al.,
"Fast Optical Flow using Dense Inverse Search", ECCV 2016), computed on a downscaled
grey frame. Each person's flow confidence is the share of its keypoints whose
forward-backward flow returns within ``fb_threshold`` pixels of where it started;
when it drops below ``min_confidence`` the caller re-runs the estimator.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..structures import PoseResult, keypoint_boxes

__all__ = ["FlowPropagator"]


def _sample(flow: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear sample of an (H, W, 2) flow at (..., 2) points (clamped to the frame)."""
    h, w = flow.shape[:2]
    x = np.clip(xy[..., 0], 0, w - 1.001)
    y = np.clip(xy[..., 1], 0, h - 1.001)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    return ((1 - fx) * (1 - fy) * flow[y0, x0] + fx * (1 - fy) * flow[y0, x0 + 1]
            + (1 - fx) * fy * flow[y0 + 1, x0] + fx * fy * flow[y0 + 1, x0 + 1])


@dataclass
class FlowPropagator:
    """Carries poses from frame to frame. ``scale`` downsizes frames before the flow
    (the flow is rescaled back); ``fb_threshold`` is in full-resolution pixels."""

    scale: float = 0.5
    fb_threshold: float = 4.0
    min_confidence: float = 0.5

    def __post_init__(self) -> None:
        import cv2

        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._prev = None

    def _grey(self, frame: np.ndarray) -> np.ndarray:
        import cv2

        g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        if self.scale != 1.0:
            g = cv2.resize(g, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(g)

    def start(self, frame: np.ndarray) -> None:
        """Remember a key frame (the one the estimator just ran on)."""
        self._prev = self._grey(frame)

    def propagate(self, poses: PoseResult, frame: np.ndarray) -> tuple[PoseResult, np.ndarray]:
        """Move ``poses`` (on the previous frame) onto ``frame``; returns the moved poses and
        each person's flow confidence (N,)."""
        cur = self._grey(frame)
        if self._prev is None:
            self._prev = cur
            return poses, np.zeros(len(poses))
        fwd = self._dis.calc(self._prev, cur, None)
        bwd = self._dis.calc(cur, self._prev, None)
        self._prev = cur
        if len(poses) == 0:
            return poses, np.zeros(0)
        s = self.scale
        xy = poses.keypoints * s
        moved = xy + _sample(fwd, xy)
        back = moved + _sample(bwd, moved)
        err = np.linalg.norm(back - xy, axis=-1) / s
        ok = err <= self.fb_threshold
        weight = poses.keypoint_scores > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            conf = np.where(weight.any(axis=1), (ok & weight).sum(axis=1) / weight.sum(axis=1), 0.0)
        keypoints = moved / s
        scores = np.where(ok, poses.keypoint_scores, poses.keypoint_scores * 0.5)
        return replace(poses, keypoints=keypoints, keypoint_scores=scores,
                       boxes=_shifted_boxes(poses, keypoints)), conf


def _shifted_boxes(poses: PoseResult, keypoints: np.ndarray) -> np.ndarray:
    """Boxes moved with their people: the old box shifted by the keypoints' mean motion."""
    if poses.boxes is None or len(poses.boxes) != len(keypoints):
        return keypoint_boxes(keypoints)
    out = poses.boxes.copy()
    out[:, :2] += (keypoints - poses.keypoints).mean(axis=1)
    return out
