"""Top-down crop transforms: person box -> centre/scale -> (augmented) affine crop.

The recipe of Xiao et al. (SimpleBaseline, ECCV 2018) and Sun et al. (HRNet, CVPR 2019):
box to centre and scale with the network's aspect ratio and 1.25 padding, random scale
and rotation, horizontal flip with the skeleton's flip pairs, half-body crops, and an
OpenCV affine warp. ``udp=True`` measures sizes in unit lengths between pixel centres,
``(size - 1)``, as the Unbiased Data Processing of Huang et al. (CVPR 2020) requires.

Coordinates: the centre of pixel ``(row i, column j)`` is ``(x=j, y=i)``, OpenCV's
convention, in the image and in the crop alike. Scales are box sizes in image pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["box_to_center_scale", "crop_matrix", "flip_matrix", "apply_affine", "invert_affine", "warp",
           "lower_body_mask", "half_body_box", "color_jitter", "RandomAugment", "normalize_image",
           "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
_LOWER_BODY_WORDS = ("hip", "knee", "ankle", "heel", "toe", "foot", "pelvis")


def box_to_center_scale(boxes: np.ndarray, aspect_ratio: float, padding: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) x, y, w, h boxes -> centres (N, 2) and scales (N, 2) = padded box (w, h) with w / h = ``aspect_ratio``.

    The shorter side is grown to the aspect ratio, then both sides are multiplied by ``padding``.
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    centres = b[:, :2] + b[:, 2:] / 2
    w, h = b[:, 2].copy(), b[:, 3].copy()
    wide = w > aspect_ratio * h
    h = np.where(wide, w / aspect_ratio, h)
    w = np.where(wide, w, h * aspect_ratio)
    return centres, np.stack([w, h], axis=1) * padding


def crop_matrix(centres: np.ndarray, scales: np.ndarray, output_size: tuple[int, int],
                rotation: np.ndarray | float = 0.0, udp: bool = False) -> np.ndarray:
    """Affine matrices (N, 2, 3) mapping image pixels to crop pixels.

    The box of size ``scales`` (N, 2) centred at ``centres`` (N, 2), rotated by ``rotation``
    degrees (N,) (positive turns the person counter-clockwise in the crop), fills the
    ``output_size`` (W, H) crop.
    """
    c = np.asarray(centres, np.float64).reshape(-1, 2)
    s = np.asarray(scales, np.float64).reshape(-1, 2)
    n = len(c)
    size = np.asarray(output_size, np.float64)
    span = size - 1 if udp else size
    f = span / s                                             # (N, 2) crop pixels per image pixel
    theta = np.deg2rad(np.broadcast_to(np.asarray(rotation, np.float64), (n,)))
    cos, sin = np.cos(theta), np.sin(theta)
    # crop = D + F R (p - c), with D the crop centre and R a rotation by -theta (image y points down)
    a = np.empty((n, 2, 3))
    a[:, 0, 0], a[:, 0, 1] = f[:, 0] * cos, f[:, 0] * sin
    a[:, 1, 0], a[:, 1, 1] = -f[:, 1] * sin, f[:, 1] * cos
    dst = (size - 1) / 2 if udp else size / 2
    a[:, :, 2] = dst - np.einsum("nij,nj->ni", a[:, :, :2], c)
    return a


def flip_matrix(width: int) -> np.ndarray:
    """(3, 3) homogeneous mirror of a ``width``-wide crop: x -> width - 1 - x (pixel ``j`` -> ``width - 1 - j``)."""
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def apply_affine(points: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Points (N, K, 2) through per-person matrices (N, 2, 3) (or one (2, 3) for all)."""
    p = np.asarray(points, np.float64)
    m = np.asarray(matrices, np.float64)
    if m.ndim == 2:
        return p @ m[:, :2].T + m[:, 2]
    return np.einsum("nij,nkj->nki", m[:, :, :2], p) + m[:, None, :, 2]


def invert_affine(matrices: np.ndarray) -> np.ndarray:
    """Inverse of (..., 2, 3) affine matrices."""
    m = np.asarray(matrices, np.float64)
    lin = np.linalg.inv(m[..., :2])
    return np.concatenate([lin, -(lin @ m[..., 2:])], axis=-1)


def warp(image: np.ndarray, matrix: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
    """The crop: ``image`` resampled through ``matrix`` (2, 3) with bilinear interpolation, black outside."""
    return cv2.warpAffine(image, np.asarray(matrix, np.float64), tuple(int(v) for v in output_size),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def lower_body_mask(names: tuple[str, ...]) -> np.ndarray:
    """(K,) True for lower-body keypoints, recognised by name (hips, knees, ankles, feet)."""
    return np.array([any(w in n.lower() for w in _LOWER_BODY_WORDS) for n in names], bool)


def half_body_box(keypoints: np.ndarray, visible: np.ndarray, lower: np.ndarray, rng: np.random.Generator,
                  aspect_ratio: float, min_keypoints: int = 8, padding: float = 1.5):
    """Half-body augmentation (Wang et al. 2020, used by HRNet): centre and scale around the
    visible upper- or lower-body keypoints of one person, or ``None`` if too few are labelled.

    ``keypoints`` (K, 2), ``visible`` (K,), ``lower`` (K,) from :func:`lower_body_mask`.
    """
    vis = np.asarray(visible) > 0
    if vis.sum() <= min_keypoints:
        return None
    upper_sel, lower_sel = vis & ~lower, vis & lower
    pick = upper_sel if (rng.random() < 0.5 and upper_sel.sum() > 2) or lower_sel.sum() <= 2 else lower_sel
    if pick.sum() < 2:
        return None
    pts = keypoints[pick]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centres, scales = box_to_center_scale(np.concatenate([lo, hi - lo])[None], aspect_ratio, padding)
    return centres[0], scales[0]


def color_jitter(image: np.ndarray, rng: np.random.Generator, brightness: float = 0.0,
                 contrast: float = 0.0, saturation: float = 0.0) -> np.ndarray:
    """Random brightness, contrast and saturation factors in ``[1 - v, 1 + v]`` on an RGB uint8 image."""
    if not (brightness or contrast or saturation):
        return image
    img = image.astype(np.float32)
    if brightness:
        img *= rng.uniform(1 - brightness, 1 + brightness)
    if contrast:
        img = (img - img.mean()) * rng.uniform(1 - contrast, 1 + contrast) + img.mean()
    if saturation:
        grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
        img = (img - grey[..., None]) * rng.uniform(1 - saturation, 1 + saturation) + grey[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def normalize_image(crop: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> ImageNet-normalised float32 (3, H, W)."""
    return ((crop.astype(np.float32) / 255 - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1).copy()


@dataclass(frozen=True)
class RandomAugment:
    """Training augmentation of Xiao et al. (2018) / Sun et al. (2019); defaults are theirs for COCO."""

    flip_prob: float = 0.5
    scale_factor: float = 0.35          # scale *= clip(1 + N(0, sf), 1 - sf, 1 + sf)
    rotation_factor: float = 45.0       # rotation = clip(N(0, rf), -2 rf, 2 rf) degrees ...
    rotation_prob: float = 0.6          # ... with this probability
    half_body_prob: float = 0.3
    half_body_min_keypoints: int = 8
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    # pixel-level kinds (posekit.topdown.pixel_augment), all off by default
    hue: float = 0.0                    # max hue shift, degrees
    gamma: float = 0.0                  # gamma log-uniform in [1 / (1 + g), 1 + g]
    noise: float = 0.0                  # Gaussian noise, std up to this fraction of full scale
    jpeg_prob: float = 0.0
    motion_blur_prob: float = 0.0
    defocus_prob: float = 0.0
    erase_prob: float = 0.0             # random erasing (Zhong et al. 2020)
    occluder_prob: float = 0.0          # synthetic occluders over joints; covered joints become v = 1

    def sample(self, rng: np.random.Generator) -> tuple[float, float, bool]:
        """One draw of (scale multiplier, rotation degrees, flip)."""
        sf, rf = self.scale_factor, self.rotation_factor
        s = float(np.clip(1 + rng.standard_normal() * sf, 1 - sf, 1 + sf))
        r = float(np.clip(rng.standard_normal() * rf, -2 * rf, 2 * rf)) if rng.random() < self.rotation_prob else 0.0
        return s, r, bool(rng.random() < self.flip_prob)
