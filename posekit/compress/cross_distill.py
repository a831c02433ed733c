"""Cross-representation distillation: a heatmap teacher into a SimCC student.

SimCC (Li et al. "SimCC: a Simple Coordinate Classification Perspective for Human Pose
Estimation". ECCV 2022) predicts, per keypoint, a distribution over x bins and one over y bins;
a heatmap is a distribution over pixels (the view under :class:`~posekit.models.losses.HeatmapKLLoss`).
The teacher's heatmap, clamped at 0, is marginalised over y for the x label and over x for the y
label (the 1-D distributions of a 2-D one), then sampled, linearly, at each SimCC bin's crop
position (bin -> crop pixel by :meth:`posekit.codecs.SimCCLabel.from_bins` -> heatmap coordinate
by the teacher codec's ``to_heatmap``; zero outside the map). Those labels take the place of the
Gaussian ground-truth labels in the student's own loss (:class:`~posekit.models.regression_losses.KLDiscreteLoss`
normalises each to sum 1), weight 1 on every keypoint, and are mixed with the ground truth as
FPD mixes them (Zhang et al. 2019): ``L = (1 - alpha) * L(student, GT) + alpha * L(student, teacher)``,
alpha 0.5. Soft labels as targets of a coordinate classifier are DWPose's logit distillation
(Yang et al. 2023) with the teacher in another representation.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import ModelError
from .distill import FPD_ALPHA, TeacherStudent, _heatmap_codec

__all__ = ["heatmaps_to_simcc_labels", "SimCCFromHeatmaps"]


def _sample(marginal: Tensor, at: np.ndarray) -> Tensor:
    """``marginal`` (..., n) sampled linearly at the fractional indices ``at`` (B,); zero outside [0, n - 1]."""
    n = marginal.shape[-1]
    i0 = np.floor(at).astype(np.int64)
    f = at - i0
    out = 0
    for idx, w in ((i0, 1 - f), (i0 + 1, f)):
        ok = (idx >= 0) & (idx <= n - 1)
        weight = torch.from_numpy(np.where(ok, w, 0.0)).to(marginal)
        out = out + marginal[..., np.clip(idx, 0, n - 1)] * weight
    return out


def heatmaps_to_simcc_labels(maps: Tensor, heatmap_codec, simcc_codec) -> Tensor:
    """(N, K, h, w) heatmaps -> SimCC labels (N, K, X + Y) (x bins then y bins, as
    :meth:`posekit.codecs.SimCCLabel.encode` lays them out), unnormalised."""
    nx, ny = simcc_codec.bins
    p = maps.float().clamp_min(0)
    coords = []
    for n, d in ((nx, 0), (ny, 1)):
        b = np.zeros((n, 2))
        b[:, d] = np.arange(n)
        coords.append(heatmap_codec.to_heatmap(simcc_codec.from_bins(b))[:, d])
    return torch.cat([_sample(p.sum(2), coords[0]), _sample(p.sum(3), coords[1])], dim=-1)


class CrossOutput(NamedTuple):
    student: object      # the student's (x logits, y logits)
    teacher: Tensor      # the teacher's heatmaps as SimCC labels (N, K, X + Y)


class SimCCFromHeatmaps(TeacherStudent):
    """A SimCC student under a frozen heatmap teacher (module docstring); the engine's model contract."""

    def __init__(self, student: nn.Module, teacher: nn.Module, alpha: float = FPD_ALPHA):
        if not hasattr(student.codec, "bins"):
            raise ModelError(f"the student must be a SimCC model, not one with a {type(student.codec).__name__} codec")
        _heatmap_codec(teacher, "teacher")
        super().__init__(student, teacher, alpha)

    def with_teacher(self, out, images: Tensor) -> "CrossOutput":
        with torch.no_grad():
            labels = heatmaps_to_simcc_labels(self.teacher_heatmaps(images), self.teacher.codec, self.student.codec)
        return CrossOutput(out, labels)

    def loss(self, output: CrossOutput, batch: dict) -> Tensor:
        gt = self.student.loss(output.student, batch)
        ones = torch.ones(output.teacher.shape[:2], device=output.teacher.device)
        kd = self.student.loss(output.student, {"target": output.teacher, "target_weight": ones})
        return (1 - self.alpha) * gt + self.alpha * kd
