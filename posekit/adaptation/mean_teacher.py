"""Self-training under a mean teacher, for unsupervised domain adaptation of a top-down heatmap network.

Mean teacher: Tarvainen, Valpola. "Mean teachers are better role models: Weight-averaged consistency
targets improve semi-supervised deep learning results". NeurIPS 2017. For pose: Mu, Qiu, Hager,
Yuille, "Learning from Synthetic Animals", CVPR 2020 (confidence-filtered pseudo-labels, strong
augmentation); Kim, Wang, Sclaroff, Saenko, "A Unified Framework for Domain Adaptive Pose
Estimation", ECCV 2022 (a mean teacher over weak/strong views of target images).

Each step sees a batch of labelled source crops and one of unlabelled target crops. The teacher
(an exponential moving average of the student's weights and BatchNorm statistics, never trained
by the optimiser) predicts the keypoints of each target crop's weak view (the plain evaluation
crop); a keypoint whose heatmap peak reaches ``threshold`` becomes a pseudo-label, the others are
left out (weight 0). The student learns them on a strong view of the same person (scale,
rotation, photometric change, blur, noise, erasing, occluders over joints), the pseudo-labels
carried into the strong crop by the two crops' affine maps, and keeps learning the source labels:

    L = L_source + lambda * L_pseudo,       teacher <- d * teacher + (1 - d) * student after each step.

The teacher starts as the student (usually just adapted by :mod:`.adabn`). Strong views are never
mirrored (a mirror would need the keypoints relabelled left for right). The engine trains the
:class:`MeanTeacher` wrapper as any model: its batches stack a source crop and a target strong
view as ``image`` (N, 2, 3, H, W), which :class:`SelfTrainingSet` makes. The student sees the two
halves in separate passes, so that its BatchNorm layers normalise each domain by its own batch
statistics; their running statistics then hold a mix of both, so the adapted model's are
re-estimated on the target afterwards (:func:`self_train` ends with AdaBN).
"""
from __future__ import annotations

import copy
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..compress.distill import TeacherStudent
from ..errors import ModelError
from ..topdown.dataset import PersonInstance, TopDownDataset
from ..topdown.estimator import final_stage
from ..topdown.transforms import RandomAugment, apply_affine, invert_affine

__all__ = ["MEAN_TEACHER", "STRONG_AUGMENT", "MeanTeacher", "SelfTrainingSet", "crop_batches", "self_train"]

MEAN_TEACHER = "Tarvainen, Valpola. Mean teachers are better role models. NeurIPS 2017"

# The strong view: geometric and photometric change, blur, noise and occlusion; no mirror.
STRONG_AUGMENT = RandomAugment(flip_prob=0.0, scale_factor=0.25, rotation_factor=30.0, rotation_prob=0.5,
                               half_body_prob=0.0, brightness=0.4, contrast=0.4, saturation=0.4, gamma=0.5,
                               noise=0.05, motion_blur_prob=0.3, defocus_prob=0.3, erase_prob=0.5,
                               occluder_prob=0.3)


def _split(output, n: int):
    """(source part, target part) of an output over 2n crops: a tensor or a list of stages."""
    if isinstance(output, (list, tuple)):
        parts = [_split(o, n) for o in output]
        return [p[0] for p in parts], [p[1] for p in parts]
    return output[:n], output[n:]


class MeanTeacher(TeacherStudent):
    """``student`` self-trained on target crops under its own moving average (see the module docstring).

    ``threshold``: the teacher's heatmap peak a keypoint needs to be a pseudo-label; ``decay``: the
    moving average's ``d``; ``weight``: ``lambda``. ``state_dict()`` is the student's. Eval mode:
    the student alone.
    """

    def __init__(self, student: nn.Module, threshold: float = 0.5, decay: float = 0.99, weight: float = 1.0):
        if not all(hasattr(student.codec, a) for a in ("encode", "decode", "heatmap_size")):
            raise ModelError(f"mean-teacher self-training takes a heatmap model, not one with a "
                             f"{type(student.codec).__name__} codec")
        super().__init__(student, copy.deepcopy(student))
        self.threshold, self.decay, self.weight = float(threshold), float(decay), float(weight)
        self.pseudo_fraction = float("nan")  # of the target keypoints in the last batch

    @torch.no_grad()
    def update_teacher(self) -> None:
        """teacher <- d * teacher + (1 - d) * student, weights and floating buffers alike."""
        student = self.student.state_dict()
        for name, t in self.teacher.state_dict().items():
            s = student[name]
            if t.dtype.is_floating_point:
                t.mul_(self.decay).add_(s.detach().to(t.dtype), alpha=1 - self.decay)
            else:
                t.copy_(s)

    def forward(self, images: Tensor):
        if not self.training:
            return self.student(images)
        if images.dim() != 5 or images.shape[1] != 2:
            raise ModelError(f"mean-teacher batches stack a source and a target crop: (N, 2, 3, H, W), "
                             f"not {tuple(images.shape)}")
        # one pass per domain: each BatchNorm normalises a batch by its own domain's statistics
        source, target = self.student(images[:, 0]), self.student(images[:, 1])
        if isinstance(source, (list, tuple)):
            return [torch.cat([s, t]) for s, t in zip(source, target)]
        return torch.cat([source, target])

    def pseudo_labels(self, weak: Tensor, weak_to_strong: Tensor) -> tuple[Tensor, Tensor]:
        """The teacher's heatmap targets and weights (N, K, ...) in the strong crops."""
        self.teacher.eval()
        with torch.no_grad():
            maps = final_stage(self.teacher(weak)).float().cpu().numpy()
        kp, scores = self.student.codec.decode(maps)
        kp = apply_affine(kp, weak_to_strong.double().cpu().numpy())
        keep = scores >= self.threshold
        self.pseudo_fraction = float(keep.mean())
        target, weight = self.student.codec.encode(kp, keep.astype(np.int64) * 2)  # weight 0 where not kept
        return torch.from_numpy(target).to(weak.device), torch.from_numpy(weight).to(weak.device)

    def loss(self, output, batch: dict) -> Tensor:
        n = batch["target"].shape[0]
        source, target = _split(output, n)
        supervised = self.student.loss(source, batch)
        maps, weight = self.pseudo_labels(batch["weak"], batch["weak_to_strong"])
        pseudo = self.student.loss(target, {"target": maps, "target_weight": weight})
        self.update_teacher()  # after this step's prediction: the teacher trails the student by one step
        return supervised + self.weight * pseudo


class SelfTrainingSet:
    """Items of mean-teacher self-training: a labelled source crop (augmented with ``source_augment``)
    and a target person's weak and strong crops.

    ``image`` (2, 3, H, W): the source crop and the target's strong view; ``target``,
    ``target_weight``: the source crop's; ``weak`` (3, H, W): the target's evaluation crop;
    ``weak_to_strong`` (2, 3): weak-crop pixels -> strong-crop pixels; ``index``. One item per
    target person; its source crop is drawn by (seed, epoch, index).
    """

    def __init__(self, source: Sequence[PersonInstance], target: Sequence[PersonInstance], codec, skeleton,
                 source_augment: RandomAugment | None, strong: RandomAugment = STRONG_AUGMENT, seed: int = 0):
        if strong.flip_prob > 0:
            raise ModelError("the strong view must not mirror (flip_prob 0): pseudo-labels are not relabelled")
        self.source = TopDownDataset(source, codec, skeleton, source_augment, seed=seed)
        self.strong = TopDownDataset(target, codec, skeleton, strong, seed=seed + 1, encode=False)
        self.weak = TopDownDataset(target, codec, skeleton, None, encode=False)
        self.seed, self.epoch = seed, 0

    def __len__(self) -> int:
        return len(self.weak)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.source.set_epoch(epoch)
        self.strong.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict:
        pick = int(np.random.default_rng([self.seed, self.epoch, index, 7]).integers(len(self.source)))
        src, strong, weak = self.source[pick], self.strong[index], self.weak[index]
        to_strong = np.vstack([strong["matrix"], [0.0, 0.0, 1.0]]) @ np.vstack([invert_affine(weak["matrix"][None])[0],
                                                                                [0.0, 0.0, 1.0]])
        return {"image": np.stack([src["image"], strong["image"]]), "target": src["target"],
                "target_weight": src["target_weight"], "weak": weak["image"], "weak_to_strong": to_strong[:2],
                "index": index}


def crop_batches(instances: Sequence[PersonInstance], model: nn.Module, batch_size: int = 64):
    """The evaluation crops of ``instances`` for ``model``, as (n, 3, H, W) tensors of ``batch_size``."""
    crops = TopDownDataset(instances, model.codec, model.skeleton, None, encode=False)
    for s in range(0, len(crops), batch_size):
        yield torch.from_numpy(np.stack([crops[i]["image"] for i in range(s, min(s + batch_size, len(crops)))]))


def self_train(model: nn.Module, source: Sequence[PersonInstance], target: Sequence[PersonInstance], cfg,
               source_augment: RandomAugment | None = None, validate: Callable | None = None,
               metric: str = "PCK@0.1", threshold: float = 0.5, decay: float = 0.99, weight: float = 1.0) -> dict:
    """Self-train ``model`` (in place) on unlabelled ``target`` people beside labelled ``source`` ones,
    with the engine's :class:`~posekit.engine.trainer.Trainer` under ``cfg`` (a ``TrainConfig``).
    The model's BatchNorm statistics are then re-estimated on the target's weak views (AdaBN).
    Returns the Trainer's summary with ``pseudo_fraction``: the share of target keypoints taken as
    pseudo-labels in the last step."""
    from dataclasses import replace

    from ..engine.cpu import flush_denormals
    from ..engine.trainer import Trainer
    from .adabn import adapt_batchnorm

    cfg = replace(cfg, channels_last=False)  # the batches are (N, 2, 3, H, W)
    if not len(target):
        raise ModelError("self-training was given no target person")
    wrapper = MeanTeacher(model, threshold, decay, weight)
    data = SelfTrainingSet(source, target, model.codec, model.skeleton, source_augment, seed=cfg.seed)
    summary = Trainer(wrapper, data, cfg, validate, metric).fit()
    with flush_denormals(True):
        adapt_batchnorm(model, crop_batches(target, model))
    summary["pseudo_fraction"] = wrapper.pseudo_fraction
    return summary
