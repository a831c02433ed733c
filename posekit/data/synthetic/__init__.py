"""Synthetic people: annotated images, top-down crops and videos that posekit can make itself.

Real COCO cannot be shipped with tests, so posekit renders its own people: a kinematic body
carrying the COCO-17 joints (:mod:`.body`), drawn anti-aliased with a label map (:mod:`.render`)
over cluttered backgrounds (:mod:`.background`), composed into scenes with exact COCO ground truth
(:mod:`.scene`), written as COCO datasets (:mod:`.dataset`) and as videos with track ids
(:mod:`.video`). All randomness comes from ``numpy.random.default_rng`` streams keyed by
(seed, index), so the same seed gives the same bytes.

>>> from posekit.data.synthetic import make_crops
>>> images, keypoints = make_crops(8, size=(96, 128), seed=0)   # (8, 128, 96, 3) uint8, (8, 17, 3)
"""
from __future__ import annotations

from .dataset import write_dataset
from .scene import Scene, make_crop, make_crops, make_scene
from .video import make_video, write_videos

__all__ = ["Scene", "make_crop", "make_crops", "make_scene", "make_video", "write_dataset", "write_videos"]
