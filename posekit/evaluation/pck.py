"""Distance-based keypoint metrics: PCK, PCKh (MPII protocol), AUC and EPE.

PCK (Yang & Ramanan, "Articulated Human Detection with Flexible Mixtures of Parts",
TPAMI 2013): a keypoint is correct when its distance to the ground truth is at most
``alpha`` times a per-person size: the box's longer side, the torso diameter (left
shoulder to right hip, as for LSP), or the head size. PCKh (Andriluka et al., "2D
Human Pose Estimation: New Benchmark and State of the Art Analysis", CVPR 2014)
takes 60% of the head box diagonal as the size and alpha = 0.5. AUC averages PCK over
evenly spaced thresholds; EPE is the mean end-point (pixel) error.

Arrays: ``pred`` and ``gt`` (N, K, 2), ``visible`` (N, K) bool (the keypoints that
count), ``size`` (N,) the normaliser per person.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeletons import MPII16, Skeleton

__all__ = ["pck", "pck_per_keypoint", "auc", "epe", "box_size", "torso_size", "head_size",
           "MPII_HEAD_SCALE", "mpii_pckh", "MpiiPCKh"]

from ..oks import MPII_HEAD_SCALE  # re-exported: PCKh's head size = 0.6 * head box diagonal


def _normalised_distance(pred: np.ndarray, gt: np.ndarray, size: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(gt, np.float64), axis=-1)
    size = np.asarray(size, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return d / size[:, None]


def pck_per_keypoint(pred, gt, visible, size, alpha: float) -> np.ndarray:
    """PCK of each keypoint over the people where it is visible: (K,), NaN where never visible.
    People with a non-positive size do not count."""
    visible = np.asarray(visible, bool) & (np.asarray(size, np.float64) > 0)[:, None]
    ok = (_normalised_distance(pred, gt, size) <= alpha) & visible
    n = visible.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, ok.sum(axis=0) / n, np.nan)


def pck(pred, gt, visible, size, alpha: float) -> float:
    """PCK over all visible keypoints of all people (each keypoint counts once)."""
    visible = np.asarray(visible, bool) & (np.asarray(size, np.float64) > 0)[:, None]
    n = visible.sum()
    if n == 0:
        return float("nan")
    ok = (_normalised_distance(pred, gt, size) <= alpha) & visible
    return float(ok.sum() / n)


def auc(pred, gt, visible, size, max_alpha: float = 1.0, num_thresholds: int = 20) -> float:
    """Mean PCK at thresholds ``max_alpha * i / num_thresholds`` for i = 0..num_thresholds-1."""
    alphas = max_alpha * np.arange(num_thresholds) / num_thresholds
    return float(np.mean([pck(pred, gt, visible, size, a) for a in alphas]))


def epe(pred, gt, visible) -> float:
    """Mean Euclidean distance in pixels over visible keypoints."""
    visible = np.asarray(visible, bool)
    if not visible.any():
        return float("nan")
    d = np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(gt, np.float64), axis=-1)
    return float(d[visible].mean())


def box_size(boxes: np.ndarray) -> np.ndarray:
    """Longer side of each x, y, w, h box: (N, 4) -> (N,)."""
    boxes = np.asarray(boxes, np.float64)
    return np.maximum(boxes[:, 2], boxes[:, 3])


def torso_size(gt: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Torso diameter: distance from the left shoulder to the right hip."""
    ls, rh = skeleton.index("left_shoulder"), skeleton.index("right_hip")
    return np.linalg.norm(np.asarray(gt)[:, ls] - np.asarray(gt)[:, rh], axis=-1)


def head_size(head_boxes: np.ndarray) -> np.ndarray:
    """MPII head size from head boxes given as x1, y1, x2, y2: 0.6 * diagonal."""
    hb = np.asarray(head_boxes, np.float64)
    return MPII_HEAD_SCALE * np.linalg.norm(hb[:, 2:4] - hb[:, 0:2], axis=-1)


@dataclass
class MpiiPCKh:
    """PCKh per MPII joint group, as the MPII benchmark tables report it (in %)."""

    per_joint: np.ndarray
    groups: dict[str, float]

    @property
    def mean(self) -> float:
        return self.groups["Mean"]


_MPII_GROUPS = {
    "Head": ("head_top",), "Shoulder": ("left_shoulder", "right_shoulder"),
    "Elbow": ("left_elbow", "right_elbow"), "Wrist": ("left_wrist", "right_wrist"),
    "Hip": ("left_hip", "right_hip"), "Knee": ("left_knee", "right_knee"),
    "Ankle": ("left_ankle", "right_ankle"),
}


def mpii_pckh(pred, gt, visible, head_boxes, alpha: float = 0.5) -> MpiiPCKh:
    """PCKh@alpha with the MPII protocol for MPII-16 joints.

    A group is the plain mean of its joints' PCKh; "Mean" pools every joint except
    pelvis and thorax (weighted by visible counts), as the official evaluation does.
    """
    visible = np.asarray(visible, bool)
    size = head_size(head_boxes)
    ok = (_normalised_distance(pred, gt, size) <= alpha) & visible
    count = visible.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_joint = 100.0 * ok.sum(axis=0) / count
    groups = {}
    for name, joints in _MPII_GROUPS.items():
        idx = [MPII16.index(j) for j in joints]
        groups[name] = float(np.mean(per_joint[idx]))
    keep = [i for i, n in enumerate(MPII16.names) if n not in ("pelvis", "thorax")]
    groups["Mean"] = float(100.0 * ok[:, keep].sum() / max(count[keep].sum(), 1))
    return MpiiPCKh(per_joint, groups)
