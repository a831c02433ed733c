"""Top-down training from a :class:`~posekit.engine.config.TrainConfig`: COCO-format files ->
augmented crops -> :class:`~posekit.engine.trainer.Trainer`, validated by COCO AP (ground-truth
boxes, flip test) and PCK."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..data.coco import CocoDataset, load_coco
from ..engine.config import TrainConfig
from .dataset import TopDownDataset, person_instances

__all__ = ["load_keypoint_file", "topdown_validator", "train_topdown"]


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


def train_topdown(cfg: TrainConfig, progress: bool = True) -> dict:
    """Build the preset, the datasets and the validator that ``cfg`` names, then train."""
    from ..engine.trainer import Trainer, seed_everything
    from ..zoo import build_model

    train_coco = load_keypoint_file(cfg.train, cfg.skeleton or None, cfg.train_images)
    skeleton = train_coco.skeleton()
    seed_everything(cfg.seed)
    model = build_model(cfg.model, skeleton=skeleton)
    instances = person_instances(train_coco, cfg.train_images, train=True)
    train_set = TopDownDataset(instances, model.codec, skeleton, cfg.augment, seed=cfg.seed)
    validate = None
    if cfg.val:
        validate = topdown_validator(load_keypoint_file(cfg.val, cfg.skeleton or None, cfg.val_images or cfg.train_images), cfg.val_images or cfg.train_images,
                                     cfg.flip_test, cfg.batch_size, cfg.workers)
    metric = "AP" if cfg.val_metric == "ap" else "PCK@0.1"
    return Trainer(model, train_set, cfg, validate, metric).fit()
