"""OpenPose-style bottom-up estimation: part-field network -> fields -> grouping -> people.

Cao et al., "Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields" (CVPR 2017);
the shipped network is Intel's human-pose-estimation-0001, Lightweight OpenPose (Osokin,
"Real-time 2D Multi-Person Pose Estimation on CPU: Lightweight OpenPose", ICPRAM 2019), trained
on COCO with OpenPose's 18-keypoint layout (:data:`~posekit.skeletons.OPENPOSE18`).

:class:`OpenPose` has the estimator interface of posekit (``predict(image, image_id=...) ->
PoseResult``, ``estimator(image) -> [PoseResult, ...]``). Results are COCO-17 (the neck dropped;
the 18-point layout stays in ``views["openpose18"]``); each person's box is their keypoints'
extent grown by 10% each side, their score their mean keypoint score times log(1 + box area)
(:func:`person_score`). The cost barely depends on the number of people: one network pass per height (and flip), then the
grouping, whose candidate pairs grow with the peaks found.

Defaults (:class:`OpenPoseConfig`): one pass at input height 368 (Lightweight OpenPose's
evaluation height), decoding grid 4x finer than the output (Lightweight OpenPose's demo's
``upsample_ratio``), OpenPose's limb assembly order; ``accurate()`` adds the flip test and the
heights 256 / 368 / 512.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..codecs.paf_grouping import group_people
from ..skeletons import COCO17, OPENPOSE18, Skeleton, mapping
from ..structures import PoseResult
from .fields import compute_fields

__all__ = ["OpenPoseConfig", "OpenPose", "OPENPOSE_ORDER", "person_score", "person_boxes"]

# OpenPose's assembly order for its COCO layout (limb indices of OPENPOSE18.limbs): the neck's
# limbs outwards, the shoulder-ear links last (they close cycles and never start a person).
OPENPOSE_ORDER = (6, 10, 7, 8, 11, 12, 0, 1, 2, 3, 4, 5, 14, 15, 17, 16, 18, 9, 13)


@dataclass(frozen=True)
class OpenPoseConfig:
    heights: tuple[int, ...] = (368,)
    flip: bool = False
    upsample: int = 4
    max_people: int = 100
    grouping: dict = field(default_factory=dict)  # overrides of group_people's defaults

    def accurate(self) -> "OpenPoseConfig":
        return replace(self, heights=(368, 256, 512), flip=True)


class OpenPose:
    """A part-field network run on whole images. ``run`` maps a (1, 3, H, W) float RGB 0..255 array
    to the last stage's (heatmaps, pafs); by default the shipped Lightweight OpenPose on ``backend``
    (torch or onnxruntime)."""

    name = "openpose-lightweight"

    def __init__(self, config: OpenPoseConfig | None = None, backend: str = "torch", run=None,
                 skeleton: Skeleton = OPENPOSE18, output: Skeleton | None = COCO17, order=OPENPOSE_ORDER,
                 stride: int = 8):
        self.config = config or OpenPoseConfig()
        if run is None:
            from ..pretrained.runtime import make_runner

            runner = make_runner("openpose_lightweight", backend)
            run = lambda x: runner(x)  # noqa: E731
        self.run, self.skeleton, self.output, self.stride = run, skeleton, output, stride
        self.order = order if skeleton is OPENPOSE18 else None
        self._to_output = mapping(skeleton, output) if output is not None and output != skeleton else None

    def fields(self, image: np.ndarray):
        """The averaged (heatmaps, pafs) of every configured run on the decoding grid."""
        cfg = self.config
        return compute_fields(self.run, image, self.skeleton, self.skeleton.limbs, cfg.heights, cfg.flip,
                              cfg.upsample, self.stride)

    def predict(self, image, image_id: int = 0, file_name: str | None = None, **_ignored) -> PoseResult:
        from ..data.images import as_rgb

        image = as_rgb(image)
        grid = self.fields(image)
        k = self.skeleton.num_keypoints
        kps, scores, person_scores = group_people(grid.heatmaps[:k], grid.pafs, self.skeleton.limbs,
                                                  order=self.order, **self.config.grouping)
        kps, scores, person_scores = (a[:self.config.max_people] for a in (kps, scores, person_scores))
        kps = grid.to_image(kps)
        kps[scores <= 0] = 0.0
        boxes = person_boxes(kps, scores, image.shape[:2])
        person_scores = person_score(scores, boxes)
        if self._to_output is None:
            return PoseResult(image_id, kps, scores, person_scores, boxes, skeleton=self.skeleton.name)
        out_xy = self._to_output.apply(kps)
        out_s = self._to_output.apply(scores[..., None])[..., 0]
        return PoseResult(image_id, out_xy, out_s, person_scores, boxes, skeleton=self.output.name,
                          views={self.skeleton.name: (kps, scores)})

    def __call__(self, image) -> list[PoseResult]:
        result = self.predict(image)
        return [result.person(i) for i in range(len(result))]


def person_score(scores: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Mean score of a person's found keypoints times log(1 + their box area in image pixels).

    The grouping's own score (the sum of keypoint scores, i.e. mean times count) ranks people for
    COCO AP worse: on coco_mini (posekit's bundled 30 + 30 real COCO photos, both splits) AP is
    0.369 / 0.476 with it, 0.371 / 0.503 with the mean alone and 0.409 / 0.517 with this one
    (``bench/openpose_coco.py --scores``);
    large people are found more reliably, and AP ranks detections across images."""
    found = scores > 0
    mean = np.where(found.any(axis=1), (scores * found).sum(axis=1) / np.maximum(found.sum(axis=1), 1), 0.0)
    return mean * np.log1p(np.maximum(boxes[:, 2] * boxes[:, 3], 0.0))


def person_boxes(kps: np.ndarray, scores: np.ndarray, image_hw: tuple[int, int], margin: float = 0.1) -> np.ndarray:
    """x, y, w, h around each person's found keypoints, grown by ``margin`` of their extent on each
    side (keypoints lie inside a person: the head's top and the feet lie beyond them), clipped to the image."""
    out = np.zeros((len(kps), 4))
    h, w = image_hw
    for i, (xy, s) in enumerate(zip(kps, scores)):
        found = xy[s > 0]
        if len(found):
            lo, hi = found.min(axis=0), found.max(axis=0)
            pad = margin * (hi - lo)
            lo = np.clip(lo - pad, 0, [w - 1, h - 1])
            hi = np.clip(hi + pad, lo, [w - 1, h - 1])  # keypoints decoded past the border keep w, h >= 0
            out[i] = [lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]]
    return out
