"""Person detection as a stage of its own: the proposals of a top-down pipeline.

Survey section 1.2 ("composed human proposal detection"): a top-down estimator is a person
detector followed by a single-person estimator, and the quality of the proposals bounds the
result. Every detector here has one interface::

    detector(image, image_id=None, file_name=None) -> (boxes (N, 4) x, y, w, h in image pixels,
                                                       scores (N,)), best first

``image`` is RGB uint8 (H, W, 3). Detectors that read given boxes (ground truth, a COCO
detections file) look them up by ``image_id`` (or by ``file_name`` when the file has no ids).
:func:`box_nms` merges several detectors' boxes (:class:`DetectorUnion`).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..geometry import box_iou, corners, greedy_nms

__all__ = ["Detector", "GivenBoxes", "DetectorUnion", "box_iou", "box_nms"]

Detector = Callable[..., "tuple[np.ndarray, np.ndarray]"]


def box_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression of x, y, w, h boxes: indices of the kept boxes, best score first."""
    return greedy_nms(corners(boxes), np.asarray(scores), iou_threshold)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, 4)), np.zeros(0)


class GivenBoxes:
    """Boxes known in advance: ``gt`` boxes of a dataset or a COCO detections file.

    ``by_id`` maps image id -> (boxes, scores); ``by_name`` file name -> the same, for
    inputs without an image id. ``min_score`` drops weak detections.
    """

    def __init__(self, by_id: dict | None = None, by_name: dict | None = None, min_score: float = 0.0,
                 source: str = "given boxes"):
        self.by_id, self.by_name = dict(by_id or {}), dict(by_name or {})
        self.min_score, self.source = min_score, source

    @classmethod
    def from_records(cls, records: Sequence[dict], min_score: float = 0.0, source: str = "detections"):
        """COCO detection (or annotation) records ``{image_id, bbox[, score]}``."""
        grouped: dict = {}
        for r in records:
            b, s = grouped.setdefault(r["image_id"], ([], []))
            b.append(r["bbox"])
            s.append(float(r.get("score", 1.0)))
        return cls({k: (np.asarray(b, np.float64).reshape(-1, 4), np.asarray(s)) for k, (b, s) in grouped.items()},
                   min_score=min_score, source=source)

    def has(self, image_id=None, file_name=None) -> bool:
        return image_id in self.by_id or (file_name is not None and file_name in self.by_name)

    def __call__(self, image=None, image_id=None, file_name=None) -> tuple[np.ndarray, np.ndarray]:
        found = self.by_id.get(image_id)
        if found is None and file_name is not None:
            found = self.by_name.get(file_name)
        if found is None:
            return _empty()
        boxes, scores = found
        keep = scores >= self.min_score
        order = np.argsort(-scores[keep], kind="stable")
        return boxes[keep][order], scores[keep][order]


class PoseBoxes:
    """A multi-person pose estimator used as a person detector: the box and score of each person
    it finds. A bottom-up model (OpenPose's part fields) sees people from their limbs, so it finds
    people turned away or small that a face-driven or full-body box detector scores low."""

    def __init__(self, estimator, min_score: float = 0.0, min_keypoints: int = 4):
        self.estimator, self.min_score, self.min_keypoints = estimator, min_score, min_keypoints

    def __call__(self, image, image_id=None, file_name=None) -> tuple[np.ndarray, np.ndarray]:
        r = self.estimator.predict(image, image_id=image_id if image_id is not None else 0)
        if not len(r):
            return _empty()
        boxes, scores = np.asarray(r.boxes, np.float64).reshape(-1, 4), np.asarray(r.scores, np.float64)
        seen = np.count_nonzero(np.asarray(r.keypoint_scores) > 0, axis=1)
        keep = (scores >= self.min_score) & (seen >= self.min_keypoints) & (boxes[:, 2:] > 0).all(axis=1)
        order = np.argsort(-scores[keep], kind="stable")
        return boxes[keep][order], scores[keep][order]


class DetectorUnion:
    """Several detectors' boxes together, duplicates removed by box NMS at ``iou_threshold``.

    Detectors miss different people (BlazePose's face-driven detector misses people turned
    away; a full-body SSD misses crouching ones): the union keeps the recall of both.
    """

    def __init__(self, detectors: Sequence[Detector], iou_threshold: float = 0.5):
        self.detectors, self.iou_threshold = list(detectors), iou_threshold

    def __call__(self, image, image_id=None, file_name=None) -> tuple[np.ndarray, np.ndarray]:
        found = [d(image, image_id=image_id, file_name=file_name) for d in self.detectors]
        boxes = np.concatenate([f[0] for f in found]) if found else np.zeros((0, 4))
        scores = np.concatenate([f[1] for f in found]) if found else np.zeros(0)
        if len(boxes) == 0:
            return _empty()
        keep = box_nms(boxes, scores, self.iou_threshold)
        return boxes[keep], scores[keep]
