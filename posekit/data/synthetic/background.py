"""Backgrounds, clutter and occluding objects for synthetic scenes.

Backgrounds are a colour gradient with low-frequency blotches and fine sensor-like noise;
clutter adds outlined capsules (limb-like distractors, as in the hard negatives that pose
estimators confuse with arms and legs), ellipses, boxes and polygons. Occluders are drawn in
front of people and written into the label map as ``-1``.
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["background", "draw_clutter", "draw_occluders", "OCCLUDER"]

OCCLUDER = -1


def _colour(rng: np.random.Generator) -> tuple[float, float, float]:
    return tuple(float(c) for c in rng.uniform(0, 255, 3))


def background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """An RGB background (H, W, 3) uint8: gradient + smooth blotches + fine noise.

    Built on a coarse grid and upsampled (a linear gradient survives linear interpolation exactly),
    so the cost per pixel is one resize and one saturating add.
    """
    grid = int(rng.integers(3, 12))
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    a = rng.uniform(0, 2 * np.pi)
    u = np.linspace(0, 1, grid)
    t = u[None, :] * np.cos(a) + u[:, None] * np.sin(a)
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    small = c0 + t[..., None] * (c1 - c0) + rng.uniform(-1, 1, (grid, grid, 3)) * rng.uniform(10, 50)
    mid = cv2.resize(np.clip(small, 0, 255).astype(np.float32), (32, 32), interpolation=cv2.INTER_CUBIC)
    img = cv2.resize(np.clip(mid, 0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)
    sigma = int(rng.integers(0, 10))
    if sigma > 0:
        noise = rng.integers(0, 2 * sigma + 1, (height, width), dtype=np.uint8)
        img = cv2.subtract(cv2.add(img, cv2.merge([noise, noise, noise])), (sigma, sigma, sigma, 0))
    return img


def draw_clutter(rng: np.random.Generator, image: np.ndarray, count: int, scale: float) -> None:
    """Draw ``count`` distractor shapes of about ``scale`` pixels (limb-like capsules among them)."""
    h, w = image.shape[:2]
    for _ in range(count):
        kind = rng.integers(4)
        colour = _colour(rng)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        size = scale * rng.uniform(0.1, 0.6)
        if kind == 0:  # a limb-like capsule, sometimes bent at a "joint"
            thick = max(1, int(size * rng.uniform(0.1, 0.3)))
            pts = [(cx, cy)]
            for _ in range(int(rng.integers(1, 3))):
                ang = rng.uniform(0, 2 * np.pi)
                pts.append((pts[-1][0] + size * np.cos(ang), pts[-1][1] + size * np.sin(ang)))
            for p, q in zip(pts[:-1], pts[1:]):
                cv2.line(image, _ip(p), _ip(q), tuple(c * 0.6 for c in colour), thick + 2, cv2.LINE_AA, 4)
                cv2.line(image, _ip(p), _ip(q), colour, thick, cv2.LINE_AA, 4)
        elif kind == 1:
            axes = (int(size * 16), int(size * rng.uniform(0.2, 1.0) * 16))
            cv2.ellipse(image, _ip((cx, cy)), axes, rng.uniform(0, 180), 0, 360, colour, -1, cv2.LINE_AA, 4)
        elif kind == 2:
            rect = cv2.boxPoints(((cx, cy), (size, size * rng.uniform(0.3, 2.0)), rng.uniform(0, 180)))
            cv2.fillConvexPoly(image, np.round(rect * 16).astype(np.int32), colour, cv2.LINE_AA, 4)
        else:
            n = int(rng.integers(3, 7))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = size * rng.uniform(0.4, 1.0, n)
            poly = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
            cv2.fillPoly(image, [np.round(poly * 16).astype(np.int32)], colour, cv2.LINE_AA, 4)


def draw_occluders(rng: np.random.Generator, image: np.ndarray, labels: np.ndarray, count: int,
                   scale: float, near: np.ndarray | None = None) -> None:
    """Draw ``count`` objects in front of everything (poles, boxes, round shapes), marking them in
    ``labels`` as :data:`OCCLUDER`. ``near`` (M, 2) points to place them over, when given."""
    h, w = image.shape[:2]
    for _ in range(count):
        if near is not None and len(near):
            cx, cy = near[rng.integers(len(near))] + rng.normal(0, 0.05 * scale, 2)
        else:
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        colour = _colour(rng)
        kind = rng.integers(3)
        size = scale * rng.uniform(0.1, 0.3)
        if kind == 0:  # a pole across the whole frame
            thick = max(2, int(size * 0.5))
            ang = rng.uniform(-0.3, 0.3) + (np.pi / 2 if rng.random() < 0.7 else 0)
            dx, dy = np.cos(ang) * 2 * max(h, w), np.sin(ang) * 2 * max(h, w)
            p, q = _ip((cx - dx, cy - dy)), _ip((cx + dx, cy + dy))
            cv2.line(image, p, q, colour, thick, cv2.LINE_AA, 4)
            cv2.line(labels, p, q, OCCLUDER, thick, cv2.LINE_8, 4)
        elif kind == 1:
            rect = cv2.boxPoints(((cx, cy), (size * rng.uniform(0.8, 2.0), size * rng.uniform(0.8, 2.0)),
                                  rng.uniform(-20, 20)))
            poly = np.round(rect * 16).astype(np.int32)
            cv2.fillConvexPoly(image, poly, colour, cv2.LINE_AA, 4)
            cv2.polylines(image, [poly], True, tuple(c * 0.5 for c in colour), 1, cv2.LINE_AA, 4)
            cv2.fillConvexPoly(labels, poly, OCCLUDER, cv2.LINE_8, 4)
        else:
            axes = (int(size * 16), int(size * rng.uniform(0.5, 1.0) * 16))
            ang = rng.uniform(0, 180)
            cv2.ellipse(image, _ip((cx, cy)), axes, ang, 0, 360, colour, -1, cv2.LINE_AA, 4)
            cv2.ellipse(labels, _ip((cx, cy)), axes, ang, 0, 360, OCCLUDER, -1, cv2.LINE_8, 4)


def _ip(p) -> tuple[int, int]:
    return int(round((p[0] - 0.5) * 16)), int(round((p[1] - 0.5) * 16))
