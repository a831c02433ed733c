"""Shared heatmap operations: Gaussian rendering, arg-max, sub-pixel refinement.

All functions are batched over leading ``(N, K)`` axes and vectorised (no loop
over people or keypoints). Heatmap coordinates put the centre of heatmap pixel
``(i, j)`` at ``(x=j, y=i)``.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import convolve1d

__all__ = ["render_gaussians", "heatmap_argmax", "refine_quarter", "refine_dark", "modulate"]


def render_gaussians(centres: np.ndarray, valid: np.ndarray, size: tuple[int, int], sigma: float,
                     unbiased: bool = True, radius: float = 3.0) -> np.ndarray:
    """Unnormalised 2D Gaussians (peak 1) at ``centres`` (N, K, 2) in heatmap pixels.

    ``size`` is (W, H). ``unbiased=True`` centres the Gaussian at the exact sub-pixel
    position (DARK, Zhang et al. 2020; UDP, Huang et al. 2020); ``False`` rounds
    it to the nearest pixel first as Xiao et al. (2018) did. Values further than
    ``radius * sigma`` from the centre along either axis are zero; invalid
    keypoints (``valid`` False) give an all-zero map. Returns (N, K, H, W) float32.
    """
    w, h = size
    c = np.asarray(centres, dtype=np.float64)
    if not unbiased:
        c = np.floor(c + 0.5)
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    dx = xs[None, None, :] - c[..., 0:1]  # (N, K, W)
    dy = ys[None, None, :] - c[..., 1:2]  # (N, K, H)
    gx = np.exp(-dx ** 2 / (2 * sigma ** 2)) * (np.abs(dx) <= radius * sigma)
    gy = np.exp(-dy ** 2 / (2 * sigma ** 2)) * (np.abs(dy) <= radius * sigma)
    maps = gy[..., :, None] * gx[..., None, :]
    return (maps * np.asarray(valid, bool)[..., None, None]).astype(np.float32)


def heatmap_argmax(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Location (x, y) and value of each map's maximum: (N, K, H, W) -> (N, K, 2), (N, K).

    Maps whose maximum is not positive get location (-1, -1), as in Xiao et al. (2018).
    """
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w)
    idx = flat.argmax(axis=2)
    vals = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    locs = np.stack([idx % w, idx // w], axis=-1).astype(np.float64)
    locs[vals <= 0] = -1
    return locs, vals.astype(np.float64)


def _neighbours(heatmaps: np.ndarray, locs: np.ndarray, offsets: list[tuple[int, int]]) -> list[np.ndarray]:
    """Values at ``locs + (dx, dy)`` for each offset, with edge clamping: each (N, K)."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w)
    x = locs[..., 0].astype(np.int64)
    y = locs[..., 1].astype(np.int64)
    out = []
    for dx, dy in offsets:
        xi = np.clip(x + dx, 0, w - 1)
        yi = np.clip(y + dy, 0, h - 1)
        out.append(np.take_along_axis(flat, (yi * w + xi)[..., None], axis=2)[..., 0].astype(np.float64))
    return out


def refine_quarter(heatmaps: np.ndarray, locs: np.ndarray) -> np.ndarray:
    """Shift each arg-max a quarter pixel towards its higher neighbour (Newell et al. 2016; Xiao et al. 2018)."""
    h, w = heatmaps.shape[2:]
    left, right, up, down = _neighbours(heatmaps, locs, [(-1, 0), (1, 0), (0, -1), (0, 1)])
    inside = (locs[..., 0] > 0) & (locs[..., 0] < w - 1) & (locs[..., 1] > 0) & (locs[..., 1] < h - 1)
    out = locs.copy()
    out[..., 0] += np.where(inside, 0.25 * np.sign(right - left), 0.0)
    out[..., 1] += np.where(inside, 0.25 * np.sign(down - up), 0.0)
    return out


def modulate(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """DARK's distribution modulation: Gaussian-blur each map, then rescale it to its original maximum.

    Zhang et al. (2020), eq. (8): smooths the multiple peaks of a predicted map so
    its log is close to a quadratic. ``kernel`` is the odd blur size (sigma from OpenCV's rule).
    """
    maps = np.asarray(heatmaps, dtype=np.float64)
    g = cv2.getGaussianKernel(kernel, 0, cv2.CV_64F)[:, 0]
    # separable blur with zeros beyond the border, as DARK's reference code pads before blurring
    # (a mirrored border would add a ghost of a peak near the edge and pull it outwards: 4.9 px
    # off for a keypoint 2.4 cells from the edge at stride 4)
    blurred = convolve1d(convolve1d(maps, g, axis=-1, mode="constant"), g, axis=-2, mode="constant")
    peak = maps.max(axis=(-2, -1), keepdims=True)
    bpeak = blurred.max(axis=(-2, -1), keepdims=True)
    return blurred * np.divide(peak, bpeak, out=np.zeros_like(peak), where=bpeak > 0)


def refine_dark(heatmaps: np.ndarray, locs: np.ndarray, kernel: int | None = 11, eps: float = 1e-10) -> np.ndarray:
    """DARK sub-pixel refinement by a second-order Taylor expansion of the log heatmap.

    Zhang et al., "Distribution-Aware Coordinate Representation for Human Pose
    Estimation", CVPR 2020, eq. (5)-(7): ``mu = m - H(m)^-1 D(m)`` with ``D`` and ``H``
    the first and second derivatives of ``log P`` at the arg-max ``m``, taken by
    central finite differences. ``kernel`` is the modulation blur (``None`` skips it).
    Keypoints whose arg-max lies on the border, or whose Hessian is not invertible, are
    left at ``locs``.
    """
    h, w = heatmaps.shape[2:]
    maps = modulate(heatmaps, kernel) if kernel else np.asarray(heatmaps, np.float64)
    logp = np.log(np.maximum(maps.astype(np.float64), eps))
    c, xp, xm, yp, ym, pp, pm, mp, mm = _neighbours(
        logp, locs, [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)])
    dx, dy = 0.5 * (xp - xm), 0.5 * (yp - ym)
    dxx, dyy = xp - 2 * c + xm, yp - 2 * c + ym
    dxy = 0.25 * (pp - pm - mp + mm)
    det = dxx * dyy - dxy ** 2
    inside = (locs[..., 0] >= 1) & (locs[..., 0] <= w - 2) & (locs[..., 1] >= 1) & (locs[..., 1] <= h - 2)
    ok = inside & (np.abs(det) > eps)
    safe = np.where(ok, det, 1.0)
    # inverse of [[dxx, dxy], [dxy, dyy]] applied to [dx, dy]
    step_x = (dyy * dx - dxy * dy) / safe
    step_y = (-dxy * dx + dxx * dy) / safe
    out = locs.copy()
    out[..., 0] -= np.where(ok, step_x, 0.0)
    out[..., 1] -= np.where(ok, step_y, 0.0)
    return out
