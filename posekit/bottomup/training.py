"""Bottom-up training from a :class:`~posekit.engine.config.TrainConfig`: COCO-format files -> whole
augmented images with part-field targets -> :class:`~posekit.engine.trainer.Trainer`, validated by
COCO keypoint AP of the grouped people (no flip test).

The driver of ``posekit train`` for presets of the "bottom-up" family (``posekit.commands.train.DRIVERS``).
The model comes from the caller (``build_model(name, skeleton=...)``); its codec encodes the targets
and groups the predictions. File checks are the top-down driver's (file names inside the image folder).
"""
from __future__ import annotations

from typing import Callable

from ..data.coco import CocoDataset
from ..engine.config import TrainConfig
from ..errors import DataError
from ..topdown.training import check_image_paths, load_keypoint_file
from ..topdown.transforms import RandomAugment
from .dataset import BottomUpDataset, image_instances
from .inference import coco_records, predict_images

__all__ = ["bottomup_validator", "train_bottomup", "BottomUpSamples"]


class BottomUpSamples(BottomUpDataset):
    """Training images whose ``describe(index)`` names the image file."""

    def describe(self, index: int) -> str:
        inst = self.instances[index]
        try:
            self[index]
            problem = "read again without error"
        except DataError as e:
            problem = e.reason
        return f"{inst.image_path}: image {inst.image_id}: {problem}"


def bottomup_validator(coco: CocoDataset | dict, image_root=None, instances=None, batch_size: int = 8) -> Callable:
    """``validate(model) -> {"AP", "AP50", ...}``: COCO keypoint AP of the people the model finds in
    every image of ``coco`` (read from ``image_root``, or the in-memory ``instances``)."""
    from ..evaluation import evaluate_coco

    if instances is None:
        instances = image_instances(coco if isinstance(coco, CocoDataset) else CocoDataset(coco), image_root)

    def validate(model) -> dict:
        records = coco_records(instances, predict_images(model, instances, batch_size))
        return evaluate_coco(coco, records).summary()

    return validate


def train_bottomup(cfg: TrainConfig, build_model: Callable, progress: bool = True,
                   notes: Callable[[str], None] | None = None) -> dict:
    """Build the model, datasets and validator that ``cfg`` names, then train; returns the Trainer's
    summary with ``"notes"`` (unreadable images skipped, one line each, also sent to ``notes``)."""
    from ..engine.skipping import SkipUnreadable
    from ..engine.trainer import Trainer, seed_everything

    said: list[str] = []
    if cfg.multitask:
        raise DataError(f"multi-task training ({cfg.multitask}) is for top-down models; {cfg.model} is bottom-up",
                        None, None, "multitask")
    train_coco = load_keypoint_file(cfg.train, cfg.skeleton or None, cfg.train_images)
    check_image_paths(train_coco, cfg.train_images, cfg.train)
    skeleton = train_coco.skeleton()
    seed_everything(cfg.seed)
    model = build_model(cfg.model, skeleton=skeleton)
    augment = cfg.augment if isinstance(cfg.augment, RandomAugment) else RandomAugment(**(cfg.augment or {}))
    train_set = SkipUnreadable(BottomUpSamples(image_instances(train_coco, cfg.train_images), model.codec, skeleton,
                                               augment, seed=cfg.seed))
    validate = None
    if cfg.val:
        val_images = cfg.val_images or cfg.train_images
        val_coco = load_keypoint_file(cfg.val, cfg.skeleton or None, val_images)
        check_image_paths(val_coco, val_images, cfg.val)
        validate = bottomup_validator(val_coco, val_images, batch_size=cfg.batch_size)
    summary = Trainer(model, train_set, cfg, validate, "AP").fit()
    for line in summary["skipped"]:
        said.append(f"skipped unreadable training image {line}")
        if notes is not None:
            notes(said[-1])
    summary["notes"] = said
    return summary
