"""The image codec of DEKR (Geng, Sun, Xiao, Zhang, Wang, "Bottom-Up Human Pose Estimation via
Disentangled Keypoint Regression", CVPR 2021): centre and joint heatmaps plus per-joint offsets from
each person's centre.

**Encoding** one whole image on the stride-4 output grid, cell ``(i, j)`` centred at input pixel
``(4 j + 1.5, 4 i + 1.5)`` (posekit's convention for every bottom-up codec), defaults from DEKR's
COCO configuration (``w32_4x_reg03_bs10_512``) and target generators:

- a person's **centre** is the mean of its labelled joints (DEKR's ``get_joints``);
- ``heatmaps`` (K+1, h, w): per joint the maximum over people of ``exp(-d^2 / 2 sigma^2)``, ``sigma = 2``
  cells (``SIGMA``), and the centre heatmap last with ``centre_sigma = 4`` (``CENTER_SIGMA``), each
  Gaussian cut ``3 sigma + 1`` cells from its peak (``HeatmapGenerator``'s window);
- ``heatmap_weights`` (K+1, h, w): 1 inside a Gaussian's window, ``bg_weight = 0.1`` elsewhere
  (``BG_WEIGHT``), times the loss mask (crowds and unlabelled people, averaged over each cell);
- ``offsets`` (2K, h, w): at every cell within ``radius = 4`` cells (``OFFSET_RADIUS``, Chebyshev) of a
  person's centre cell, ``cell - joint`` in cells for each labelled joint inside the map (DEKR's sign;
  the pose is read back as ``cell - offset``), and ``offset_weights`` ``1 / sqrt(w^2 + h^2)`` of the
  person's labelled joints' box in cells, the "1 / the person's size" of DEKR's ``OffsetGenerator``
  (its ``area`` is ``cal_area_2_torch``'s ``w^2 + h^2``), 0 elsewhere. Where two people's regions
  meet, DEKR's code gives the cell to the smaller person; posekit gives it to the person whose centre
  is nearer, so that each person's own centre cell carries that person's offsets (DEKR's rule can hand
  a large person's peak to a small neighbour). DEKR also drops the centres of people whose segment is
  under 32^2 pixels; keypoints carry no segment here, so every person with a labelled joint has one.

**Decoding** (:meth:`DEKRCodec.decode_image`): centre peaks (:func:`~posekit.codecs.centre_nms.centre_peaks`),
each peak's pose ``cell - offset`` (DEKR's ``offset_to_pose``), keypoint scores ``centre score x joint
heatmap`` at the regressed position (DEKR's ``pose_nms``, nearest cell), pose NMS by the mean joint
heat value (:func:`~posekit.codecs.centre_nms.pose_nms`), person score the mean keypoint score.
DEKR's learned OKS rescoring is :mod:`posekit.bottomup.rescore` (applied by the model, not the codec).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .centre_nms import centre_peaks, pose_nms
from .grid import cell_mask, check_grid, grid_size

__all__ = ["DEKRCodec", "person_centres", "cell_mask", "to_numpy"]


def to_numpy(t) -> np.ndarray:
    """A torch tensor or array as float32 NumPy, without a leading batch dimension of one."""
    a = np.asarray(t.detach().float().cpu().numpy() if hasattr(t, "detach") else t, np.float32)
    return a[0] if a.ndim == 4 else a


def person_centres(keypoints: np.ndarray, labelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, 2) the mean of each person's labelled joints, and (P,) whether it has any."""
    n = labelled.sum(1)
    centre = (keypoints * labelled[..., None]).sum(1) / np.maximum(n, 1)[:, None]
    return centre, n > 0


@dataclass(frozen=True)
class DEKRCodec:
    """Encode whole images into centre/joint heatmaps and per-joint offsets; decode by centre peaks.

    ``input_size`` (W, H), a multiple of ``stride``; ``num_keypoints`` K. Distances (``sigma``,
    ``centre_sigma``, ``radius``) are in output cells. Decoding: ``nms_kernel``, ``threshold``,
    ``max_people`` for the centre peaks; ``nms_threshold`` and ``nms_joints`` for pose NMS.
    """

    input_size: tuple[int, int]
    num_keypoints: int
    stride: int = 4
    sigma: float = 2.0
    centre_sigma: float = 4.0
    radius: int = 4
    bg_weight: float = 0.1
    nms_kernel: int = 5
    threshold: float = 0.01
    max_people: int = 30
    nms_threshold: float = 0.05
    nms_joints: int = 8

    def __post_init__(self) -> None:
        check_grid(self.input_size, self.stride)

    @property
    def map_size(self) -> tuple[int, int]:
        """(W, H) of the output grid."""
        return grid_size(self.input_size, self.stride)

    def to_cells(self, points: np.ndarray) -> np.ndarray:
        """Input pixels -> output cells (cell ``j`` centred at input ``stride j + (stride - 1) / 2``)."""
        return (np.asarray(points, np.float64) - (self.stride - 1) / 2) / self.stride

    def to_input(self, cells: np.ndarray) -> np.ndarray:
        return np.asarray(cells, np.float64) * self.stride + (self.stride - 1) / 2

    def _gaussians(self, points: np.ndarray, valid: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
        """Max over people of the cut Gaussians at ``points`` (P, J, 2) cells: maps (J, h, w), windows (J, h, w)."""
        w, h = self.map_size
        xs, ys = np.arange(w), np.arange(h)
        dx = xs[None, None] - points[..., 0:1]                              # (P, J, w)
        dy = ys[None, None] - points[..., 1:2]                              # (P, J, h)
        cut = 3 * sigma + 1
        window = ((np.abs(dy) <= cut)[..., :, None] & (np.abs(dx) <= cut)[..., None, :]) & valid[..., None, None]
        g = np.exp(-(dy[..., :, None] ** 2 + dx[..., None, :] ** 2) / (2 * sigma ** 2)) * window
        if not len(points):
            return np.zeros((points.shape[1], h, w)), np.zeros((points.shape[1], h, w), bool)
        return g.max(0), window.any(0)

    def heatmaps(self, cells: np.ndarray, labelled: np.ndarray, centres: np.ndarray, has_centre: np.ndarray):
        """(K+1, h, w) joint heatmaps and the centre heatmap, and their Gaussian windows."""
        joints, jw = self._gaussians(cells, labelled, self.sigma)
        centre, cw = self._gaussians(centres[:, None], has_centre[:, None], self.centre_sigma)
        return np.concatenate([joints, centre]), np.concatenate([jw, cw])

    def owners(self, centres: np.ndarray, has_centre: np.ndarray) -> np.ndarray:
        """(h, w) the person whose offsets each cell holds (-1 none): within ``radius`` of a centre's
        cell, the person with the nearest centre."""
        w, h = self.map_size
        if not len(centres):
            return np.full((h, w), -1)
        cell = np.round(centres)
        inside_map = (cell[:, 0] >= 0) & (cell[:, 0] < w) & (cell[:, 1] >= 0) & (cell[:, 1] < h) & has_centre
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        near = ((np.abs(gx[None] - cell[:, 0, None, None]) <= self.radius)
                & (np.abs(gy[None] - cell[:, 1, None, None]) <= self.radius) & inside_map[:, None, None])
        d2 = np.where(near, (gx[None] - centres[:, 0, None, None]) ** 2 + (gy[None] - centres[:, 1, None, None]) ** 2,
                      np.inf)
        owner = d2.argmin(0)
        return np.where(np.isfinite(d2.min(0)), owner, -1)

    def offsets(self, cells: np.ndarray, labelled: np.ndarray, centres: np.ndarray, has_centre: np.ndarray):
        """(2K, h, w) offsets ``cell - joint`` and (2K, h, w) their weights."""
        w, h = self.map_size
        k = self.num_keypoints
        owner = self.owners(centres, has_centre)
        out, weight = np.zeros((k, 2, h, w)), np.zeros((k, 2, h, w))
        rows, cols = np.nonzero(owner >= 0)
        if not len(rows):
            return out.reshape(2 * k, h, w), weight.reshape(2 * k, h, w)
        p = owner[rows, cols]
        inside = ((cells[..., 0] >= -0.5) & (cells[..., 0] < w - 0.5) & (cells[..., 1] >= -0.5)
                  & (cells[..., 1] < h - 0.5) & labelled)                   # (P, K)
        lo = np.where(labelled[..., None], cells, np.inf).min(1)
        hi = np.where(labelled[..., None], cells, -np.inf).max(1)
        size = np.sqrt(np.maximum(((hi - lo) ** 2).sum(1), 1.0))            # sqrt(w^2 + h^2), at least 1 cell
        xy = np.stack([cols, rows], 1).astype(np.float64)                   # (n, 2)
        out[:, :, rows, cols] = (xy[:, None] - cells[p]).transpose(1, 2, 0)
        weight[:, :, rows, cols] = (inside[p] / size[p][:, None])[..., None].repeat(2, -1).transpose(1, 2, 0)
        out *= weight > 0
        return out.reshape(2 * k, h, w), weight.reshape(2 * k, h, w)

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict:
        """Targets of one image (float32): ``heatmaps`` (K+1, h, w) with the centre last,
        ``heatmap_weights`` (K+1, h, w), ``offsets`` (2K, h, w), ``offset_weights`` (2K, h, w);
        ``keypoints`` (P, K, 2) in input pixels, ``visible`` (P, K)."""
        k = self.num_keypoints
        cells = self.to_cells(np.asarray(keypoints, np.float64).reshape(-1, k, 2))
        labelled = np.asarray(visible).reshape(-1, k) > 0
        centres, has_centre = person_centres(cells, labelled)
        heat, window = self.heatmaps(cells, labelled, centres, has_centre)
        weights = np.where(window, 1.0, self.bg_weight) * cell_mask(mask, self.input_size, self.stride)[None]
        offsets, offset_weights = self.offsets(cells, labelled, centres, has_centre)
        return {"heatmaps": heat.astype(np.float32), "heatmap_weights": weights.astype(np.float32),
                "offsets": offsets.astype(np.float32), "offset_weights": offset_weights.astype(np.float32)}

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People found in one image from (heatmaps (K+1, h, w), offsets (2K, h, w)) (torch or NumPy,
        batch of one or none): keypoints (M, K, 2) in input pixels, scores (M, K), person scores (M,),
        highest first."""
        heat, off = (to_numpy(t) for t in outputs[:2])
        k = self.num_keypoints
        h, w = heat.shape[-2:]
        rows, cols, centre_score = centre_peaks(heat[k], self.nms_kernel, self.threshold, self.max_people)
        if not len(rows):
            return np.zeros((0, k, 2)), np.zeros((0, k)), np.zeros(0)
        regressed = off.reshape(k, 2, h, w)[:, :, rows, cols].transpose(2, 0, 1)   # (M, K, 2)
        poses = np.stack([cols, rows], 1)[:, None].astype(np.float64) - regressed
        heat_value = joint_heat(heat[:k], poses)
        keep = pose_nms(poses, heat_value.mean(1), self.nms_threshold, self.nms_joints)
        poses, scores = poses[keep], (centre_score[:, None] * heat_value)[keep]
        person = scores.mean(1)
        order = np.argsort(-person, kind="stable")[: self.max_people]
        return self.to_input(poses[order]), scores[order], person[order]


def joint_heat(heatmaps: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """(M, K) each joint's heatmap at the nearest cell of its regressed position (clamped to the map)."""
    k, h, w = heatmaps.shape
    x = np.clip(np.round(poses[..., 0]), 0, w - 1).astype(int)
    y = np.clip(np.round(poses[..., 1]), 0, h - 1).astype(int)
    return heatmaps[np.arange(k)[None], y, x].astype(np.float64)
