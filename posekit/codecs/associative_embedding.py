"""Associative embedding: the image codec of Newell, Huang, Deng ("Associative Embedding: End-to-End
Learning for Joint Detection and Grouping", NIPS 2017) in HigherHRNet's multi-resolution form (Cheng,
Xiao, Wang, Shi, Huang, Zhang, "HigherHRNet: Scale-Aware Representation Learning for Bottom-Up Human
Pose Estimation", CVPR 2020).

The network predicts, per keypoint type, a **heatmap** and a **tag** map (one embedding value per
pixel, ``tag_per_joint`` as HigherHRNet's ``TAG_PER_JOINT: True``); grouping joins the detections
whose tags agree (:mod:`posekit.codecs.ae_grouping`).

**Encoding** one whole image, for every output resolution ``strides`` (HigherHRNet: 4 and 2, the
first being the one that carries tags); output cell ``(i, j)`` at stride ``s`` is centred at input
pixel ``(s j + s / 2 - 0.5, s i + s / 2 - 0.5)``:

- one heatmap per keypoint, ``exp(-d^2 / 2 sigma^2)`` with ``sigma = 2`` output cells at every
  resolution (HigherHRNet's ``DATASET.SIGMA: 2`` and its ``HeatmapGenerator``), cut to the square
  ``|dx|, |dy| <= 3 sigma + 1`` (its ``6 sigma + 3`` window), the maximum over people. The centre is the
  keypoint's sub-cell position; HigherHRNet rounds it down to a cell (``int(x)``) first;
- a keypoint counts when labelled (``visible > 0``) and its nearest cell lies on the grid (the
  generator skips the others);
- ``joints`` (``max_people``, K, 2) int64 for the tag loss, at the tag resolution: per person and
  keypoint the flat index ``k h w + i w + j`` of its cell in the (K, h, w) tag map and 1, or (0, 0)
  where it does not count (HigherHRNet's ``JointsGenerator``; ``max_people = 30`` its
  ``DATASET.MAX_NUM_PEOPLE``; people beyond it are dropped);
- a loss mask per resolution, ``mask`` (input pixels, 1 = counts) averaged over each cell.

**Decoding** (:meth:`AECodec.decode_image`) takes the heatmaps at the finest resolution (a network's
average over resolutions: :class:`~posekit.bottomup.associative_embedding.AEModel` ``.fields``) and
the tags at theirs, resizes both bilinearly to ``upsample`` times the heatmaps' grid (by default onto
the input itself, HigherHRNet's ``TEST.PROJECT2IMAGE: True``), groups them and maps the people back to
input pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .grid import cell_mask, check_grid, grid_size

__all__ = ["AECodec", "COCO_JOINT_ORDER"]

# HigherHRNet's ``joint_order`` for COCO (lib/core/group.py): head, shoulders, elbows... with the hips
# (12, 13 one-based) visited before the arms' ends
COCO_JOINT_ORDER = tuple(i - 1 for i in (1, 2, 3, 4, 5, 6, 7, 12, 13, 8, 9, 10, 11, 14, 15, 16, 17))


def _numpy(t) -> np.ndarray:
    return np.asarray(t.detach().float().cpu().numpy() if hasattr(t, "detach") else t, np.float32)


def _resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(C, h, w) -> (C, H, W) bilinear (OpenCV's INTER_LINEAR is torch's ``align_corners=False``)."""
    if maps.shape[1:] == (size[1], size[0]) or not len(maps):
        return maps
    up = cv2.resize(maps.transpose(1, 2, 0), size, interpolation=cv2.INTER_LINEAR)
    return up.reshape(size[1], size[0], -1).transpose(2, 0, 1)


@dataclass(frozen=True)
class AECodec:
    """Heatmaps at every resolution of ``strides`` + tag-loss indices at ``strides[0]``; decoding by tags.

    ``input_size`` (W, H) a multiple of every stride; ``num_keypoints`` K; ``joint_order`` the order
    grouping visits the keypoint types (None: 0..K-1); ``upsample`` how many times the heatmaps' grid
    the maps are resized to before grouping (None: onto the input, ``strides[-1]``); ``grouping`` goes to
    :func:`~posekit.codecs.ae_grouping.group_by_tags` as keyword arguments.
    """

    input_size: tuple[int, int]
    num_keypoints: int
    strides: tuple[int, ...] = (4, 2)
    sigma: float = 2.0
    max_people: int = 30
    joint_order: tuple[int, ...] | None = None
    upsample: int | None = None
    grouping: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for s in self.strides:
            check_grid(self.input_size, s)

    @property
    def tag_stride(self) -> int:
        return self.strides[0]

    def map_size(self, stride: int) -> tuple[int, int]:
        """(W, H) of the grid at ``stride``."""
        return grid_size(self.input_size, stride)

    def to_grid(self, keypoints: np.ndarray, stride: int) -> np.ndarray:
        """Input pixels -> grid cells at ``stride`` (cell centres at integers)."""
        return (np.asarray(keypoints, np.float64) + 0.5) / stride - 0.5

    def _counted(self, keypoints: np.ndarray, visible: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
        """(grid positions (P, K, 2), counted (P, K)): labelled and with the nearest cell on the grid."""
        g = self.to_grid(keypoints, stride)
        cell = np.round(g)
        w, h = self.map_size(stride)
        inside = (cell[..., 0] >= 0) & (cell[..., 0] < w) & (cell[..., 1] >= 0) & (cell[..., 1] < h)
        return g, (np.asarray(visible) > 0) & inside

    def gaussians(self, keypoints: np.ndarray, visible: np.ndarray, stride: int) -> np.ndarray:
        """(P, K, h, w): each person's own Gaussian per keypoint at ``stride`` (before the maximum)."""
        g, counted = self._counted(keypoints, visible, stride)
        w, h = self.map_size(stride)
        dx = np.arange(w)[None, None, :] - g[..., 0:1]                    # (P, K, w)
        dy = np.arange(h)[None, None, :] - g[..., 1:2]                    # (P, K, h)
        cut = 3 * self.sigma + 1
        gx = np.where(np.abs(dx) <= cut, np.exp(-dx ** 2 / (2 * self.sigma ** 2)), 0.0)
        gy = np.where(np.abs(dy) <= cut, np.exp(-dy ** 2 / (2 * self.sigma ** 2)), 0.0)
        return gy[..., :, None] * gx[..., None, :] * counted[..., None, None]

    def heatmaps(self, keypoints: np.ndarray, visible: np.ndarray, stride: int) -> np.ndarray:
        """(K, h, w): the maximum over people of :meth:`gaussians`."""
        w, h = self.map_size(stride)
        if not len(keypoints):
            return np.zeros((self.num_keypoints, h, w))
        return self.gaussians(keypoints, visible, stride).max(axis=0)

    def joint_indices(self, keypoints: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """(max_people, K, 2) int64: flat index into the (K, h, w) tag map and whether it counts."""
        out = np.zeros((self.max_people, self.num_keypoints, 2), np.int64)
        g, counted = self._counted(keypoints[: self.max_people], visible[: self.max_people], self.tag_stride)
        w, h = self.map_size(self.tag_stride)
        cell = np.round(g).astype(np.int64)
        flat = np.arange(self.num_keypoints)[None] * h * w + cell[..., 1] * w + cell[..., 0]
        p = len(g)
        out[:p, :, 0] = np.where(counted, flat, 0)
        out[:p, :, 1] = counted
        return out

    def loss_mask(self, mask: np.ndarray | None, stride: int) -> np.ndarray:
        """(h, w) the fraction of each cell's input pixels whose loss counts (all 1 without ``mask``)."""
        return cell_mask(mask, self.input_size, stride)

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict:
        """Targets of one image: ``heatmaps_r`` (K, h_r, w_r) and ``mask_r`` (h_r, w_r) float32 for each
        resolution ``r`` of ``strides`` (0: the coarsest, which carries tags), ``joints`` (max_people, K, 2)
        int64; ``keypoints`` (P, K, 2) in input pixels, ``visible`` (P, K)."""
        kp = np.asarray(keypoints, np.float64).reshape(-1, self.num_keypoints, 2)
        vis = np.asarray(visible).reshape(-1, self.num_keypoints)
        out = {"joints": self.joint_indices(kp, vis)}
        for r, s in enumerate(self.strides):
            out[f"heatmaps_{r}"] = self.heatmaps(kp, vis, s).astype(np.float32)
            out[f"mask_{r}"] = self.loss_mask(mask, s).astype(np.float32)
        return out

    def ideal_tags(self, keypoints: np.ndarray, visible: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(K, h, w) at the tag resolution: a perfect network's tag maps, person ``p``'s value
        ``values[p]`` wherever its Gaussian is the largest of its keypoint type, 0 where none reaches."""
        w, h = self.map_size(self.tag_stride)
        if not len(keypoints):
            return np.zeros((self.num_keypoints, h, w))
        g = self.gaussians(np.asarray(keypoints, np.float64), visible, self.tag_stride)
        owner = g.argmax(axis=0)
        return np.where(g.max(axis=0) > 0, np.asarray(values, np.float64)[owner], 0.0)

    def resized(self, outputs) -> tuple[np.ndarray, np.ndarray, float]:
        """``outputs`` (heatmaps (K, h, w) at ``strides[-1]``, tags (K[, D], h', w') at ``strides[0]``; torch
        or NumPy; batch of one or none) resized to the grouping grid: heatmaps (K, H, W), tags (K, H, W, D),
        and the grid's stride in input pixels."""
        heat, tags = (_numpy(t) for t in outputs)
        if heat.ndim == 4:                                                  # a batch of one
            heat, tags = heat[0], tags[0]
        k = self.num_keypoints
        tags = tags.reshape(k, -1, *tags.shape[-2:])                       # (K, D, h', w')
        stride = self.strides[-1]
        upsample = stride if self.upsample is None else self.upsample
        size = (heat.shape[2] * upsample, heat.shape[1] * upsample)
        heat = _resize(heat, size)
        d = tags.shape[1]
        tags = _resize(tags.reshape(k * d, *tags.shape[-2:]), size).reshape(k, d, size[1], size[0])
        return heat, tags.transpose(0, 2, 3, 1), stride / upsample

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People found in one image: keypoints (M, K, 2) in input pixels, scores (M, K) (0 where a
        part is missing), person scores (M,), best first."""
        from .ae_grouping import group_by_tags

        heat, tags, step = self.resized(outputs)
        settings = {"max_people": self.max_people, **self.grouping}
        kp, scores, person = group_by_tags(heat, tags, self.joint_order, **settings)
        return (kp + 0.5) * step - 0.5, scores, person
