"""Non-maximum suppression of duplicate poses by Object Keypoint Similarity.

OKS-NMS (Papandreou et al., "Towards Accurate Multi-person Pose Estimation in the Wild",
CVPR 2017; used by SimpleBaseline and HRNet on detector boxes) keeps the highest-scoring
pose and drops every other pose whose OKS with it exceeds a threshold. Soft-OKS-NMS
(after Soft-NMS, Bodla et al., ICCV 2017) decays the others' scores instead of dropping them.
"""
from __future__ import annotations

import numpy as np

from ..oks import oks_matrix

__all__ = ["oks_between", "oks_nms", "soft_oks_nms"]


def oks_between(keypoints: np.ndarray, keypoint_scores: np.ndarray, areas: np.ndarray, sigmas: np.ndarray,
                keypoint_threshold: float = 0.0) -> np.ndarray:
    """(N, N) OKS of every pose against every other, each taken as the reference in turn (columns),
    over the reference's keypoints scoring above ``keypoint_threshold``."""
    kp = np.asarray(keypoints, np.float64)
    ref = np.concatenate([kp, np.where(np.asarray(keypoint_scores) > keypoint_threshold, 2.0, 0.0)[..., None]], -1)
    # a reference with no keypoint above the threshold counts all of its keypoints
    none = ref[..., 2].max(axis=1) == 0
    ref[none, :, 2] = 2.0
    boxes = np.zeros((len(kp), 4))
    return oks_matrix(kp, ref, np.asarray(areas, np.float64), boxes, np.asarray(sigmas, np.float64))


def oks_nms(keypoints: np.ndarray, keypoint_scores: np.ndarray, scores: np.ndarray, areas: np.ndarray,
            sigmas: np.ndarray, threshold: float = 0.9, keypoint_threshold: float = 0.0) -> np.ndarray:
    """Indices of the poses kept, highest score first. Shapes: (N, K, 2), (N, K), (N,), (N,)."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    oks = oks_between(keypoints, keypoint_scores, areas, sigmas, keypoint_threshold)
    alive = np.ones(len(order), bool)
    keep = []
    for pos, i in enumerate(order):
        if not alive[pos]:
            continue
        keep.append(i)
        alive[pos + 1:] &= oks[order[pos + 1:], i] <= threshold
    return np.asarray(keep, np.int64)


def soft_oks_nms(keypoints: np.ndarray, keypoint_scores: np.ndarray, scores: np.ndarray, areas: np.ndarray,
                 sigmas: np.ndarray, threshold: float = 0.3, method: str = "gaussian", sigma: float = 0.5,
                 min_score: float = 0.0, keypoint_threshold: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Soft suppression: each pose, taken in order of its current score, decays the rest by
    ``1 - oks`` where ``oks > threshold`` ("linear") or by ``exp(-oks^2 / sigma)`` ("gaussian").

    Returns the kept indices (score above ``min_score``), best first, and their new scores.
    """
    s = np.asarray(scores, np.float64).copy()
    oks = oks_between(keypoints, keypoint_scores, areas, sigmas, keypoint_threshold)
    todo = list(range(len(s)))
    order = []
    while todo:
        i = max(todo, key=lambda j: s[j])
        todo.remove(i)
        order.append(i)
        if not todo:
            break
        rest = np.asarray(todo)
        o = oks[rest, i]
        decay = np.where(o > threshold, 1 - o, 1.0) if method == "linear" else np.exp(-o ** 2 / sigma)
        s[rest] *= decay
    order = np.asarray(order, np.int64)
    kept = order[s[order] > min_score]
    return kept, s[kept]
