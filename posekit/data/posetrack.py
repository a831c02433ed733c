"""PoseTrack18 annotations (Andriluka et al., "PoseTrack: A Benchmark for Human Pose
Estimation and Tracking", CVPR 2018).

PoseTrack18 files are COCO-style, one per video: ``images`` are frames (``vid_id``,
``frame_id``, ``nframes``, ``is_labeled``, ignore regions), ``annotations`` carry a
``track_id`` and a ``bbox_head``, and the category names 17 keypoints in COCO's slots
with ``head_bottom`` and ``head_top`` in the eyes' places (:data:`POSETRACK17`).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..fileio import write_json
from ..skeletons import POSETRACK17, Skeleton
from ..structures import PoseSample
from .coco import CocoDataset

__all__ = ["load_posetrack", "save_posetrack"]


def load_posetrack(path: str | os.PathLike) -> CocoDataset:
    """Read a PoseTrack18 file; samples carry ``track_ids``; frames keep their metadata."""
    return CocoDataset.load(path)


def save_posetrack(samples: Sequence[PoseSample], path: str | os.PathLike, video_id: str,
                   skeleton: Skeleton = POSETRACK17, head_boxes: dict | None = None) -> None:
    """Write one video's frames (samples in frame order, ``track_ids`` set) as PoseTrack18 JSON."""
    images, anns = [], []
    for frame, s in enumerate(samples):
        images.append({"id": int(s.image_id), "file_name": s.file_name, "vid_id": video_id,
                       "frame_id": int(s.image_id), "nframes": len(samples), "is_labeled": True,
                       "width": int(s.width), "height": int(s.height)})
        for p in range(len(s)):
            kp = np.concatenate([s.keypoints[p], s.visibility[p][:, None] > 0], axis=1)
            ann = {"id": int(s.ann_ids[p]), "image_id": int(s.image_id), "category_id": 1,
                   "track_id": int(s.track_ids[p]) if s.track_ids is not None else p,
                   "keypoints": [float(v) for v in kp.ravel()], "num_keypoints": int((s.visibility[p] > 0).sum()),
                   "bbox": [float(v) for v in s.boxes[p]], "iscrowd": False}
            if head_boxes and (s.image_id, p) in head_boxes:
                ann["bbox_head"] = head_boxes[(s.image_id, p)]
            anns.append(ann)
    cats = [{"id": 1, "name": "person", "supercategory": "person", "keypoints": list(skeleton.names),
             "skeleton": [[a + 1, b + 1] for a, b in skeleton.limbs]}]
    write_json(path, {"images": images, "annotations": anns, "categories": cats})
