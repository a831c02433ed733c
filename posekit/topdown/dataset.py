"""Top-down training and evaluation samples: one person crop per item.

``person_instances`` turns a COCO-format dataset into per-person instances (ground-truth
boxes with the COCO protocol's training filter, or detector boxes from a results file);
``TopDownDataset`` crops, augments and encodes them. It follows torch's map-style dataset
protocol (``__len__``/``__getitem__``) without importing torch, so ``DataLoader`` workers
can load it. Augmentation randomness is a function of (seed, epoch, index) only, which
makes training reproducible and resumable whatever the number of workers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..data.coco import CocoDataset
from ..data.masks import segmentation_mask
from ..errors import DataError
from ..skeletons import Skeleton
from .pixel_augment import pixel_augment
from .transforms import (RandomAugment, apply_affine, box_to_center_scale, color_jitter, crop_matrix, flip_matrix,
                         half_body_box, lower_body_mask, normalize_image, warp)

__all__ = ["PersonInstance", "person_instances", "TopDownDataset", "read_image"]


@dataclass
class PersonInstance:
    """One person to crop: ``box`` (4,) x, y, w, h; ``keypoints`` (K, 2) and ``visible`` (K,)
    (zeros when unknown, e.g. detector boxes); ``score`` the box's confidence. ``image`` holds
    the RGB pixels in memory when the instance does not come from a file."""

    image_id: int
    box: np.ndarray
    keypoints: np.ndarray
    visible: np.ndarray
    image_path: str | None = None
    image: np.ndarray | None = None
    score: float = 1.0
    category_id: int = 1
    mask: np.ndarray | None = None  # (H, W) bool person pixels of the image, for multi-task training
    segmentation: list | dict | None = None  # or the annotation's COCO polygons / RLE, rasterised when cropped


def read_image(path: str | os.PathLike) -> np.ndarray:
    """RGB uint8 (H, W, 3); :class:`DataError` naming the file when it cannot be decoded."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError("cannot read image (missing or not an image)", path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def person_instances(coco: CocoDataset, image_root: str | os.PathLike, detections: Sequence[dict] | None = None,
                     train: bool = False, min_box_score: float = 0.0,
                     category_id: int | None = None) -> list[PersonInstance]:
    """Per-person instances of a COCO keypoint dataset.

    Ground-truth boxes by default; with ``train`` the COCO protocol's filter applies
    (no crowd regions, at least one labelled keypoint, positive box). ``detections`` (COCO
    detection records ``{image_id, bbox, score}``) replaces them with detector boxes whose
    score is at least ``min_box_score``. Raises :class:`DataError` naming a missing image.
    """
    cat = category_id if category_id is not None else coco.keypoint_category_ids()[0]
    k = coco.skeleton(cat).num_keypoints
    root = Path(image_root)
    out: list[PersonInstance] = []
    if detections is not None:
        for i, d in enumerate(detections):
            if d["image_id"] not in coco.image_index:
                raise DataError("detection for an image not in the ground truth", None, i, "image_id")
            if d.get("category_id", cat) != cat or d.get("score", 1.0) < min_box_score:
                continue
            out.append(PersonInstance(d["image_id"], np.asarray(d["bbox"], np.float64), np.zeros((k, 2)),
                                      np.zeros(k, np.int64), str(coco.image_path(d["image_id"], root)),
                                      score=float(d.get("score", 1.0)), category_id=cat))
    else:
        segmentations = {a["id"]: a.get("segmentation") for a in coco.annotations if "id" in a}
        for image_id in coco.image_ids:
            s = coco.sample(image_id, cat)
            for i in range(len(s)):
                box = s.boxes[i]
                if train and (s.iscrowd[i] or s.num_keypoints[i] == 0 or box[2] <= 1 or box[3] <= 1):
                    continue
                out.append(PersonInstance(image_id, box, s.keypoints[i], s.visibility[i],
                                          str(coco.image_path(image_id, root)), category_id=cat,
                                          segmentation=segmentations.get(int(s.ann_ids[i])) or None))
    missing = sorted({p.image_path for p in out if not Path(p.image_path).is_file()})
    if missing:
        raise DataError(f"image file not found ({len(missing)} missing in all)", missing[0])
    return out


class TopDownDataset:
    """Crops of ``instances`` for a model with ``codec`` and ``skeleton``.

    Items are dicts of NumPy arrays: ``image`` (3, H, W) normalised float32, ``target`` and
    ``target_weight`` from ``codec.encode`` (left out with ``encode=False``), ``matrix`` (2, 3)
    image -> crop, ``index``. ``augment=None`` gives the deterministic evaluation crop.
    With ``masks`` every encoded item also has ``mask``, the person's share of each heatmap cell
    (:meth:`heatmap_mask`, from the instance's ``mask`` or COCO ``segmentation``), and
    ``mask_weight`` (1, or 0 for a person without either): the targets of multi-task training.
    """

    def __init__(self, instances: Sequence[PersonInstance], codec, skeleton: Skeleton,
                 augment: RandomAugment | None = None, seed: int = 0, padding: float = 1.25, encode: bool = True,
                 masks: bool = False):
        self.instances = list(instances)
        self.encode = encode
        self.codec, self.skeleton, self.augment = codec, skeleton, augment
        self.seed, self.epoch, self.padding = seed, 0, padding
        self.flip_index = skeleton.flip_index()
        # per-sample warps are small: OpenCV's thread pool only fights torch's threads for the cores
        cv2.setNumThreads(1)
        self.lower = lower_body_mask(skeleton.names)
        self.masks = masks

    def __len__(self) -> int:
        return len(self.instances)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _image(self, inst: PersonInstance) -> np.ndarray:
        return inst.image if inst.image is not None else read_image(inst.image_path)

    def crop_geometry(self, inst: PersonInstance, rng: np.random.Generator | None) -> tuple[np.ndarray, bool]:
        """(2, 3) image -> crop matrix and whether the crop is mirrored."""
        w, h = self.codec.input_size
        centre, scale = box_to_center_scale(inst.box[None], w / h, self.padding)
        centre, scale = centre[0], scale[0]
        rotation, flip = 0.0, False
        a = self.augment
        if a is not None and rng is not None:
            if rng.random() < a.half_body_prob:
                half = half_body_box(inst.keypoints, inst.visible, self.lower, rng, w / h, a.half_body_min_keypoints)
                if half is not None:
                    centre, scale = half
            s, rotation, flip = a.sample(rng)
            scale = scale * s
        m = crop_matrix(centre[None], scale[None], (w, h), rotation, udp=self.codec.udp)[0]
        if flip:
            m = (flip_matrix(w) @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2]
        return m, flip

    def __getitem__(self, index: int) -> dict:
        inst = self.instances[index]
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.augment is not None else None
        m, flip = self.crop_geometry(inst, rng)
        image = self._image(inst)
        crop = warp(image, m, self.codec.input_size)
        kp = apply_affine(inst.keypoints[None], m)[0]
        vis = np.asarray(inst.visible)
        if flip:
            kp, vis = kp[self.flip_index], vis[self.flip_index]
        if rng is not None:
            crop = color_jitter(crop, rng, self.augment.brightness, self.augment.contrast, self.augment.saturation)
            crop, moved = pixel_augment(crop, rng, self.augment, kp[None], vis[None])
            vis = moved[0]
        item = {"image": normalize_image(crop), "matrix": m.astype(np.float64), "index": index}
        if not self.encode:
            return item
        target, weight = self.codec.encode(kp[None], vis[None])
        item.update(target=target[0], target_weight=weight[0])
        if self.masks:
            mask = inst.mask if inst.mask is not None else segmentation_mask(inst.segmentation, *image.shape[:2])
            item["mask"] = self.heatmap_mask(mask if mask is not None else np.zeros(image.shape[:2], bool), m)
            item["mask_weight"] = np.float32(mask is not None)
        return item

    def heatmap_mask(self, mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The person mask (H, W) of the image on the heatmap grid (h, w): the share of each heatmap
        cell's crop pixels that are the person's (float32 in [0, 1])."""
        crop = warp(mask.astype(np.float32), matrix, self.codec.input_size)
        size = tuple(getattr(self.codec, "heatmap_size", self.codec.input_size))
        return cv2.resize(crop.astype(np.float32), size, interpolation=cv2.INTER_AREA)
