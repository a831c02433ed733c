"""Heatmap losses.

``KeypointMSELoss``: the mean squared error between predicted and target heatmaps with
per-keypoint target weights (Xiao et al. 2018), halved as in their code.
``OHKMMSELoss``: online hard keypoint mining (Chen et al., "Cascaded Pyramid Network for
Multi-Person Pose Estimation", CVPR 2018): per sample, only the ``topk`` keypoints with the
largest loss contribute.
``AdaptiveWingLoss``: Wang, Bo, Fuxin, "Adaptive Wing Loss for Robust Face Alignment via Heatmap
Regression", ICCV 2019, Eq. 6-8 with its weighted loss map (Eq. 9), defaults omega 14, theta 0.5,
epsilon 1, alpha 2.1, map weight 10 over the 3x3-dilated region where the target exceeds 0.2.
``FocalHeatmapLoss``: the penalty-reduced focal loss of CornerNet (Law & Deng, ECCV 2018, Eq. 1)
on sigmoid(output), alpha 2, beta 4, normalised by the number of peaks (target >= 1 - 1e-6).
``HeatmapKLLoss``: per keypoint, KL(q || softmax(output / tau)) with q the target normalised to
sum 1 over the map (the distribution view of heatmaps, as SimCC's KL is for its 1-D labels).

Every loss takes ``(output, target, weight)``: heatmaps (N, K, H, W) and per-keypoint weights (N, K).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["KeypointMSELoss", "OHKMMSELoss", "AdaptiveWingLoss", "FocalHeatmapLoss", "HeatmapKLLoss"]


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


class AdaptiveWingLoss(nn.Module):
    def __init__(self, omega: float = 14.0, theta: float = 0.5, epsilon: float = 1.0, alpha: float = 2.1,
                 map_weight: float = 10.0, map_threshold: float = 0.2):
        super().__init__()
        self.omega, self.theta, self.epsilon, self.alpha = omega, theta, epsilon, alpha
        self.map_weight, self.map_threshold = map_weight, map_threshold

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        w, t, e = self.omega, self.theta, self.epsilon
        power = self.alpha - target
        diff = (pred - target).abs()
        ratio = t / e
        a = w * (1 / (1 + ratio ** power)) * power * ratio ** (power - 1) / e
        c = t * a - w * torch.log1p(ratio ** power)
        loss = torch.where(diff < t, w * torch.log1p((diff / e) ** power), a * diff - c)
        region = F.max_pool2d((target > self.map_threshold).float(), 3, stride=1, padding=1)
        loss = loss * (1 + self.map_weight * region)
        return (loss.flatten(2).mean(2) * weight).mean()


class FocalHeatmapLoss(nn.Module):
    def __init__(self, alpha: float = 2.0, beta: float = 4.0, peak: float = 1 - 1e-6):
        super().__init__()
        self.alpha, self.beta, self.peak = alpha, beta, peak

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        p = torch.sigmoid(pred).clamp(1e-6, 1 - 1e-6)
        pos = (target >= self.peak).float()
        w = weight[..., None, None]
        pos_loss = -((1 - p) ** self.alpha) * torch.log(p) * pos
        neg_loss = -((1 - target) ** self.beta) * (p ** self.alpha) * torch.log(1 - p) * (1 - pos)
        n_pos = (pos * w).sum().clamp_min(1.0)
        return ((pos_loss + neg_loss) * w).sum() / n_pos


class HeatmapKLLoss(nn.Module):
    def __init__(self, tau: float = 1.0):
        super().__init__()
        self.tau = tau

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        q = target.flatten(2).clamp_min(0)
        q = q / q.sum(-1, keepdim=True).clamp_min(1e-12)
        log_p = F.log_softmax(pred.flatten(2) / self.tau, dim=-1)
        kl = (torch.special.xlogy(q, q) - q * log_p).sum(-1)
        return (kl * weight).mean()

