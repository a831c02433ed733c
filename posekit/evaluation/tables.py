"""Columnar keypoint annotations: the arrays the evaluators work on.

A COCO file is a list of records; evaluation wants arrays. :class:`KeypointTable`
holds one category's annotations (ground truth or detections) column by column.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["KeypointTable"]


@dataclass
class KeypointTable:
    """``keypoints`` (N, K, 3) x, y, v (ground truth) or x, y, score (detections);
    ``bbox`` (N, 4) x, y, w, h; ``ignore`` marks cocoapi's "ignore" ground truth
    (crowd, or no labelled keypoint); ``score`` is the detection score (0 for ground truth)."""

    image_id: np.ndarray
    keypoints: np.ndarray
    area: np.ndarray
    bbox: np.ndarray
    iscrowd: np.ndarray
    ignore: np.ndarray
    ann_id: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.image_id)

    def select(self, index) -> "KeypointTable":
        return KeypointTable(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def empty(cls, k: int) -> "KeypointTable":
        z = np.zeros(0)
        return cls(np.zeros(0, np.int64), np.zeros((0, k, 3)), z, np.zeros((0, 4)), z.astype(bool),
                   z.astype(bool), np.zeros(0, np.int64), z)
