"""Feature and logit distillation as DWPose does it (first stage), on heatmap networks.

DWPose (Yang, Zeng, Li, Yang. "Effective Whole-body Pose Estimation with Two-stages
Distillation". ICCV Workshops 2023, Sec. 3.1; official code ``IDEA-Research/DWPose``, as merged
into MMPose: ``DWPoseDistiller``, ``FeaLoss``, ``KDLoss``):

- **feature loss** on the last backbone feature: ``alpha_fea * sum((align(F_s) - F_t)**2) / N``,
  ``align`` a 1x1 convolution from the student's channels to the teacher's (none when they are
  equal), ``alpha_fea = 7e-5`` (FeaLoss's default and every DWPose config);
- **logit loss**: per keypoint, ``KL(softmax(beta * t) || softmax(beta * s))`` over the bins,
  summed over keypoints, averaged over the batch, divided by the number of keypoints, times
  ``weight_logit = 0.1`` (KDLoss in the DWPose configs); ``beta = 10`` (the temperature is
  ``1 / beta``; DWPose passes RTMPose's SimCC loss ``beta``, 10). DWPose's bins are SimCC's 1-D
  logits; here they are the H*W pixels of each heatmap (the issue's "KL on heatmaps");
- **weight decay**: both losses times ``1 - t / t_max`` (DWPose: epoch / max_epochs; here the
  step over the run's ``total_steps``, a linear decay to 0 over training);
- the student's own loss to the ground truth, unweighted: ``L = L_gt + r(t) * (L_fea + L_logit)``.

The teacher is frozen and held outside the module tree, as in :class:`~.distill.FPDDistillation`;
the ``align`` convolution is a training-only part: it is in ``parameters()`` (the optimiser trains
it) but not in ``state_dict()``, so a checkpoint is the student alone (a ``--resume`` starts the
projection afresh). The teacher's logits are put on the student's heatmap grid first
(:func:`~.distill.heatmaps_on_grid`); features of different sizes are matched by resizing the
projected student feature to the teacher's (bilinear).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from ..topdown.estimator import final_stage
from .distill import FPDDistillation, heatmaps_on_grid

__all__ = ["DWPOSE", "ALPHA_FEA", "WEIGHT_LOGIT", "BETA", "feature_loss", "heatmap_kd_loss", "linear_decay",
           "DWPoseDistillation"]

DWPOSE = "Yang, Zeng, Li, Yang. Effective Whole-body Pose Estimation with Two-stages Distillation. ICCVW 2023"
ALPHA_FEA = 7e-5     # FeaLoss alpha_fea (DWPose configs)
WEIGHT_LOGIT = 0.1   # KDLoss weight (DWPose configs)
BETA = 10.0          # RTMPose's SimCC KL beta, which DWPose's KDLoss uses as its inverse temperature


def _last(feats):
    return feats[-1] if isinstance(feats, (list, tuple)) else feats


def feature_loss(student_feat: Tensor, teacher_feat: Tensor, align: nn.Module | None = None,
                 alpha_fea: float = ALPHA_FEA) -> Tensor:
    """``alpha_fea * sum((align(student) - teacher)**2) / N`` (DWPose's FeaLoss)."""
    s = align(student_feat) if align is not None else student_feat
    if s.shape[-2:] != teacher_feat.shape[-2:]:
        s = F.interpolate(s, size=teacher_feat.shape[-2:], mode="bilinear", align_corners=False)
    return alpha_fea * (s.float() - teacher_feat.detach().float()).pow(2).sum() / len(s)


def heatmap_kd_loss(student: Tensor, teacher: Tensor, beta: float = BETA, weight: float = WEIGHT_LOGIT) -> Tensor:
    """DWPose's KDLoss on (N, K, H, W) heatmaps taken as logits over the H*W bins:
    ``weight * mean_N(sum_K KL(softmax(beta t) || softmax(beta s))) / K``."""
    n, k = student.shape[:2]
    log_s = F.log_softmax(beta * student.float().reshape(n * k, -1), dim=1)
    p_t = F.softmax(beta * teacher.detach().float().reshape(n * k, -1), dim=1)
    kl = F.kl_div(log_s, p_t, reduction="none").sum(1).reshape(n, k)
    return weight * kl.sum(1).mean() / k


def linear_decay(step: int, total_steps: int) -> float:
    """``1 - step / total_steps``, clipped to [0, 1]: DWPose's weight decay of the distillation losses."""
    return min(max(1.0 - step / max(total_steps, 1), 0.0), 1.0)


class DWPoseOutput(NamedTuple):
    student: object            # the student's heatmaps (a tensor or a list of stages)
    teacher: Tensor            # the teacher's last heatmaps on the student's grid
    student_feature: Tensor    # the student's last backbone feature
    teacher_feature: Tensor    # the teacher's last backbone feature


class DWPoseDistillation(FPDDistillation):
    """The student under a frozen teacher with DWPose's feature and logit losses (weights in the module docstring).

    ``total_steps``: the run's steps, over which the distillation weight decays linearly to 0; the
    step is counted by the training-mode calls of :meth:`loss`. Student and teacher must be
    backbone -> head networks (:class:`~posekit.topdown.estimator.TopDown`).
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, total_steps: int, alpha_fea: float = ALPHA_FEA,
                 weight_logit: float = WEIGHT_LOGIT, beta: float = BETA):
        super().__init__(student, teacher, alpha=0.0)
        for role, m in (("student", student), ("teacher", teacher)):
            if not (hasattr(m, "backbone") and hasattr(m, "head")):
                raise ModelError(f"DWPose distillation needs a backbone -> head {role}")
        self.total_steps, self.alpha_fea, self.weight_logit, self.beta = int(total_steps), alpha_fea, weight_logit, beta
        self.step = 0
        w, h = student.codec.input_size
        probe = torch.zeros(1, 3, h, w)
        was = student.training
        student.eval()
        with torch.no_grad():
            cs, ct = _last(student.backbone(probe)).shape[1], _last(teacher.backbone(probe)).shape[1]
        student.train(was)
        self.align = nn.Conv2d(cs, ct, 1) if cs != ct else None

    def forward(self, images: Tensor):
        if not self.training:
            return self.student(images)
        feats = self.student.backbone(images)
        out = self.student.head(feats)
        self.teacher.eval()
        with torch.no_grad():
            t_feats = self.teacher.backbone(images)
            t_maps = heatmaps_on_grid(final_stage(self.teacher.head(t_feats)).float(), self.teacher.codec,
                                      self.student.codec)
        return DWPoseOutput(out, t_maps, _last(feats), _last(t_feats))

    def loss(self, output: DWPoseOutput, batch: dict) -> Tensor:
        r = linear_decay(self.step, self.total_steps)
        if self.training:
            self.step += 1
        gt = self.student.loss(output.student, batch)
        fea = feature_loss(output.student_feature, output.teacher_feature, self.align, self.alpha_fea)
        logit = heatmap_kd_loss(final_stage(output.student), output.teacher, self.beta, self.weight_logit)
        return gt + r * (fea + logit)
