"""The learning proof: a preset trained from scratch for a fixed number of steps on synthetic
people, scored on held-out synthetic people (PCK@0.1, PCK@0.2 and OKS AP) against two
references that have learned nothing: the same network untrained, and the mean pose of the
training crops predicted for every held-out crop.

Fixed steps and a fixed seed make a run's result a function of the code alone, not of the load
on the machine (a wall-clock budget made the number of steps, and so the result, vary). Used by
the default suite (``tests/engine/test_learning_quick.py``, tiny crops), the slow bars of every
family (``tests/engine/test_learning_zoo.py``) and ``bench/zoo_synthetic.py``, which measures
them over several seeds.

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
from ..topdown.dataset import PersonInstance, TopDownDataset
from ..topdown.transforms import RandomAugment

__all__ = ["synthetic_instances", "crops_ground_truth", "score_predictions", "train_synthetic", "learn_synthetic",
           "mean_pose_scores", "held_out_scorer", "fit_steps", "PROOF_SETTINGS",
           "SYNTHETIC_AUGMENT"]

SYNTHETIC_AUGMENT = RandomAugment(flip_prob=0.0, scale_factor=0.1, rotation_prob=0.0, half_body_prob=0.0)
# the training settings every learning proof starts from (Adam at 3e-3, batch 8, cosine over the steps,
# 50 warm-up steps, bf16 autocast on the CPU, no worker processes)
PROOF_SETTINGS = dict(batch_size=8, lr=3e-3, schedule="cosine", warmup_steps=50, amp="bf16", workers=0,
                      augment=SYNTHETIC_AUGMENT, log_every=50)


def fit_steps(trained, make_data, size: int, steps: int, score, metric: str, seed: int, out: str | None = None,
              **settings) -> dict:
    """Train ``trained`` for exactly ``steps`` steps on ``make_data(augment)`` (``size`` samples) and
    validate it once at the end with ``score`` (``metric`` ranks); the Trainer's summary.

    ``settings`` override :data:`PROOF_SETTINGS`; the warm-up is capped at a quarter of the steps; the
    run folder is ``out`` or a temporary one."""
    from ..engine.trainer import Trainer

    s = {**PROOF_SETTINGS, "seed": seed, **settings}
    epochs = -(-steps * s["batch_size"] // size)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(out=out or tmp, epochs=epochs, max_steps=steps, val_every=epochs, **s)
        cfg = replace(cfg, warmup_steps=min(cfg.warmup_steps, steps // 4))
        return Trainer(trained, make_data(cfg.augment), cfg, score, metric).fit()


def synthetic_instances(n: int, size: tuple[int, int], seed: int, masks: bool = False) -> list[PersonInstance]:
    """``n`` in-memory synthetic crops of ``size`` (W, H), each framed as a 1.25-padded box frames it;
    with ``masks`` each carries its person mask (for multi-task training)."""
    from ..data.synthetic import make_crops

    w, h = size
    made = make_crops(n, size=(w, h), seed=seed, masks=masks)
    images, keypoints = made[0], made[1]
    box = np.array([w / 2 - w / 2.5, h / 2 - h / 2.5, w / 1.25, h / 1.25])
    return [PersonInstance(i, box, keypoints[i, :, :2].astype(np.float64), keypoints[i, :, 2].astype(np.int64),
                           image=images[i], mask=made[2][i] if masks else None) for i in range(n)]


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


def score_predictions(kp: np.ndarray, conf: np.ndarray, held_out: list[PersonInstance], skeleton) -> dict:
    """PCK@0.1, PCK@0.2 and OKS AP of keypoints ``kp`` (N, K, 2) and scores ``conf`` (N, K), image pixels,
    predicted for ``held_out`` (one person per image; the person's score is its keypoints' mean)."""
    from ..evaluation import evaluate_coco
    from ..evaluation.pck import box_size, pck

    gt = np.stack([p.keypoints for p in held_out])
    labelled = np.stack([p.visible for p in held_out]) > 0
    size = box_size(np.stack([p.box for p in held_out]))
    records = [{"image_id": p.image_id, "category_id": 1, "score": float(conf[i].mean()),
                "keypoints": np.concatenate([kp[i], conf[i][:, None]], 1).reshape(-1).tolist()}
               for i, p in enumerate(held_out)]
    return {"PCK@0.1": pck(kp, gt, labelled, size, 0.1), "PCK@0.2": pck(kp, gt, labelled, size, 0.2),
            "AP": evaluate_coco(crops_ground_truth(held_out, skeleton), records).summary()["AP"]}


def held_out_scorer(held_out: list[PersonInstance], skeleton):
    """``score(model) -> {"PCK@0.1", "PCK@0.2", "AP"}`` on ``held_out`` (no flip test)."""
    from ..topdown.inference import predict_instances

    def score(model) -> dict:
        kp, ks = predict_instances(model, held_out, 64, flip=False, progress=False)
        return score_predictions(kp, ks, held_out, skeleton)

    return score


def mean_pose_scores(train: list[PersonInstance], held_out: list[PersonInstance], skeleton) -> dict:
    """The scores of predicting, for every held-out crop, the mean of the labelled training
    keypoints: what a network reaches that has learned where people usually are, and nothing
    about the image."""
    kp = np.stack([p.keypoints for p in train])
    vis = np.stack([p.visible for p in train])[..., None] > 0
    mean = (kp * vis).sum(0) / np.maximum(vis.sum(0), 1)
    pred = np.broadcast_to(mean, (len(held_out),) + mean.shape).copy()
    return score_predictions(pred, np.ones(pred.shape[:2]), held_out, skeleton)


def _inference_ms(model, held_out: list[PersonInstance]) -> float:
    import torch

    from ..engine.cpu import flush_denormals

    model.eval()
    n = min(16, len(held_out))
    ds = TopDownDataset(held_out[:n], model.codec, model.skeleton, None, encode=False)
    images = torch.from_numpy(np.stack([ds[i]["image"] for i in range(n)]))
    with flush_denormals(True), torch.no_grad():
        model(images)
        start = time.perf_counter()
        for _ in range(3):
            model(images)
    return (time.perf_counter() - start) / 3 / n * 1e3


def train_synthetic(preset: str, steps: int, train: list[PersonInstance], seed: int = 0, out: str | None = None,
                    model_args: dict | None = None, wrap=None, score=None, before=None, masks: bool = False,
                    **config) -> tuple:
    """The training half of :func:`learn_synthetic`: ``(model, summary)``, the built ``preset`` trained
    from scratch for ``steps`` steps on ``train``. ``score(model)`` is the Trainer's validation;
    ``before(model)``, given, runs on the built model before any step; ``masks`` gives the crops'
    person masks to the trained module (multi-task training, ``TopDownDataset(masks=True)``)."""
    from ..engine.trainer import seed_everything
    from . import build_model

    seed_everything(seed)
    model = build_model(preset, **(model_args or {}))
    if before is not None:
        before(model)
    trained = wrap(model) if wrap is not None else model
    summary = fit_steps(trained, lambda augment: TopDownDataset(train, model.codec, model.skeleton, augment, seed=seed,
                                                                masks=masks),
                        len(train), steps, score, "PCK@0.1", seed, out, **config)
    return model, summary


def learn_synthetic(preset: str, steps: int, train: list[PersonInstance], held_out: list[PersonInstance],
                    seed: int = 0, out: str | None = None, model_args: dict | None = None, untrained: bool = False,
                    wrap=None, **config) -> dict:
    """Train ``preset`` from scratch for ``steps`` optimisation steps on ``train``; score it on ``held_out``.

    ``model_args`` go to the preset's builder (e.g. ``sigma``, ``input_size``); ``config``
    overrides :class:`TrainConfig` fields (defaults: Adam at 3e-3, batch 8, cosine over the
    ``steps``, 50 warm-up steps, bf16 autocast on the CPU). With ``untrained`` the scores of the
    network before training come back too (``untrained_PCK@0.1``, ...). ``wrap(model)``, given,
    returns the module the Trainer trains in the built model's place (a distillation wrapper,
    :class:`posekit.compress.distill.FPDDistillation`); the built model is what is scored. Returns the scores, the
    number of parameters, steps, minutes and the inference cost in ms per crop.
    """
    from ..engine.cpu import flush_denormals
    from ..models.complexity import count_parameters

    row: dict = {"preset": preset, "seed": seed}
    scorer: list = []

    def before(model) -> None:
        scorer.append(held_out_scorer(held_out, model.skeleton))
        if untrained:
            with flush_denormals(True):
                row.update({f"untrained_{k}": v for k, v in scorer[0](model).items()})

    t0 = time.monotonic()
    model, summary = train_synthetic(preset, steps, train, seed, out, model_args, wrap,
                                     lambda m: scorer[0](m), before, **config)
    row.update(summary["metrics"])
    row.update({"params_m": count_parameters(model) / 1e6, "steps": summary["steps"],
                "minutes": (time.monotonic() - t0) / 60, "ms_per_crop": _inference_ms(model, held_out)})
    return row
