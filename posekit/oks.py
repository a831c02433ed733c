"""Object Keypoint Similarity (OKS), the COCO keypoint challenge's matching score.

OKS (Lin et al., COCO 2014; Ronchi & Perona, "Benchmarking and Error Diagnosis in
Multi-Instance Pose Estimation", ICCV 2017) is
``sum_i exp(-d_i^2 / (2 s^2 k_i^2)) [v_i > 0] / sum_i [v_i > 0]`` with ``s^2`` the
object's area and ``k_i = 2 sigma_i``. A ground truth with no labelled keypoint
(a crowd region) scores detections by their keypoints' distance outside a box
three times its size, over all keypoints, as cocoapi does.

The arithmetic follows cocoapi's ``computeOks`` operation for operation, including
the order of the summation, so values agree bit for bit.

A base module: evaluation, post-processing (OKS-NMS) and tracking all score poses
with it, so it imports nothing of posekit but NumPy. PCKh's head-size factor lives
here for the same reason (data readers, evaluation and video use it).
"""
from __future__ import annotations

import numpy as np

__all__ = ["oks_pairs", "oks_matrix", "MPII_HEAD_SCALE"]

MPII_HEAD_SCALE = 0.6  # the MPII evaluation's SC_BIAS: head size = 0.6 * head box diagonal

_EPS = np.spacing(1)
_CHUNK = 1 << 15  # pairs per block: bounds peak memory at a few MB per array


def oks_pairs(dt_xy: np.ndarray, gt_kp: np.ndarray, gt_area: np.ndarray, gt_box: np.ndarray,
              sigmas: np.ndarray, dt_index: np.ndarray, gt_index: np.ndarray) -> np.ndarray:
    """OKS of the pairs ``(dt_index[p], gt_index[p])``.

    ``dt_xy`` (D, K, 2) detections; ``gt_kp`` (G, K, 3) ground truth x, y, v;
    ``gt_area`` (G,); ``gt_box`` (G, 4) x, y, w, h; ``sigmas`` (K,). Returns (P,).
    """
    out = np.empty(len(dt_index), dtype=np.float64)
    variances = (np.asarray(sigmas, dtype=np.float64) * 2) ** 2
    dt_xy = np.asarray(dt_xy)[..., :2]  # detections' scores play no part
    for s in range(0, len(dt_index), _CHUNK):
        di, gi = dt_index[s:s + _CHUNK], gt_index[s:s + _CHUNK]
        out[s:s + _CHUNK] = _oks_block(dt_xy[di], gt_kp[gi], gt_area[gi], gt_box[gi], variances)
    return out


def oks_matrix(dt_xy: np.ndarray, gt_kp: np.ndarray, gt_area: np.ndarray, gt_box: np.ndarray,
               sigmas: np.ndarray) -> np.ndarray:
    """OKS between every detection and every ground truth of one image: (D, G)."""
    d, g = len(dt_xy), len(gt_kp)
    di, gi = np.repeat(np.arange(d), g), np.tile(np.arange(g), d)
    return oks_pairs(dt_xy, gt_kp, gt_area, gt_box, sigmas, di, gi).reshape(d, g)


def _oks_block(d: np.ndarray, g: np.ndarray, area: np.ndarray, box: np.ndarray,
               variances: np.ndarray) -> np.ndarray:
    n, k = g.shape[:2]
    xd, yd = d[..., 0], d[..., 1]
    vis = g[..., 2] > 0
    k1 = np.count_nonzero(vis, axis=1)
    dx = xd - g[..., 0]
    dy = yd - g[..., 1]
    none = k1 == 0
    if none.any():
        # No labelled keypoint: distance to a box three times the ground truth's.
        b = box[none]
        x0, x1 = b[:, 0] - b[:, 2], b[:, 0] + b[:, 2] * 2
        y0, y1 = b[:, 1] - b[:, 3], b[:, 1] + b[:, 3] * 2
        xn, yn = xd[none], yd[none]
        dx[none] = np.maximum(0, x0[:, None] - xn) + np.maximum(0, xn - x1[:, None])
        dy[none] = np.maximum(0, y0[:, None] - yn) + np.maximum(0, yn - y1[:, None])
    e = (dx ** 2 + dy ** 2) / variances / (area[:, None] + _EPS) / 2
    ex = np.exp(-e)
    out = np.empty(n, dtype=np.float64)
    if none.any():
        out[none] = ex[none].sum(axis=1) / k
    some = ~none
    if some.any():
        # cocoapi sums exp(-e[v > 0]) as a compact vector; summing the same values
        # compacted to the left, row by row with the same length, gives the same bits.
        ex_s, vis_s, k1_s = ex[some], vis[some], k1[some]
        compact = np.zeros_like(ex_s)
        rows, cols = np.nonzero(vis_s)
        compact[rows, np.cumsum(vis_s, axis=1)[rows, cols] - 1] = ex_s[rows, cols]
        sums = np.empty(len(k1_s), dtype=np.float64)
        for m in np.unique(k1_s):
            rows = k1_s == m
            sums[rows] = compact[rows, :m].sum(axis=1)
        out[some] = sums / k1_s
    return out
