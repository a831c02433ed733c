"""The multi-task proof: does a person-segmentation head trained beside the keypoint head help the
keypoints, at the same budget?

Rows on the same synthetic crops (their person masks from the generator's label map), the same
preset, steps and seed: ``single-task`` (the keypoint loss alone), ``fixed`` (``L_k + w L_s``) and
``uncertainty`` (Kendall et al.'s learned weighting), see :mod:`posekit.topdown.multitask`. Each row
scores the pose network alone on the held-out crops (PCK@0.1, PCK@0.2, OKS AP) and, for the
multi-task rows, the segmentation head's mean IoU on them. ``bench/multitask_synthetic.py`` runs it
over seeds; a short version runs in the default suite.
"""
from __future__ import annotations

import numpy as np
import torch

from ..topdown.dataset import PersonInstance, TopDownDataset
from ..topdown.multitask import MultiTask
from .learning_proof import learn_synthetic

__all__ = ["MODES", "learn_multitask", "segmentation_iou"]

MODES = ("single-task", "fixed", "uncertainty")


@torch.no_grad()
def segmentation_iou(wrapper: MultiTask, people: list[PersonInstance], batch: int = 32) -> float:
    """Mean IoU over ``people`` of the segmentation head's mask (logit > 0) and the target mask
    (cell share > 0.5) on the heatmap grid, evaluation crops."""
    model = wrapper.model
    data = TopDownDataset(people, model.codec, model.skeleton, masks=True)
    was = wrapper.training
    wrapper.eval()
    ious = []
    try:
        for start in range(0, len(data), batch):
            items = [data[i] for i in range(start, min(start + batch, len(data)))]
            pred = wrapper.segment(torch.from_numpy(np.stack([it["image"] for it in items])))[:, 0].numpy() > 0
            target = np.stack([it["mask"] for it in items]) > 0.5
            inter, union = (pred & target).sum((1, 2)), (pred | target).sum((1, 2))
            ious += list(np.where(union > 0, inter / np.maximum(union, 1), 1.0))
    finally:
        wrapper.train(was)
    return float(np.mean(ious))


def learn_multitask(preset: str, steps: int, train: list[PersonInstance], held_out: list[PersonInstance],
                    mode: str, seed: int = 0, seg_weight: float = 0.01, model_args: dict | None = None,
                    **config) -> dict:
    """One row of the proof (see the module docstring): ``preset`` trained ``steps`` steps on
    ``train`` (instances with masks) in ``mode`` (one of :data:`MODES`), scored on ``held_out``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    wrapped: list[MultiTask] = []

    def wrap(model):
        wrapped.append(MultiTask(model, "uncertainty" if mode == "uncertainty" else "fixed", seg_weight))
        return wrapped[0]

    row = learn_synthetic(preset, steps, train, held_out, seed, model_args=model_args,
                          wrap=None if mode == "single-task" else wrap, masks=mode != "single-task", **config)
    row["mode"] = mode
    if wrapped:
        row["seg_IoU"] = segmentation_iou(wrapped[0], held_out)
        if wrapped[0].log_vars is not None:
            row["log_vars"] = [round(float(v), 4) for v in wrapped[0].log_vars.detach()]
    return row
