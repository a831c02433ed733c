"""The data model: what a dataset holds per image, and what an estimator returns.

Coordinates are image pixels everywhere (x right, y down, origin at the top-left
corner of the top-left pixel as in COCO). Shapes: ``N`` people, ``K`` keypoints.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PoseSample", "PoseResult"]


def _arr(x, shape_tail: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    a = np.asarray(x, dtype=dtype)
    if a.size == 0:
        return np.zeros((0, *shape_tail), dtype=dtype)
    return a


@dataclass
class PoseSample:
    """One annotated image.

    ``keypoints`` (N, K, 2), ``visibility`` (N, K) with COCO's 0 (not labelled),
    1 (labelled, occluded), 2 (visible); ``boxes`` (N, 4) as x, y, w, h;
    ``areas`` (N,); ``iscrowd`` (N,) bool; ``ann_ids`` (N,); ``track_ids`` (N,)
    or ``None``; ``category_ids`` (N,).
    """

    image_id: int
    file_name: str
    width: int
    height: int
    keypoints: np.ndarray
    visibility: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray = None  # type: ignore[assignment]
    iscrowd: np.ndarray = None  # type: ignore[assignment]
    ann_ids: np.ndarray = None  # type: ignore[assignment]
    category_ids: np.ndarray = None  # type: ignore[assignment]
    track_ids: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = _arr(self.boxes, (4,))
        n = len(self.boxes)
        k = self.keypoints.shape[1] if np.ndim(self.keypoints) == 3 else 0
        self.keypoints = _arr(self.keypoints, (k, 2))
        self.visibility = _arr(self.visibility, (k,), np.int64)
        self.areas = self.boxes[:, 2] * self.boxes[:, 3] if self.areas is None else _arr(self.areas, ())
        self.iscrowd = np.zeros(n, bool) if self.iscrowd is None else _arr(self.iscrowd, (), bool)
        self.ann_ids = np.arange(1, n + 1) if self.ann_ids is None else _arr(self.ann_ids, (), np.int64)
        self.category_ids = np.ones(n, np.int64) if self.category_ids is None else _arr(self.category_ids, (), np.int64)
        if self.track_ids is not None:
            self.track_ids = _arr(self.track_ids, (), np.int64)

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def num_keypoints(self) -> np.ndarray:
        """Labelled keypoints per person (COCO's ``num_keypoints``)."""
        return (self.visibility > 0).sum(axis=1)


@dataclass
class PoseResult:
    """Poses predicted in one image.

    ``keypoints`` (N, K, 2) and ``keypoint_scores`` (N, K) in image pixels;
    ``boxes`` (N, 4) x, y, w, h; ``scores`` (N,) person scores; ``track_ids`` (N,)
    or ``None``. ``skeleton`` names the keypoint set (see :mod:`posekit.skeletons`).
    ``views`` holds the same people in other keypoint sets (e.g. ``"coco17"``
    for a BlazePose model), each as ``(keypoints, keypoint_scores)``.
    """

    image_id: int
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray | None = None
    track_ids: np.ndarray | None = None
    skeleton: str = "coco17"
    category_id: int = 1
    views: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = self.keypoints.shape[1] if np.ndim(self.keypoints) == 3 else 0
        self.keypoints = _arr(self.keypoints, (k, 2))
        self.keypoint_scores = _arr(self.keypoint_scores, (k,))
        self.scores = _arr(self.scores, ())
        if self.boxes is None:
            self.boxes = keypoint_boxes(self.keypoints)
        self.boxes = _arr(self.boxes, (4,))

    def __len__(self) -> int:
        return len(self.scores)

    def as_view(self, name: str) -> "PoseResult":
        """The same people in keypoint set ``name`` (one of ``views``) as the main set."""
        if name == self.skeleton:
            return self
        kp, ks = self.views[name]
        return PoseResult(image_id=self.image_id, keypoints=kp, keypoint_scores=ks, scores=self.scores,
                          boxes=self.boxes, track_ids=self.track_ids, skeleton=name, category_id=self.category_id)

    def person(self, i: int) -> "PoseResult":
        """Person ``i`` alone, as a one-person result (other keypoint views included)."""
        return self.take(slice(i, i + 1))

    def take(self, people) -> "PoseResult":
        """The people ``people`` (a slice or an index array) as a result of their own, views included."""
        return PoseResult(
            image_id=self.image_id, keypoints=self.keypoints[people], keypoint_scores=self.keypoint_scores[people],
            scores=self.scores[people], boxes=self.boxes[people],
            track_ids=None if self.track_ids is None else self.track_ids[people], skeleton=self.skeleton,
            category_id=self.category_id, views={k: (v[0][people], v[1][people]) for k, v in self.views.items()})

    def join(self, other: "PoseResult") -> "PoseResult":
        """This image's people followed by ``other``'s (same keypoint set); the views both hold are kept,
        and people without a track id get -1 when either side has ids."""
        if not len(other):
            return self
        if not len(self):
            return PoseResult(image_id=self.image_id, keypoints=other.keypoints, keypoint_scores=other.keypoint_scores,
                              scores=other.scores, boxes=other.boxes, track_ids=other.track_ids,
                              skeleton=other.skeleton, category_id=other.category_id, views=dict(other.views))
        ids = None
        if self.track_ids is not None or other.track_ids is not None:
            ids = np.concatenate([r.track_ids if r.track_ids is not None else np.full(len(r), -1, np.int64)
                                  for r in (self, other)]).astype(np.int64)
        both = lambda a, b: np.concatenate([a, b])  # noqa: E731
        return PoseResult(image_id=self.image_id, keypoints=both(self.keypoints, other.keypoints),
                          keypoint_scores=both(self.keypoint_scores, other.keypoint_scores),
                          scores=both(self.scores, other.scores), boxes=both(self.boxes, other.boxes), track_ids=ids,
                          skeleton=self.skeleton, category_id=self.category_id,
                          views={k: (both(v[0], other.views[k][0]), both(v[1], other.views[k][1]))
                                 for k, v in self.views.items() if k in other.views})


def keypoint_boxes(keypoints: np.ndarray) -> np.ndarray:
    """Tight x, y, w, h boxes around each person's keypoints: (N, K, 2) -> (N, 4)."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.size == 0:
        return np.zeros((len(keypoints), 4))
    lo, hi = keypoints.min(axis=1), keypoints.max(axis=1)
    return np.concatenate([lo, hi - lo], axis=1)
