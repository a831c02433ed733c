"""Pixel-level training augmentation (survey section 3, data augmentation): photometric changes,
blur and occlusion, drawn from the sample's (seed, epoch, index) stream like the geometric ones.

Every kind is off by default and draws nothing from the stream while off, so enabling one leaves
the other draws of a run unchanged. The fields live on
:class:`~posekit.topdown.transforms.RandomAugment` (``posekit train --augment-*``):

- ``hue`` (max shift, degrees of the hue circle), ``gamma`` (gamma log-uniform in
  [1 / (1 + g), 1 + g]), ``noise`` (Gaussian noise with std uniform in [0, noise] of full scale),
  ``jpeg_prob`` (re-encoded at a quality uniform in 20-90);
- ``motion_blur_prob`` / ``defocus_prob``: the line and disk kernels of
  :mod:`posekit.data.corruptions`, up to 4% / 2% of the crop's short side;
- ``erase_prob``: random erasing (Zhong et al., "Random Erasing Data Augmentation", AAAI 2020):
  one rectangle of 2-40% of the area, aspect 0.3-3.3, filled with uniform noise; keypoints keep
  their labels (the network must infer hidden joints);
- ``occluder_prob``: synthetic occluders pasted over joints (the textured patches of
  :func:`posekit.data.corruptions.occlusion`, one or two of them), and the covered visible joints
  become v = 1 (labelled, occluded), as the generator marks them.
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["pixel_augment", "random_erase"]


def random_erase(image: np.ndarray, rng: np.random.Generator, area=(0.02, 0.4), aspect=(0.3, 3.3)) -> np.ndarray:
    """One random rectangle of ``image`` replaced by uniform noise (Zhong et al. 2020)."""
    h, w = image.shape[:2]
    for _ in range(10):
        a = rng.uniform(*area) * h * w
        r = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1])))
        eh, ew = int(round(np.sqrt(a * r))), int(round(np.sqrt(a / r)))
        if 0 < eh < h and 0 < ew < w:
            y, x = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
            out = image.copy()
            out[y:y + eh, x:x + ew] = rng.integers(0, 256, (eh, ew, image.shape[2]), dtype=np.uint8)
            return out
    return image


def _hue(image: np.ndarray, shift: float) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + int(round(shift / 360 * 256))) % 256).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)


def pixel_augment(image: np.ndarray, rng: np.random.Generator, augment, keypoints: np.ndarray | None = None,
                  visible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``image`` (H, W, 3) RGB uint8 with ``augment``'s pixel kinds applied; ``keypoints`` (P, K, 2)
    and ``visible`` (P, K) in the image's pixels give where occluders go, and the visibility comes
    back updated (``None`` when no visibility was given)."""
    from ..data.corruptions import defocus_kernel, motion_blur_kernel, occlusion

    a, img = augment, image
    vis = None if visible is None else np.array(visible, copy=True)
    short = min(img.shape[:2])
    if getattr(a, "hue", 0.0):
        img = _hue(img, rng.uniform(-a.hue, a.hue))
    if getattr(a, "gamma", 0.0):
        g = float(np.exp(rng.uniform(-np.log1p(a.gamma), np.log1p(a.gamma))))
        img = (255.0 * (img / 255.0) ** g).round().astype(np.uint8)
    if getattr(a, "noise", 0.0):
        std = rng.uniform(0, a.noise) * 255
        img = np.clip(img + rng.normal(0, std, img.shape), 0, 255).astype(np.uint8)
    if getattr(a, "motion_blur_prob", 0.0) and rng.random() < a.motion_blur_prob:
        length = max(2.0, rng.uniform(0.01, 0.04) * short)
        img = cv2.filter2D(img, -1, motion_blur_kernel(length, rng.uniform(0, np.pi)), borderType=cv2.BORDER_REFLECT)
    if getattr(a, "defocus_prob", 0.0) and rng.random() < a.defocus_prob:
        img = cv2.filter2D(img, -1, defocus_kernel(max(1.0, rng.uniform(0.005, 0.02) * short)),
                           borderType=cv2.BORDER_REFLECT)
    if getattr(a, "jpeg_prob", 0.0) and rng.random() < a.jpeg_prob:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 91))])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if getattr(a, "erase_prob", 0.0) and rng.random() < a.erase_prob:
        img = random_erase(img, rng)
    if getattr(a, "occluder_prob", 0.0) and rng.random() < a.occluder_prob:
        kp3 = None
        if keypoints is not None and vis is not None and len(keypoints):
            kp3 = np.concatenate([np.asarray(keypoints, np.float64), vis[..., None].astype(np.float64)], -1)
        img, moved = occlusion(img, int(rng.integers(1, 3)), rng, kp3)
        if moved is not None:
            vis = moved[..., 2].astype(vis.dtype)
    return img, vis
