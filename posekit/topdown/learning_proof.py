"""The learning proof: a preset trained from scratch on synthetic people within a time budget,
scored on held-out synthetic people (PCK@0.1, PCK@0.2 and OKS AP).

Used by the slow learning tests of every family and by ``bench/zoo_synthetic.py``, the survey's
comparison measured on one machine. The schedule is fitted to the budget: a few timed steps
estimate how many fit, and a cosine schedule runs over exactly those, so every model ends its
schedule in time instead of being cut off at a high learning rate.

No horizontal flips: the synthetic people carry a light stripe on the left limbs and a dark one
on the right (:mod:`posekit.data.synthetic.render`); a mirror keeps the stripes but swaps the
labels, so flip augmentation (and flip testing) would teach the network contradictory cues.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace

import numpy as np

from ..engine.config import TrainConfig
from .dataset import PersonInstance, TopDownDataset
from .transforms import RandomAugment

__all__ = ["synthetic_instances", "crops_ground_truth", "learn_synthetic", "SYNTHETIC_AUGMENT"]

SYNTHETIC_AUGMENT = RandomAugment(flip_prob=0.0, scale_factor=0.1, rotation_prob=0.0, half_body_prob=0.0)


def synthetic_instances(n: int, size: tuple[int, int], seed: int) -> list[PersonInstance]:
    """``n`` in-memory synthetic crops of ``size`` (W, H), each framed as a 1.25-padded box frames it."""
    from ..data.synthetic import make_crops

    w, h = size
    images, keypoints = make_crops(n, size=(w, h), seed=seed)
    box = np.array([w / 2 - w / 2.5, h / 2 - h / 2.5, w / 1.25, h / 1.25])
    return [PersonInstance(i, box, keypoints[i, :, :2].astype(np.float64), keypoints[i, :, 2].astype(np.int64),
                           image=images[i]) for i in range(n)]


def crops_ground_truth(instances: list[PersonInstance], skeleton) -> dict:
    """A COCO keypoint dataset (in memory) with one image and one person per instance."""
    w, h = instances[0].image.shape[1], instances[0].image.shape[0]
    anns = []
    for i, p in enumerate(instances):
        kp = np.concatenate([p.keypoints, p.visible[:, None]], 1)
        anns.append({"id": i + 1, "image_id": p.image_id, "category_id": 1, "iscrowd": 0,
                     "bbox": [float(v) for v in p.box], "area": float(p.box[2] * p.box[3]),
                     "keypoints": kp.reshape(-1).tolist(), "num_keypoints": int((p.visible > 0).sum())})
    return {"images": [{"id": p.image_id, "width": w, "height": h, "file_name": f"{p.image_id}.png"}
                       for p in instances],
            "annotations": anns,
            "categories": [{"id": 1, "name": "person", "keypoints": list(skeleton.names),
                            "skeleton": [[a + 1, b + 1] for a, b in skeleton.limbs]}]}


def _scorer(held_out: list[PersonInstance], skeleton):
    from ..evaluation import evaluate_coco
    from ..evaluation.pck import box_size, pck
    from .inference import predict_instances

    gt = np.stack([p.keypoints for p in held_out])
    labelled = np.stack([p.visible for p in held_out]) > 0
    size = box_size(np.stack([p.box for p in held_out]))
    coco = crops_ground_truth(held_out, skeleton)

    def score(model) -> dict:
        kp, ks = predict_instances(model, held_out, 64, flip=False, progress=False)
        records = [{"image_id": p.image_id, "category_id": 1, "score": float(ks[i].mean()),
                    "keypoints": np.concatenate([kp[i], ks[i][:, None]], 1).reshape(-1).tolist()}
                   for i, p in enumerate(held_out)]
        return {"PCK@0.1": pck(kp, gt, labelled, size, 0.1), "PCK@0.2": pck(kp, gt, labelled, size, 0.2),
                "AP": evaluate_coco(coco, records).summary()["AP"]}

    return score


def _step_seconds(model, train: list[PersonInstance], cfg: TrainConfig, steps: int = 6) -> float:
    """Seconds per training step of ``model`` (after two warm-up steps), on a throw-away copy."""
    import copy

    from ..engine.trainer import Trainer

    probe = copy.deepcopy(model)
    n = cfg.batch_size * (steps + 2)
    ds = TopDownDataset(train[:n], probe.codec, probe.skeleton, cfg.augment)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(probe, ds, replace(cfg, out=tmp, epochs=1, max_minutes=0), None)
        loader, _ = trainer._loader(0, 0)
        batches = iter(loader)
        for i in range(2):
            trainer.train_step(next(batches), i)
        start = time.perf_counter()
        for i in range(steps):
            trainer.train_step(next(batches), 2 + i)
        return (time.perf_counter() - start) / steps


def learn_synthetic(preset: str, minutes: float, train: list[PersonInstance], held_out: list[PersonInstance],
                    seed: int = 0, out: str | None = None, model_args: dict | None = None, **config) -> dict:
    """Train ``preset`` from scratch for about ``minutes`` on ``train``; score it on ``held_out``.

    ``model_args`` go to the preset's builder (e.g. ``sigma``); ``config`` overrides :class:`TrainConfig` fields (defaults: Adam at 3e-3, batch 8, cosine,
    bf16 autocast on the CPU). Returns the scores of the best validation, the number of
    parameters, the steps and minutes used and the inference cost in ms per crop.
    """
    import torch

    from ..engine.cpu import flush_denormals
    from ..engine.trainer import Trainer, seed_everything
    from ..models.complexity import count_parameters
    from ..zoo import build_model

    seed_everything(seed)
    model = build_model(preset, **(model_args or {}))
    settings = dict(batch_size=8, lr=3e-3, schedule="cosine", warmup_steps=50, amp="bf16", workers=0,
                    augment=SYNTHETIC_AUGMENT, log_every=50, seed=seed)
    settings.update(config)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(out=out or tmp, max_minutes=minutes, **settings)
        with flush_denormals(True):
            step = _step_seconds(model, train, cfg)
        # 6% of the budget is left for validation and the loop's own overhead
        steps = max(20, int(minutes * 60 * 0.94 / step))
        samples = steps * cfg.batch_size
        epochs = -(-samples // len(train))
        per_epoch = min(len(train), -(-samples // epochs))
        subset = train[:per_epoch]
        cfg = replace(cfg, epochs=epochs, val_every=epochs)
        score = _scorer(held_out, model.skeleton)
        summary = Trainer(model, TopDownDataset(subset, model.codec, model.skeleton, cfg.augment, seed=seed), cfg,
                          score, "PCK@0.1").fit()
    model.eval()
    images = torch.from_numpy(np.stack([TopDownDataset(held_out[:16], model.codec, model.skeleton, None,
                                                       encode=False)[i]["image"] for i in range(16)]))
    with flush_denormals(True), torch.no_grad():
        model(images)
        start = time.perf_counter()
        for _ in range(3):
            model(images)
        ms = (time.perf_counter() - start) / 3 / len(images) * 1e3
    return {"preset": preset, **summary["metrics"], "params_m": count_parameters(model) / 1e6,
            "ms_per_crop": ms, "steps": summary["steps"], "minutes": summary["minutes"],
            "step_seconds_estimate": step}
