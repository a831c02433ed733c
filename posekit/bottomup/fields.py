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

The heatmaps are resampled whole (every grid pixel is searched for peaks). The PAFs are read only
along the candidate limbs, so they stay at the networks' resolution and :class:`ResampledMaps`
computes the same bicubic values (OpenCV's kernel, a = -0.75, border replicated) at just the grid
pixels the grouping samples: equal to resampling them whole within 1e-5, at a fraction of the cost.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..skeletons import Skeleton

__all__ = ["FieldGrid", "ResampledMaps", "limb_flip", "compute_fields"]


_CUBIC_A = -0.75  # OpenCV's bicubic kernel (cv2.INTER_CUBIC)


def _cubic_weights(f: np.ndarray) -> np.ndarray:
    """(..., 4) weights of the taps at -1, 0, 1, 2 for fractional offsets ``f`` (Keys' kernel, a = -0.75)."""
    a, x, y = _CUBIC_A, f + 1.0, 1.0 - f
    w0 = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    w1 = ((a + 2) * f - (a + 3)) * f * f + 1
    w2 = ((a + 2) * y - (a + 3)) * y * y + 1
    return np.stack([w0, w1, w2, 1.0 - w0 - w1 - w2], axis=-1)


class ResampledMaps:
    """The average of several runs' low-resolution maps on the decoding grid, computed only where read.

    Each run is (maps (C, h, w), the affine map grid pixel -> map cell ``x = ax u + bx``, ``y = ay v + by``,
    and per output channel its source channel and sign). ``shape`` is (C, H, W) of the grid;
    ``maps[c][yi, xi]`` gives channel ``c`` at integer grid pixels (arrays of any shape), the value a
    bicubic resampling of the whole map would hold there; :meth:`dense` resamples everything.
    """

    def __init__(self, channels: int, size: tuple[int, int]):
        self.shape = (channels, size[1], size[0])
        self.runs: list[tuple[np.ndarray, tuple[float, float, float, float], np.ndarray, np.ndarray]] = []
        self._last = None

    def add(self, maps: np.ndarray, ax: float, bx: float, ay: float, by: float, source=None, sign=None) -> None:
        c = self.shape[0]
        source = np.arange(c) if source is None else np.asarray(source, int)
        sign = np.ones(c, np.float32) if sign is None else np.asarray(sign, np.float32)
        self.runs.append((np.ascontiguousarray(maps, np.float32), (ax, bx, ay, by), source, sign))
        self._last = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, c: int) -> "_Channel":
        return _Channel(self, int(c))

    def sample(self, c: int, yi: np.ndarray, xi: np.ndarray) -> np.ndarray:
        points, back, taps = self._prepare(yi, xi)
        total = np.zeros(len(points), np.float32)
        for (maps, _, source, sign), (ys, xs, wy, wx) in zip(self.runs, taps):
            values = maps[source[c]][ys[:, :, None], xs[:, None, :]]  # (n, 4, 4)
            total += sign[c] * np.einsum("nij,ni,nj->n", values, wy, wx)
        return (total / len(self.runs))[back].reshape(np.shape(yi))

    def _prepare(self, yi, xi):
        """The distinct grid pixels asked for (limbs share many samples), and per run their 4 x 4 taps
        and weights; kept for the next call with the same index arrays (a limb's x, then its y)."""
        if self._last is not None and self._last[0] is yi and self._last[1] is xi:
            return self._last[2]
        flat = (np.asarray(yi) * self.shape[2] + np.asarray(xi)).ravel()
        points, back = np.unique(flat, return_inverse=True)
        v, u = np.divmod(points, self.shape[2])
        taps = []
        for maps, (ax, bx, ay, by), _, _ in self.runs:
            h, w = maps.shape[1:]
            sx, sy = ax * u + bx, ay * v + by
            x0, y0 = np.floor(sx), np.floor(sy)
            taps.append((np.clip(y0.astype(np.int64)[:, None] + np.arange(-1, 3), 0, h - 1),
                         np.clip(x0.astype(np.int64)[:, None] + np.arange(-1, 3), 0, w - 1),
                         _cubic_weights(sy - y0).astype(np.float32), _cubic_weights(sx - x0).astype(np.float32)))
        self._last = (yi, xi, (points, back, taps))
        return self._last[2]

    def dense(self) -> np.ndarray:
        """(C, H, W): every grid pixel of every channel."""
        _, h, w = self.shape
        v, u = np.divmod(np.arange(h * w), w)
        return np.stack([self.sample(c, v, u).reshape(h, w) for c in range(self.shape[0])])


class _Channel:
    """One channel of :class:`ResampledMaps`, indexed ``[yi, xi]`` as a (H, W) array would be."""

    def __init__(self, maps: ResampledMaps, c: int):
        self.maps, self.c, self.shape = maps, c, maps.shape[1:]

    def __getitem__(self, index) -> np.ndarray:
        yi, xi = index
        return self.maps.sample(self.c, yi, xi)


@dataclass
class FieldGrid:
    """Maps on the decoding grid and how grid pixels relate to image pixels:
    image x = (u + 0.5) / factor - 0.5 (likewise y)."""

    heatmaps: np.ndarray  # (K+1, H, W), last = background
    pafs: ResampledMaps  # (2L, H, W), read where sampled (``pafs.dense()`` for the whole array)
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
    heat_sum = None
    pafs = ResampledMaps(2 * len(limbs), (gw, gh))
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
                heat_g = _upsample(heat, upsample, (gw, gh))
            else:
                heat_g = _warp(heat, np.array([[ax, 0, bx], [0, a, b]], np.float64), (gw, gh))
            if mirrored:  # the mirrored keypoints' maps; the mirrored limbs' fields, x negated
                heat_g = heat_g[flip_k]
                pafs.add(paf, ax, bx, a, b, (2 * flip_l[:, None] + np.arange(2)).ravel(),
                         np.tile([-1.0, 1.0], len(flip_l)))
            else:
                pafs.add(paf, ax, bx, a, b)
            heat_sum = heat_g if heat_sum is None else heat_sum + heat_g
            runs += 1
    return FieldGrid(heat_sum / runs, pafs, factor)


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
