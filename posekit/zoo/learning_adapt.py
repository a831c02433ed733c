"""The domain-adaptation proof: a preset trained on clean synthetic people (the source), adapted
without labels to a shifted target domain, scored on the target's labelled test split.

The target: the same generator's people under low light and blur, each crop through
``underexposure`` then ``defocus_blur`` or ``motion_blur`` (:mod:`posekit.data.corruptions`,
severities :data:`TARGET_SEVERITIES`, one seeded stream per crop), and, with an ``occlusion``
severity above 0, ``occlusion`` (the joints it covers become v = 1, labelled but hidden, and are
scored: no adaptation can see them, so the default leaves it out; ``bench/adapt_synthetic.py
--occlusion 2`` measures it).
Rows: ``source-only`` (the source model as it is), ``adabn`` (:mod:`posekit.adaptation.adabn`)
and ``adabn+mean-teacher`` (:mod:`posekit.adaptation.mean_teacher`, starting from the AdaBN
model). The target's training images are used without their labels; its test images are others.
``bench/adapt_synthetic.py`` runs it over seeds; a short version runs in the default suite.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace

import numpy as np

from ..engine.config import TrainConfig
from ..topdown.dataset import PersonInstance
from .learning_proof import SYNTHETIC_AUGMENT, held_out_scorer, train_synthetic

__all__ = ["TARGET_SEVERITIES", "shifted_instances", "learn_adaptation"]

# (kind, severity) of the target domain, in order; the blur is defocus or motion, drawn per crop
TARGET_SEVERITIES = {"underexposure": 4, "blur": 3, "occlusion": 0}


def shifted_instances(instances: list[PersonInstance], seed: int, severities: dict | None = None
                      ) -> list[PersonInstance]:
    """Copies of ``instances`` in the target domain (see the module docstring); crop ``i`` depends
    only on (``seed``, ``i``). ``severities`` overrides :data:`TARGET_SEVERITIES`."""
    from ..data.corruptions import corrupt

    sev = dict(TARGET_SEVERITIES, **(severities or {}))
    out = []
    for i, p in enumerate(instances):
        rng = np.random.default_rng([seed, i, 11])
        image, _ = corrupt(p.image, "underexposure", sev["underexposure"], rng)
        blur = "defocus_blur" if rng.random() < 0.5 else "motion_blur"
        image, _ = corrupt(image, blur, sev["blur"], rng)
        kp = np.concatenate([p.keypoints, p.visible[:, None]], 1)[None]
        if sev["occlusion"]:
            image, kp = corrupt(image, "occlusion", sev["occlusion"], rng, kp, p.box[None])
        out.append(replace(p, image=image, visible=kp[0, :, 2].astype(np.int64)))
    return out


def learn_adaptation(preset: str, steps: int, adapt_steps: int, source: list[PersonInstance],
                     target_train: list[PersonInstance], target_test: list[PersonInstance], seed: int = 0,
                     model_args: dict | None = None, threshold: float = 0.5, decay: float = 0.99,
                     batch_size: int = 8, adapt_lr: float = 1e-3, clean_test: list[PersonInstance] | None = None, **config) -> list[dict]:
    """Rows (``method``, ``PCK@0.1``, ``PCK@0.2``, ``AP`` on ``target_test``) of source-only, AdaBN and
    AdaBN + mean-teacher self-training (``adapt_steps`` steps at ``adapt_lr``, the source crops still
    supervised). ``target_train``'s labels are never read. ``clean_test``,
    given, adds the source model's scores on it (``source-only, clean``): what the shift costs."""
    from ..adaptation import adapt_batchnorm, crop_batches, self_train
    from ..engine.cpu import flush_denormals

    unlabelled = [replace(p, keypoints=np.zeros_like(p.keypoints), visible=np.zeros_like(p.visible))
                  for p in target_train]
    model, _ = train_synthetic(preset, steps, source, seed, model_args=model_args, batch_size=batch_size, **config)
    score = held_out_scorer(target_test, model.skeleton)
    rows = []

    def record(method: str) -> None:
        with flush_denormals(True):
            rows.append({"preset": preset, "seed": seed, "method": method, **score(model)})

    if clean_test is not None:
        with flush_denormals(True):
            rows.append({"preset": preset, "seed": seed, "method": "source-only, clean",
                         **held_out_scorer(clean_test, model.skeleton)(model)})
    record("source-only")
    with flush_denormals(True):
        adapt_batchnorm(model, crop_batches(unlabelled, model))
    record("adabn")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(out=tmp, epochs=-(-adapt_steps * batch_size // len(unlabelled)), max_steps=adapt_steps,
                          batch_size=batch_size, lr=adapt_lr, schedule="cosine", warmup_steps=0, amp="bf16", workers=0,
                          log_every=10**6, seed=seed)
        summary = self_train(model, source, unlabelled, cfg, SYNTHETIC_AUGMENT, threshold=threshold, decay=decay)
    record("adabn+mean-teacher")
    rows[-1]["pseudo_fraction"] = summary["pseudo_fraction"]
    return rows
