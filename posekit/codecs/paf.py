"""Part affinity fields: the image codec of OpenPose (Cao, Simon, Wei, Sheikh, "Realtime Multi-Person
2D Pose Estimation using Part Affinity Fields", CVPR 2017).

**Encoding** one whole image (every person at once) on the stride-8 output grid, cell ``(i, j)``
centred at input pixel ``(x = 8 j + 3.5, y = 8 i + 3.5)`` (CMU's ``start = stride / 2 - 0.5``):

- one confidence map per keypoint, ``exp(-d^2 / 2 sigma^2)`` with ``sigma = 7`` input pixels (the CMU
  training prototxt's ``sigma: 7``), zero where the exponent exceeds ln 100 (the CMU code's cut-off),
  the **maximum** over people (the paper's Eq. 7; the released code sums and clips at 1);
- a background map, ``1 - max`` over the keypoint maps (OpenPose's background channel);
- two channels per limb (x then y of the unit vector ``v`` from ``limb[0]`` to ``limb[1]``, Eq. 8): a
  cell gets the vector when its centre ``p`` lies within ``limb_width`` of the segment
  (``|v_perp . (p - a)| <= limb_width``) and projects onto it extended by ``limb_width`` at both ends
  (``-limb_width <= v . (p - a) <= |b - a| + limb_width``). The paper's Eq. 8 stops at the ends; the
  released code (``putVecMaps``) takes the segment's bounding box grown by the width, which this
  follows, so that limbs shorter than a cell (eye to ear, nose to eye) still get a field. ``limb_width``
  defaults to one grid cell, 8 input pixels: OpenPose's training code (``threshold = 1`` grid cell in
  ``putVecMaps``) and Lightweight OpenPose's ``paf_thickness = 1``. Where several people's limbs
  cover a cell their vectors are **averaged** (Eq. 9, the count of non-zero vectors);
- a loss mask on the grid: ``mask`` (input pixels, 1 = counts) averaged over each cell, so crowd
  regions and unlabelled people (which the dataset paints 0) leave the loss, as OpenPose's
  ``mask_miss`` does.

A keypoint counts when labelled (``visible > 0``, COCO's v = 1 or 2); a limb when both ends do. The
limbs are ``skeleton.limbs`` in order, which is the PAF channel order: for COCO posekit uses COCO-17
with its own 19 limbs (:data:`posekit.skeletons.COCO17`: 12 body links and 7 face-to-shoulder links),
not OpenPose's 18-point layout with a neck; MPII, CrowdPose or a custom skeleton bring their own.

**Decoding** upsamples the last stage's maps by ``upsample`` (bicubic, as OpenPose resizes its
outputs; 4 as Lightweight OpenPose's demo) and groups them with
:func:`posekit.codecs.paf_grouping.group_people` (OpenPose's greedy limb-by-limb assembly), then maps
the peaks back to input pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .grid import cell_mask, check_grid, grid_size

__all__ = ["PAFCodec"]


@dataclass(frozen=True)
class PAFCodec:
    """Encode whole images into confidence maps, background and PAFs; decode by OpenPose's grouping.

    ``input_size`` (W, H) of the network input, a multiple of ``stride``; ``limbs`` ((a, b), ...) in
    PAF channel order; ``num_keypoints`` K. ``grouping`` goes to ``group_people`` as keyword arguments
    (its defaults otherwise).
    """

    input_size: tuple[int, int]
    num_keypoints: int
    limbs: tuple[tuple[int, int], ...]
    stride: int = 8
    sigma: float = 7.0
    limb_width: float = 1.0                      # grid cells (8 input pixels)
    upsample: int = 4
    grouping: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_grid(self.input_size, self.stride)

    @property
    def map_size(self) -> tuple[int, int]:
        """(W, H) of the output grid."""
        return grid_size(self.input_size, self.stride)

    @property
    def num_limbs(self) -> int:
        return len(self.limbs)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Input-pixel x (W,) and y (H,) of the grid's cell centres."""
        w, h = self.map_size
        start = self.stride / 2 - 0.5
        return start + self.stride * np.arange(w), start + self.stride * np.arange(h)

    def confidence_maps(self, keypoints: np.ndarray, labelled: np.ndarray) -> np.ndarray:
        """(K, h, w): the maximum over people of each keypoint's Gaussian; ``keypoints`` (P, K, 2)."""
        xs, ys = self.cell_centres()
        dx2 = (xs[None, None, :] - keypoints[..., 0:1]) ** 2          # (P, K, w)
        dy2 = (ys[None, None, :] - keypoints[..., 1:2]) ** 2          # (P, K, h)
        exponent = (dy2[..., :, None] + dx2[..., None, :]) / (2 * self.sigma ** 2)
        maps = np.where(exponent > np.log(100.0), 0.0, np.exp(-exponent)) * labelled[..., None, None]
        return maps.max(axis=0) if len(maps) else np.zeros((self.num_keypoints,) + self.map_size[::-1])

    def affinity_fields(self, keypoints: np.ndarray, labelled: np.ndarray) -> np.ndarray:
        """(2L, h, w): per limb the mean over people of the unit vectors of the limbs covering each cell."""
        w, h = self.map_size
        out = np.zeros((2 * self.num_limbs, h, w))
        if not len(keypoints) or not self.num_limbs:
            return out
        xs, ys = self.cell_centres()
        grid = np.stack(np.meshgrid(xs / self.stride, ys / self.stride), -1)   # (h, w, 2) in grid cells
        a_idx, b_idx = np.asarray(self.limbs).T
        a, b = keypoints[:, a_idx] / self.stride, keypoints[:, b_idx] / self.stride   # (P, L, 2)
        length = np.linalg.norm(b - a, axis=-1)                                 # (P, L)
        valid = labelled[:, a_idx] & labelled[:, b_idx] & (length > 1e-7)
        v = (b - a) / np.maximum(length, 1e-7)[..., None]
        rel = grid[None, None] - a[:, :, None, None]                            # (P, L, h, w, 2)
        along = (rel * v[:, :, None, None]).sum(-1)
        across = np.abs(rel[..., 0] * v[:, :, None, None, 1] - rel[..., 1] * v[:, :, None, None, 0])
        w_ = self.limb_width
        on = ((along >= -w_) & (along <= length[:, :, None, None] + w_) & (across <= w_)
              & valid[:, :, None, None])                                       # (P, L, h, w)
        count = on.sum(0)
        summed = np.einsum("plhw,plc->lchw", on.astype(np.float64), v)          # (L, 2, h, w)
        return (summed / np.maximum(count, 1)[:, None]).reshape(2 * self.num_limbs, h, w)

    def loss_mask(self, mask: np.ndarray | None) -> np.ndarray:
        """(h, w) the fraction of each cell's input pixels whose loss counts (all 1 without ``mask``)."""
        return cell_mask(mask, self.input_size, self.stride)

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict:
        """Targets of one image: ``heatmaps`` (K+1, h, w) with the background last, ``pafs`` (2L, h, w)
        and ``mask`` (h, w), float32; ``keypoints`` (P, K, 2) in input pixels, ``visible`` (P, K)."""
        kp = np.asarray(keypoints, np.float64).reshape(-1, self.num_keypoints, 2)
        labelled = np.asarray(visible).reshape(-1, self.num_keypoints) > 0
        heat = self.confidence_maps(kp, labelled)
        background = 1.0 - (heat.max(axis=0) if len(heat) else 0.0)
        return {"heatmaps": np.concatenate([heat, background[None]]).astype(np.float32),
                "pafs": self.affinity_fields(kp, labelled).astype(np.float32),
                "mask": self.loss_mask(mask).astype(np.float32)}

    def upsampled(self, outputs) -> tuple[np.ndarray, np.ndarray]:
        """The last stage of ``outputs`` (a network's list of (heatmaps, pafs), or one pair; torch or
        NumPy; batch of one or none) upsampled: keypoint maps (K, uh, uw) without background, PAFs (2L, uh, uw)."""
        heat, paf = outputs[-1] if isinstance(outputs, list) else outputs
        heat, paf = (np.asarray(t.detach().float().cpu().numpy() if hasattr(t, "detach") else t, np.float32)
                     for t in (heat, paf))
        if heat.ndim == 4:
            heat, paf = heat[0], paf[0]
        u = self.upsample

        def resize(maps: np.ndarray) -> np.ndarray:
            if u == 1 or not len(maps):
                return maps
            up = cv2.resize(maps.transpose(1, 2, 0), None, fx=u, fy=u, interpolation=cv2.INTER_CUBIC)
            return up.reshape(up.shape[0], up.shape[1], -1).transpose(2, 0, 1)

        return resize(heat[: self.num_keypoints]), resize(paf)

    def to_input(self, points: np.ndarray) -> np.ndarray:
        """Upsampled-map pixels -> input pixels (OpenCV's resize puts source cell ``j`` at
        ``(j + 0.5) u - 0.5``, and cell ``j`` is centred at input ``stride j + stride / 2 - 0.5``)."""
        return (np.asarray(points, np.float64) + 0.5) * (self.stride / self.upsample) - 0.5

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People found in one image: keypoints (M, K, 2) in input pixels, scores (M, K) (0 where a
        part is missing), person scores (M,)."""
        from .paf_grouping import group_people

        heat, paf = self.upsampled(outputs)
        kp, scores, person = group_people(heat, paf, self.limbs, **self.grouping)
        return self.to_input(kp), scores, person
