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
_CHUNK = 1 << 12  # pairs per block: a block's arrays stay in cache


def oks_pairs(dt_xy: np.ndarray, gt_kp: np.ndarray, gt_area: np.ndarray, gt_box: np.ndarray,
              sigmas: np.ndarray, dt_index: np.ndarray, gt_index: np.ndarray) -> np.ndarray:
    """OKS of the pairs ``(dt_index[p], gt_index[p])``.

    ``dt_xy`` (D, K, 2) detections; ``gt_kp`` (G, K, 3) ground truth x, y, v;
    ``gt_area`` (G,); ``gt_box`` (G, 4) x, y, w, h; ``sigmas`` (K,). Returns (P,).
    """
    out = np.empty(len(dt_index), dtype=np.float64)
    if len(out) == 0:
        return out
    variances = (np.asarray(sigmas, dtype=np.float64) * 2) ** 2
    dt_xy, gt_kp = np.asarray(dt_xy, np.float64), np.asarray(gt_kp, np.float64)
    gt_box = np.asarray(gt_box, np.float64).reshape(-1, 4)
    dt_index, gt_index = np.asarray(dt_index, np.int64), np.asarray(gt_index, np.int64)
    k = gt_kp.shape[1]
    xd, yd = np.ascontiguousarray(dt_xy[..., 0]), np.ascontiguousarray(dt_xy[..., 1])  # scores play no part
    # cocoapi sums exp(-e) over the labelled keypoints as a compact vector. The compaction depends on
    # the ground truth only: each ground truth's labelled keypoints are moved to the front once
    # (all K keypoints, in order, when none is labelled), and the pairs gather in that order.
    vis = gt_kp[..., 2] > 0
    labelled = np.count_nonzero(vis, axis=1)
    none = labelled == 0
    cols = np.argsort(~vis, axis=1, kind="stable")
    terms = np.where(none, k, labelled)
    gx, gy = np.take_along_axis(gt_kp[..., 0], cols, 1), np.take_along_axis(gt_kp[..., 1], cols, 1)
    lo_x, hi_x = gt_box[:, 0] - gt_box[:, 2], gt_box[:, 0] + gt_box[:, 2] * 2
    lo_y, hi_y = gt_box[:, 1] - gt_box[:, 3], gt_box[:, 1] + gt_box[:, 3] * 2
    denom = np.asarray(gt_area, np.float64) + _EPS
    for s in range(0, len(dt_index), _CHUNK):
        di, gi = dt_index[s:s + _CHUNK], gt_index[s:s + _CHUNK]
        c = cols[gi]
        flat = c + (di * k)[:, None]
        xs, ys = xd.take(flat), yd.take(flat)
        dx, dy = xs - gx.take(gi, axis=0), ys - gy.take(gi, axis=0)
        nb = np.flatnonzero(none[gi])
        if len(nb):
            # No labelled keypoint: distance to a box three times the ground truth's.
            g, xn, yn = gi[nb], xs[nb], ys[nb]
            dx[nb] = np.maximum(0, lo_x[g][:, None] - xn) + np.maximum(0, xn - hi_x[g][:, None])
            dy[nb] = np.maximum(0, lo_y[g][:, None] - yn) + np.maximum(0, yn - hi_y[g][:, None])
        e = (dx * dx + dy * dy) / variances.take(c) / denom.take(gi)[:, None] / 2
        ex = np.exp(-e)
        n = terms[gi]
        ex *= np.arange(k)[None, :] < n[:, None]  # 0 beyond each pair's compact length: x + 0 == x
        out[s:s + _CHUNK] = _row_sums(ex, n) / n
    return out


def _row_sums(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``[c[i, :n[i]].sum() for i]`` bit for bit, for rows that are 0 beyond ``n[i]``.

    NumPy sums a vector of length ``n <= 128`` pairwise: one after another below 8, else
    eight running sums over the whole blocks of 8, added as a tree, then the rest one by one.
    The same additions column by column, with the zeros added where a row is shorter
    (adding 0 changes nothing), give each row's sum for all rows at once.
    """
    rows, k = c.shape
    if k > 128:  # pragma: no cover - no keypoint set is this large; NumPy's own sums, row length by length
        out = np.empty(rows)
        for m in np.unique(n):
            out[n == m] = c[n == m, :m].sum(axis=1)
        return out
    c = np.ascontiguousarray(c.T)  # one keypoint's terms of every row, contiguous
    seq = c[0].copy()
    for j in range(1, min(k, 7)):
        seq += c[j]
    if k < 8:
        return seq
    blocks = n // 8
    r = [c[j].copy() for j in range(8)]
    for b in range(1, k // 8):
        use = blocks > b
        for j in range(8):
            r[j] += c[8 * b + j] * use
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for i in range(8, k):
        res += c[i] * (i >= 8 * blocks)
    return np.where(n < 8, seq, res)


def oks_matrix(dt_xy: np.ndarray, gt_kp: np.ndarray, gt_area: np.ndarray, gt_box: np.ndarray,
               sigmas: np.ndarray) -> np.ndarray:
    """OKS between every detection and every ground truth of one image: (D, G)."""
    d, g = len(dt_xy), len(gt_kp)
    di, gi = np.repeat(np.arange(d), g), np.tile(np.arange(g), d)
    return oks_pairs(dt_xy, gt_kp, gt_area, gt_box, sigmas, di, gi).reshape(d, g)
