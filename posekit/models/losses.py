"""Heatmap losses.

``KeypointMSELoss``: the mean squared error between predicted and target heatmaps with
per-keypoint target weights (Xiao et al. 2018), halved as in their code.
``OHKMMSELoss``: online hard keypoint mining (Chen et al., "Cascaded Pyramid Network for
Multi-Person Pose Estimation", CVPR 2018): per sample, only the ``topk`` keypoints with the
largest loss contribute.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["KeypointMSELoss", "OHKMMSELoss"]


def _per_keypoint(pred: Tensor, target: Tensor, weight: Tensor | None) -> Tensor:
    """(N, K) mean over pixels of 0.5 * (w * (pred - target))**2."""
    diff = (pred - target).flatten(2)
    if weight is not None:
        diff = diff * weight[..., None]
    return 0.5 * diff.pow(2).mean(dim=2)


class KeypointMSELoss(nn.Module):
    def __init__(self, use_target_weight: bool = True):
        super().__init__()
        self.use_target_weight = use_target_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        return _per_keypoint(pred, target, weight if self.use_target_weight else None).mean()


class OHKMMSELoss(nn.Module):
    def __init__(self, topk: int = 8, use_target_weight: bool = True):
        super().__init__()
        self.topk, self.use_target_weight = topk, use_target_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        per = _per_keypoint(pred, target, weight if self.use_target_weight else None)
        k = min(self.topk, per.shape[1])
        return torch.topk(per, k, dim=1).values.mean()
