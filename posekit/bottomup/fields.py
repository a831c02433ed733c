"""Running a part-field network on a whole image: resize, pad, flip, scales, and the maps on one grid.

The image is resized (aspect kept, bicubic as Lightweight OpenPose's evaluation does) to each
network input height, padded on the right and bottom to a multiple of the stride with the
network's zero (grey 128), and run. A stride-``s`` output cell ``c`` is centred on input pixel
``s * c + (s - 1) / 2``, the centre of the input pixels it covers (the convention the targets
are encoded with, here and in Lightweight OpenPose's training code: a peak of the shipped
model sits 3.5 input pixels off with ``s * c``, measured on coco_mini). Every run's maps are resampled
(bicubic) straight onto one **decoding grid**, ``upsample`` times finer than the base height's
output, with the exact affine map between grid, image and each run's cells, and averaged: the
multi-scale and flip test of OpenPose (Cao et al. 2017) and Lightweight OpenPose (Osokin 2019).
A flipped run's heatmaps swap left and right; its PAFs swap the mirrored limbs and negate x.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..skeletons import Skeleton

__all__ = ["FieldGrid", "limb_flip", "compute_fields"]


@dataclass
class FieldGrid:
    """Maps on the decoding grid and how grid pixels relate to image pixels:
    image x = (u + 0.5) / factor - 0.5 (likewise y)."""

    heatmaps: np.ndarray  # (K+1, H, W), last = background
    pafs: np.ndarray  # (2L, H, W)
    factor: float

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        return (np.asarray(xy, np.float64) + 0.5) / self.factor - 0.5


def limb_flip(skeleton: Skeleton, limbs=None) -> np.ndarray:
    """For each limb, the index of its mirror image (the limb joining the mirrored keypoints)."""
    limbs = list(skeleton.limbs if limbs is None else limbs)
    flip = skeleton.flip_index()
    out = []
    for a, b in limbs:
        mirrored = (int(flip[a]), int(flip[b]))
        if mirrored not in limbs:
            raise ValueError(f"skeleton {skeleton.name}: limb {skeleton.names[a]}-{skeleton.names[b]} has no mirror "
                             f"limb ({skeleton.names[mirrored[0]]}-{skeleton.names[mirrored[1]]})")
        out.append(limbs.index(mirrored))
    return np.asarray(out, int)


def _prepare(image: np.ndarray, height: int, stride: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    h, w = image.shape[:2]
    f = height / h
    size = (max(1, round(w * f)), max(1, round(h * f)))
    scaled = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    ph, pw = -size[1] % stride, -size[0] % stride
    padded = cv2.copyMakeBorder(scaled, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    return padded, f, size


def compute_fields(run, image: np.ndarray, skeleton: Skeleton, limbs, heights=(368,), flip: bool = False,
                   upsample: int = 4, stride: int = 8) -> FieldGrid:
    """``run(x (1, 3, H, W) float RGB 0..255) -> (heatmaps (1, K+1, h, w), pafs (1, 2L, h, w))``
    on every height (the first is the base) and, with ``flip``, on the mirrored image too; the
    average on the decoding grid."""
    h, w = image.shape[:2]
    factor = heights[0] / h * upsample / stride
    gh, gw = max(1, round(h * factor)), max(1, round(w * factor))
    flip_k = np.append(skeleton.flip_index(), skeleton.num_keypoints) if flip else None
    flip_l = limb_flip(skeleton, limbs) if flip else None
    heat_sum = paf_sum = None
    runs = 0
    for height in heights:
        padded, f, size = _prepare(image, height, stride)
        for mirrored in ((False, True) if flip else (False,)):
            x = padded[:, ::-1] if mirrored else padded
            if mirrored:  # the padding stays on the right, where the network expects nothing
                x = np.concatenate([x[:, -size[0]:], x[:, :-size[0]]], axis=1) if x.shape[1] > size[0] else x
            heat, paf = run(np.ascontiguousarray(x.transpose(2, 0, 1)[None], np.float32))
            heat, paf = heat[0], paf[0]
            # grid u -> image x = (u + .5)/factor - .5 -> input x = (image x + .5) f - .5 -> cell (x - off) / stride
            off = (stride - 1) / 2
            a = f / factor / stride
            b = (0.5 * f / factor - 0.5 - off) / stride
            ax, bx = a, b
            if mirrored:  # input x' = size_w - 1 - input x
                ax, bx = -a, (size[0] - 1 - (0.5 * f / factor - 0.5) - off) / stride
            if height == heights[0] and not mirrored:  # the same map as the warp below, by a plain resize
                heat_g, paf_g = (_upsample(maps, upsample, (gw, gh)) for maps in (heat, paf))
            else:
                m = np.array([[ax, 0, bx], [0, a, b]], np.float64)
                heat_g = _warp(heat, m, (gw, gh))
                paf_g = _warp(paf, m, (gw, gh))
            if mirrored:
                heat_g = heat_g[flip_k]
                paf_g = paf_g.reshape(-1, 2, gh, gw)[flip_l]
                paf_g[:, 0] *= -1
                paf_g = paf_g.reshape(-1, gh, gw)
            heat_sum = heat_g if heat_sum is None else heat_sum + heat_g
            paf_sum = paf_g if paf_sum is None else paf_sum + paf_g
            runs += 1
    return FieldGrid(heat_sum / runs, paf_sum / runs, factor)


def _upsample(maps: np.ndarray, factor: int, size: tuple[int, int]) -> np.ndarray:
    """The base run's maps on the grid: OpenCV's resize by ``factor`` samples output pixel u at
    (u + 0.5) / factor - 0.5, which is the affine map of :func:`compute_fields` for the base height
    (a = 1 / factor, b = 0.5 / factor - 0.5 with the cell offset (s - 1) / 2); then cropped to the grid."""
    hwc = np.ascontiguousarray(maps.transpose(1, 2, 0))
    up = cv2.resize(hwc, (hwc.shape[1] * factor, hwc.shape[0] * factor), interpolation=cv2.INTER_CUBIC)
    up = up.reshape(up.shape[0], up.shape[1], -1)[:size[1], :size[0]]
    if up.shape[0] < size[1] or up.shape[1] < size[0]:  # rounding of a tiny image: replicate the border
        up = np.pad(up, ((0, size[1] - up.shape[0]), (0, size[0] - up.shape[1]), (0, 0)), mode="edge")
    return up.transpose(2, 0, 1)


def _warp(maps: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each channel sampled at cell coordinates ``m @ (u, v, 1)`` of grid pixel (u, v) (bicubic)."""
    hwc = np.ascontiguousarray(maps.transpose(1, 2, 0))
    out = []
    for i in range(0, hwc.shape[2], 4):  # OpenCV warps up to 4 channels at once
        chunk = np.ascontiguousarray(hwc[:, :, i:i + 4])
        res = cv2.warpAffine(chunk, m, size, flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REPLICATE)
        out.append(res.reshape(size[1], size[0], -1))
    return np.concatenate(out, axis=2).transpose(2, 0, 1)
