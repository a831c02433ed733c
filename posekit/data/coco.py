"""COCO-format keypoint datasets: reading, writing and conversion to :class:`PoseSample`.

The COCO keypoint format (Lin et al., "Microsoft COCO: Common Objects in Context",
ECCV 2014) is the lingua franca of the field: CrowdPose, PoseTrack18, OCHuman and
AIC ship in it too, and posekit's synthetic generator writes it. A category names
its keypoints and 1-based ``skeleton`` links; an annotation carries ``keypoints``
as x, y, v triplets (v: 0 not labelled, 1 labelled but occluded, 2 visible).
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..errors import DataError, ValidationError
from ..fileio import read_json, write_json
from ..skeletons import Skeleton, get_skeleton, skeleton_from_category
from ..structures import PoseSample
from .validate import dataset_problems

__all__ = ["CocoDataset", "load_coco"]


class CocoDataset:
    """A validated COCO keypoint dataset: the JSON object plus per-image indexes.

    ``skeleton`` supplies the keypoint definition for categories whose record names
    no keypoints (some files, e.g. Halpe's, leave the list empty).
    """

    def __init__(self, raw: Mapping[str, Any], path: str | os.PathLike | None = None,
                 skeleton: Skeleton | str | None = None, validate: bool = True):
        self.path = str(path) if path is not None else None
        self._given = get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton
        if validate:
            problems = dataset_problems(raw, self.path, self._given.num_keypoints if self._given else None)
            if problems:
                raise ValidationError(problems)
        self.raw = raw
        self.images: list[dict] = list(raw["images"])
        self.annotations: list[dict] = list(raw["annotations"])
        self.categories: list[dict] = list(raw["categories"])
        self.image_index = {img["id"]: img for img in self.images}
        self.category_index = {cat["id"]: cat for cat in self.categories}
        self._by_image: dict[int, list[dict]] = defaultdict(list)
        for ann in self.annotations:
            self._by_image[ann["image_id"]].append(ann)

    @classmethod
    def load(cls, path: str | os.PathLike, skeleton: Skeleton | str | None = None) -> "CocoDataset":
        return cls(read_json(path), path, skeleton)

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        return f"CocoDataset({self.path!r}, {len(self.images)} images, {len(self.annotations)} annotations)"

    @property
    def image_ids(self) -> list[int]:
        return sorted(self.image_index)

    def keypoint_category_ids(self) -> list[int]:
        """Categories that carry keypoints (named, or given through ``skeleton``), sorted."""
        return sorted(c["id"] for c in self.categories if c.get("keypoints") or self._given is not None)

    def skeleton(self, category_id: int | None = None) -> Skeleton:
        """The keypoint definition of a category (the first keypoint category by default)."""
        if category_id is None:
            ids = self.keypoint_category_ids()
            if not ids:
                raise DataError("no category names its keypoints", self.path, None, "categories")
            category_id = ids[0]
        cat = self.category_index.get(category_id)
        if cat is None:
            raise DataError(f"unknown category {category_id}", self.path, None, "categories")
        if not cat.get("keypoints"):
            if self._given is None:
                raise DataError("category without keypoint names", self.path, f"category {category_id}", "keypoints")
            return self._given
        return skeleton_from_category(cat)

    def annotations_of(self, image_id: int) -> list[dict]:
        return self._by_image.get(image_id, [])

    def sample(self, image_id: int, category_id: int | None = None) -> PoseSample:
        """The image's people of one keypoint category as a :class:`PoseSample`."""
        img = self.image_index[image_id]
        k = self.skeleton(category_id).num_keypoints
        anns = [a for a in self.annotations_of(image_id)
                if category_id is None or a["category_id"] == category_id]
        kp = np.array([a["keypoints"] for a in anns], dtype=np.float64).reshape(len(anns), k, 3)
        track = [a.get("track_id") for a in anns]
        return PoseSample(
            image_id=image_id, file_name=img.get("file_name", ""),
            width=int(img.get("width", 0)), height=int(img.get("height", 0)),
            keypoints=kp[:, :, :2], visibility=kp[:, :, 2].astype(np.int64),
            boxes=np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(len(anns), 4),
            areas=np.array([annotation_area(a) for a in anns], dtype=np.float64),
            iscrowd=np.array([bool(a.get("iscrowd", 0)) for a in anns]),
            ann_ids=np.array([a["id"] for a in anns], dtype=np.int64),
            category_ids=np.array([a["category_id"] for a in anns], dtype=np.int64),
            track_ids=np.array(track, dtype=np.int64) if anns and all(t is not None for t in track) else None,
        )

    def samples(self, category_id: int | None = None) -> Iterator[PoseSample]:
        for image_id in self.image_ids:
            yield self.sample(image_id, category_id)

    def image_path(self, image_id: int, root: str | os.PathLike) -> Path:
        return Path(root) / self.image_index[image_id]["file_name"]

    def save(self, path: str | os.PathLike) -> None:
        write_json(path, dict(self.raw, images=self.images, annotations=self.annotations,
                              categories=self.categories))

    @classmethod
    def from_samples(cls, samples: Sequence[PoseSample], skeleton: Skeleton, category_id: int = 1,
                     name: str = "person", path: str | os.PathLike | None = None) -> "CocoDataset":
        """Build a dataset from samples (ids of annotations renumbered from 1 when absent)."""
        images, anns = [], []
        next_id = 1
        for s in samples:
            image = {"id": int(s.image_id), "file_name": s.file_name}
            if s.width and s.height:  # MPII-style samples do not know their image's size
                image.update(width=int(s.width), height=int(s.height))
            images.append(image)
            for i in range(len(s)):
                kp = np.concatenate([s.keypoints[i], s.visibility[i][:, None]], axis=1)
                ann = {
                    "id": int(s.ann_ids[i]) if s.ann_ids is not None else next_id,
                    "image_id": int(s.image_id), "category_id": category_id,
                    "keypoints": [v for x, y, vis in kp.tolist() for v in (x, y, int(vis))],
                    "num_keypoints": int((s.visibility[i] > 0).sum()),
                    "bbox": [float(v) for v in s.boxes[i]], "area": float(s.areas[i]),
                    "iscrowd": int(s.iscrowd[i]),
                }
                if s.track_ids is not None:
                    ann["track_id"] = int(s.track_ids[i])
                anns.append(ann)
                next_id += 1
        cats = [{"id": category_id, "name": name, "supercategory": name, "keypoints": list(skeleton.names),
                 "skeleton": [[a + 1, b + 1] for a, b in skeleton.limbs]}]
        return cls({"images": images, "annotations": anns, "categories": cats}, path)


def annotation_area(ann: Mapping[str, Any]) -> float:
    """COCO's ``area`` (the segmentation's), or the box area where a file gives none (PoseTrack18)."""
    if "area" in ann:
        return ann["area"]
    return ann["bbox"][2] * ann["bbox"][3]


def load_coco(path: str | os.PathLike, skeleton: Skeleton | str | None = None) -> CocoDataset:
    """Read and validate a COCO-format keypoint file (COCO, CrowdPose, PoseTrack18, synthetic...)."""
    return CocoDataset.load(path, skeleton)
