"""Top-down training from a :class:`~posekit.engine.config.TrainConfig`: COCO-format files ->
augmented crops -> :class:`~posekit.engine.trainer.Trainer`, validated by COCO AP (ground-truth
boxes, flip test) and PCK.

The model comes from the caller (``build_model(name, skeleton=...)``, the zoo's), so this layer
knows no preset table. Before training, every ``file_name`` must lie inside its image folder
(an absolute path or a ``..`` that leaves it is refused, naming file and record); people whose
box is degenerate (width or height <= 1 px) are left out and counted; an image that cannot be
decoded during training is skipped and reported at the end (:class:`~posekit.engine.skipping.SkipUnreadable`).
"""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

from ..data.coco import CocoDataset, load_coco
from ..engine.config import TrainConfig
from ..errors import DataError
from .dataset import TopDownDataset, person_instances
from .transforms import RandomAugment

__all__ = ["load_keypoint_file", "topdown_validator", "train_topdown", "check_image_paths", "degenerate_boxes",
           "TopDownSamples"]


def load_keypoint_file(path, skeleton: str | None = None, image_root=None) -> CocoDataset:
    """A COCO-format keypoint file (COCO, CrowdPose, synthetic, ...) or an MMPose MPII JSON, as a CocoDataset.

    MPII records carry no image sizes; they are read from the image headers under ``image_root``.
    """
    from ..data.mpii import load_mpii
    from ..data.validate import file_kind
    from ..fileio import read_json
    from ..skeletons import MPII16

    if str(path).endswith(".json") and file_kind(read_json(path)) == "mpii":
        from pathlib import Path

        from PIL import Image

        from ..errors import DataError

        import numpy as np

        samples = load_mpii(path)
        next_id = 1
        for smp in samples:
            smp.ann_ids = np.arange(next_id, next_id + len(smp))  # MPII has no annotation ids
            next_id += len(smp)
            file = Path(image_root or Path(path).parent) / smp.file_name
            try:
                with Image.open(file) as im:
                    smp.width, smp.height = im.size
            except OSError:
                raise DataError("cannot read image", file) from None
        return CocoDataset.from_samples(samples, MPII16)
    return load_coco(path, skeleton)


def check_image_paths(coco: CocoDataset, image_root, path=None) -> None:
    """Refuse a ``file_name`` that is absolute or leaves ``image_root`` through ``..`` (:class:`DataError`
    naming the file, the image record and the field)."""
    for img in coco.images:
        name = str(img.get("file_name", ""))
        inside = os.path.normpath(name)
        if os.path.isabs(name) or inside == ".." or inside.startswith(".." + os.sep):
            raise DataError(f"file_name {name!r} points outside the image folder {image_root}; file names must be "
                            f"relative paths inside it", path or coco.path, img.get("id"), "file_name")


def degenerate_boxes(coco: CocoDataset) -> list[int]:
    """Ids of the annotations training would use but for a box of width or height <= 1 px."""
    return [a.get("id") for a in coco.annotations
            if not a.get("iscrowd", 0) and a.get("num_keypoints", 1) > 0 and "bbox" in a
            and (a["bbox"][2] <= 1 or a["bbox"][3] <= 1)]


class TopDownSamples(TopDownDataset):
    """Training crops whose ``describe(index)`` names the image file and person."""

    def describe(self, index: int) -> str:
        p = self.instances[index]
        try:
            self[index]
            problem = "read again without error"
        except DataError as e:
            problem = e.reason
        return f"{p.image_path}: image {p.image_id}: {problem}"


def topdown_validator(coco: CocoDataset, image_root, flip: bool = True, batch_size: int = 32,
                      workers: int = 0) -> Callable:
    """``validate(model) -> {"AP", "AP50", ..., "PCK@0.1", "PCK@0.2"}`` on ground-truth boxes."""
    from ..evaluation import evaluate_coco
    from ..evaluation.pck import box_size, pck
    from .inference import predict_instances, rescore

    instances = person_instances(coco, image_root, train=True)
    gt = np.stack([i.keypoints for i in instances])
    vis = np.stack([i.visible for i in instances])
    size = box_size(np.stack([i.box for i in instances]))

    def validate(model) -> dict:
        kp, ks = predict_instances(model, instances, batch_size, flip, workers, progress=False)
        scores = rescore(np.ones(len(kp)), ks)
        records = [{"image_id": int(inst.image_id), "category_id": int(inst.category_id),
                    "keypoints": np.concatenate([kp[i], ks[i][:, None]], 1).reshape(-1).tolist(),
                    "score": float(scores[i])} for i, inst in enumerate(instances)]
        out = evaluate_coco(coco, records).summary()
        out["PCK@0.1"] = pck(kp, gt, vis > 0, size, 0.1)
        out["PCK@0.2"] = pck(kp, gt, vis > 0, size, 0.2)
        return out

    return validate


def train_topdown(cfg: TrainConfig, build_model: Callable, progress: bool = True,
                  notes: Callable[[str], None] | None = None) -> dict:
    """Build the model (``build_model(cfg.model, skeleton=...)``), the datasets and the validator
    that ``cfg`` names, then train. ``notes(line)`` receives what was left out (one line each);
    the summary lists the same lines under ``"notes"``."""
    from ..engine.skipping import SkipUnreadable
    from ..engine.trainer import Trainer, seed_everything

    said: list[str] = []

    def note(line: str) -> None:
        said.append(line)
        if notes is not None:
            notes(line)

    train_coco = load_keypoint_file(cfg.train, cfg.skeleton or None, cfg.train_images)
    check_image_paths(train_coco, cfg.train_images, cfg.train)
    dropped = degenerate_boxes(train_coco)
    if dropped:
        note(f"{cfg.train}: {len(dropped)} people left out of training for a box of width or height <= 1 px "
             f"(annotation ids {', '.join(str(d) for d in dropped[:5])}{', ...' if len(dropped) > 5 else ''})")
    skeleton = train_coco.skeleton()
    seed_everything(cfg.seed)
    model = build_model(cfg.model, skeleton=skeleton, **({"loss": cfg.loss} if cfg.loss else {}))
    instances = person_instances(train_coco, cfg.train_images, train=True)
    augment = cfg.augment if isinstance(cfg.augment, RandomAugment) else RandomAugment(**(cfg.augment or {}))
    train_set = SkipUnreadable(TopDownSamples(instances, model.codec, skeleton, augment, seed=cfg.seed,
                                              masks=cfg.multitask == "seg"))
    trained = model
    if cfg.multitask == "seg":  # the segmentation head is a training aid: the run's weights are the pose network's
        from .multitask import MultiTask

        trained = MultiTask(model, cfg.multitask_weighting, cfg.seg_weight)
        masked = sum(p.segmentation is not None or p.mask is not None for p in instances)
        note(f"{cfg.train}: multi-task training, {masked} of {len(instances)} people have a segmentation")
    validate = None
    if cfg.val:
        val_images = cfg.val_images or cfg.train_images
        val_coco = load_keypoint_file(cfg.val, cfg.skeleton or None, val_images)
        check_image_paths(val_coco, val_images, cfg.val)
        validate = topdown_validator(val_coco, val_images, cfg.flip_test, cfg.batch_size, cfg.workers)
    metric = "AP" if cfg.val_metric == "ap" else "PCK@0.1"
    summary = Trainer(trained, train_set, cfg, validate, metric).fit()
    for line in summary["skipped"]:
        note(f"skipped unreadable training image {line}")
    summary["notes"] = said
    return summary
