"""Box geometry shared by detection, tracking and evaluation.

Boxes are x, y, w, h in image pixels unless a function says corners (x0, y0, x1, y1)."""
from __future__ import annotations

import numpy as np

__all__ = ["box_iou", "corner_iou", "greedy_nms", "corners"]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of x, y, w, h boxes: (N, 4) x (M, 4) -> (N, M); 0 for empty boxes."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, :2] + a[:, None, 2:], b[None, :, :2] + b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def corners(boxes: np.ndarray) -> np.ndarray:
    """x, y, w, h -> x0, y0, x1, y1: (N, 4) -> (N, 4)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1)


def corner_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one corner box (4,) with each of (N, 4) corner boxes -> (N,); 0 for empty boxes."""
    iw = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    ih = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = iw * ih
    area = lambda b: np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)  # noqa: E731
    union = area(box) + area(boxes) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def greedy_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, top_k: int = -1) -> np.ndarray:
    """Indices kept by greedy NMS (Caffe's ApplyNMSFast, eta 1): in order of decreasing score (the
    best ``top_k`` first, all if -1), a box is kept unless its IoU with a kept box exceeds the threshold."""
    order = np.argsort(-scores, kind="stable")
    if top_k >= 0:
        order = order[:top_k]
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        order = rest[corner_iou(boxes[i], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, np.int64)
