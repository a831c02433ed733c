"""Non-maximum suppression of duplicate poses by Object Keypoint Similarity.

OKS-NMS (Papandreou et al., "Towards Accurate Multi-person Pose Estimation in the Wild",
CVPR 2017; used by SimpleBaseline and HRNet on detector boxes) keeps the highest-scoring
pose and drops every other pose whose OKS with it exceeds a threshold. Soft-OKS-NMS
(after Soft-NMS, Bodla et al., ICCV 2017) decays the others' scores instead of dropping them.

The OKS between two poses is that of HRNet/SimpleBaseline's ``lib/nms/nms.py`` (``oks_iou``):
- the scale is the mean of the two poses' areas, ``(a_kept + a_other) / 2``, not the kept pose's;
- the areas are the caller's: HRNet passes each crop box's area (the detector box grown to the
  input's aspect ratio and by 1.25, ``prod(scale * 200)``);
- ``keypoint_threshold`` (their ``in_vis_thre``; None: every keypoint) keeps the keypoints of the
  *other* pose that score above it: their ``list(vg > t) and list(vd > t)`` evaluates to the
  second list. A pose with no keypoint above it has OKS 0 with everyone (it is never suppressed).
HRNet's own test calls ``oks_nms`` with ``in_vis_thre=None`` and threshold 0.9, as the defaults here.
Ties in score are taken in index order (HRNet's ``argsort()[::-1]`` takes the last index first).
Soft-OKS-NMS differs from HRNet's ``soft_oks_nms``: that one keeps at most 20 poses, decays
linearly where ``oks >= threshold`` and uses the threshold as the Gaussian's sigma.
"""
from __future__ import annotations

import numpy as np

__all__ = ["oks_between", "oks_nms", "soft_oks_nms"]


def oks_between(keypoints: np.ndarray, keypoint_scores: np.ndarray, areas: np.ndarray, sigmas: np.ndarray,
                keypoint_threshold: float | None = None) -> np.ndarray:
    """(N, N) OKS of pose ``i`` (row) against pose ``j`` (column), HRNet's ``oks_iou(g=j, d=i)``:
    ``mean_k exp(-d_k^2 / (2 ((a_i + a_j) / 2) (2 sigma_k)^2))`` over the keypoints of ``i`` scoring
    above ``keypoint_threshold`` (all of them when None). Shapes: (N, K, 2), (N, K), (N,), (K,)."""
    kp = np.asarray(keypoints, np.float64)[..., :2]
    areas = np.asarray(areas, np.float64)
    variances = (np.asarray(sigmas, np.float64) * 2) ** 2
    d2 = ((kp[:, None] - kp[None, :]) ** 2).sum(-1)  # (N, N, K)
    scale = (areas[:, None] + areas[None, :]) / 2 + np.spacing(1)
    ex = np.exp(-(d2 / variances / scale[..., None] / 2))
    if keypoint_threshold is None:
        return ex.mean(-1)
    use = np.asarray(keypoint_scores, np.float64) > keypoint_threshold  # (N, K): the row pose's keypoints
    n = use.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n[:, None] > 0, (ex * use[:, None, :]).sum(-1) / n[:, None], 0.0)


def oks_nms(keypoints: np.ndarray, keypoint_scores: np.ndarray, scores: np.ndarray, areas: np.ndarray,
            sigmas: np.ndarray, threshold: float = 0.9, keypoint_threshold: float | None = None) -> np.ndarray:
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
                 min_score: float = 0.0, keypoint_threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
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
