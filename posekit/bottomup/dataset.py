"""Bottom-up training samples: one whole image per item, every person's targets at once.

The image is resized keeping its aspect ratio to fit the network input and centred on a black
pad. Training augmentation (:class:`~posekit.topdown.transforms.RandomAugment`'s fields; half-body
crops do not apply to whole images and are ignored) scales about the input centre (with a random
shift where the zoomed image overflows the input), rotates, and mirrors: a mirror relabels left
and right through ``skeleton.flip_pairs``, and since the limbs are keypoint pairs they follow
(a left forearm's field is drawn along the mirrored person's left forearm). OpenPose (Cao et al.
2017) trains on 368x368 crops with the same kinds of augmentation.

The loss mask is 0 on crowd regions (``iscrowd`` annotations) and on people without a labelled
keypoint (their segmentation, else their box): OpenPose's ``mask_miss``. Randomness is a function
of (seed, epoch, index), as for :class:`~posekit.topdown.dataset.TopDownDataset`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np

from ..data.coco import CocoDataset
from ..data.masks import segmentation_mask
from ..errors import DataError
from ..skeletons import Skeleton
from ..topdown.dataset import read_image
from ..topdown.pixel_augment import pixel_augment
from ..topdown.transforms import RandomAugment, apply_affine, color_jitter

__all__ = ["ImageInstance", "image_instances", "BottomUpDataset", "fit_matrix", "ignore_mask"]


@dataclass
class ImageInstance:
    """One image to train or evaluate on: ``keypoints`` (P, K, 2) and ``visible`` (P, K) of its
    labelled people, ``ignored`` the annotations whose pixels leave the loss (crowds, unlabelled
    people); ``image`` holds RGB pixels in memory when the image is not read from ``image_path``."""

    image_id: int
    width: int
    height: int
    keypoints: np.ndarray
    visible: np.ndarray
    image_path: str | None = None
    image: np.ndarray | None = None
    ignored: list = field(default_factory=list)


def ignore_mask(annotations: Sequence[dict], height: int, width: int) -> np.ndarray:
    """(height, width) bool: True where ``annotations`` (crowds, unlabelled people) lie."""
    out = np.zeros((height, width), bool)
    for a in annotations:
        m = segmentation_mask(a.get("segmentation"), height, width)
        if m is not None:
            out |= m
            continue
        x, y, w, h = (float(v) for v in a.get("bbox", (0, 0, 0, 0)))
        out[max(0, int(y)):max(0, int(np.ceil(y + h))), max(0, int(x)):max(0, int(np.ceil(x + w)))] = True
    return out


def image_instances(coco: CocoDataset, image_root: str | os.PathLike | None, category_id: int | None = None,
                    pixels: Mapping[int, np.ndarray] | None = None) -> list[ImageInstance]:
    """Every image of ``coco`` with its labelled people; crowds and people without a labelled
    keypoint go to ``ignored``. The pixels come from ``image_root`` (:class:`DataError` naming a
    missing file) or, in memory, from ``pixels`` (image id -> RGB array)."""
    cat = category_id if category_id is not None else coco.keypoint_category_ids()[0]
    k = coco.skeleton(cat).num_keypoints
    root = Path(image_root or ".")
    out = []
    for image_id in coco.image_ids:
        s = coco.sample(image_id, cat)
        keep = ~s.iscrowd & ((s.visibility > 0).sum(1) > 0) if len(s) else np.zeros(0, bool)
        anns = [a for a in coco.annotations_of(image_id) if a["category_id"] == cat]
        out.append(ImageInstance(image_id, s.width, s.height, s.keypoints[keep].reshape(-1, k, 2),
                                 s.visibility[keep].reshape(-1, k), str(coco.image_path(image_id, root)),
                                 None if pixels is None else pixels[image_id],
                                 [a for a, kept in zip(anns, keep) if not kept]))
    if pixels is not None:
        return out
    missing = sorted({i.image_path for i in out if not Path(i.image_path).is_file()})
    if missing:
        raise DataError(f"image file not found ({len(missing)} missing in all)", missing[0])
    return out


def fit_matrix(width: int, height: int, input_size: tuple[int, int]) -> np.ndarray:
    """(2, 3) image -> input: the aspect-preserving resize that fits the image, centred on the pad."""
    iw, ih = input_size
    s = min(iw / width, ih / height)
    return np.array([[s, 0.0, (iw - s * width) / 2], [0.0, s, (ih - s * height) / 2]])


class BottomUpDataset:
    """Whole images of ``instances`` for a model with ``codec`` (a :class:`~posekit.codecs.paf.PAFCodec`).

    Items: ``image`` (3, H, W) float32 RGB 0..255 (the networks normalise inside), ``heatmaps``,
    ``pafs`` and ``mask`` from ``codec.encode_image`` (left out with ``encode=False``), ``matrix``
    (2, 3) image -> input, ``index``. ``augment=None`` gives the deterministic evaluation input.
    """

    def __init__(self, instances: Sequence[ImageInstance], codec, skeleton: Skeleton,
                 augment: RandomAugment | None = None, seed: int = 0, encode: bool = True):
        self.instances = list(instances)
        self.codec, self.skeleton, self.augment = codec, skeleton, augment
        self.seed, self.epoch, self.encode = seed, 0, encode
        self.flip_index = skeleton.flip_index()
        cv2.setNumThreads(1)

    def __len__(self) -> int:
        return len(self.instances)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def geometry(self, inst: ImageInstance, rng: np.random.Generator | None) -> tuple[np.ndarray, bool]:
        """(2, 3) image -> input matrix and whether the input is mirrored."""
        iw, ih = self.codec.input_size
        m = np.vstack([fit_matrix(inst.width, inst.height, (iw, ih)), [0.0, 0.0, 1.0]])
        a = self.augment
        if a is None or rng is None:
            return m[:2], False
        scale, rotation, flip = a.sample(rng)
        fitted = np.array([inst.width, inst.height]) * m[0, 0] * scale
        slack = np.maximum(fitted - np.array([iw, ih]), 0) / 2
        shift = rng.uniform(-1, 1, 2) * slack
        centre = np.array([iw / 2, ih / 2])
        around = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), rotation, scale)
        around[:, 2] += shift
        m = np.vstack([around, [0.0, 0.0, 1.0]]) @ m
        if flip:
            m = np.array([[-1.0, 0.0, iw - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) @ m
        return m[:2], flip

    def _pixels(self, inst: ImageInstance) -> np.ndarray:
        img = inst.image if inst.image is not None else read_image(inst.image_path)
        if img.shape[:2] != (inst.height, inst.width):
            raise DataError(f"image is {img.shape[1]}x{img.shape[0]}, its record says {inst.width}x{inst.height}",
                            inst.image_path, inst.image_id)
        return img

    def __getitem__(self, index: int) -> dict:
        inst = self.instances[index]
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.augment is not None else None
        m, flip = self.geometry(inst, rng)
        size = tuple(int(v) for v in self.codec.input_size)
        img = cv2.warpAffine(self._pixels(inst), m, size, flags=cv2.INTER_LINEAR, borderValue=0)
        kp = apply_affine(inst.keypoints, m) if len(inst.keypoints) else inst.keypoints.astype(np.float64)
        vis = np.asarray(inst.visible)
        if flip:
            kp, vis = kp[:, self.flip_index], vis[:, self.flip_index]
        if rng is not None:
            img = color_jitter(img, rng, self.augment.brightness, self.augment.contrast, self.augment.saturation)
            img, vis = pixel_augment(img, rng, self.augment, kp, vis)
        item = {"image": img.astype(np.float32).transpose(2, 0, 1).copy(), "matrix": m, "index": index}
        if not self.encode:
            return item
        mask = None
        if inst.ignored:
            ignored = ignore_mask(inst.ignored, inst.height, inst.width).astype(np.uint8)
            mask = cv2.warpAffine(ignored, m, size, flags=cv2.INTER_NEAREST, borderValue=0) == 0
        item.update(self.codec.encode_image(kp, vis, mask))
        return item
