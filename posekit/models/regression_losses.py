"""Losses of the regression family (coordinates in [0, 1] of the input, see
:class:`posekit.codecs.RegressionLabel`; SimCC labels, see :class:`posekit.codecs.SimCCLabel`).

``CoordinateLoss``: L1 (Sun et al., "Integral Human Pose Regression", ECCV 2018, found it best)
or L2 (Toshev & Szegedy, DeepPose, CVPR 2014) distance to the target coordinates.
``RLELoss``: the negative residual log-likelihood of Li et al. ("Human Pose Regression with
Residual Log-likelihood Estimation", ICCV 2021).
``KLDiscreteLoss``: the KL divergence from SimCC's smoothed labels to the predicted
distributions (Li et al., "SimCC", ECCV 2022).

Every loss takes ``(output, target, weight)`` with ``weight`` (N, K), and averages over the N*K
keypoint slots (weight-0 slots count as zero), as the heatmap losses do.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .flow import RealNVP

__all__ = ["CoordinateLoss", "RLELoss", "KLDiscreteLoss"]


class CoordinateLoss(nn.Module):
    """Mean over keypoints of the L1 (``|dx| + |dy|``) or squared L2 (``dx^2 + dy^2``) error."""

    def __init__(self, norm: str = "l1"):
        super().__init__()
        if norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1' or 'l2', not {norm!r}")
        self.norm = norm

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        d = pred - target
        per = d.abs().sum(-1) if self.norm == "l1" else d.pow(2).sum(-1)
        return (per * weight).mean()


class RLELoss(nn.Module):
    """-log P(target | image) with P the density of ``mu + sigma * xbar``, ``xbar`` drawn from
    ``Q(xbar) G(xbar)``: Q a unit Laplace per axis (``exp(-|xbar|) / 2``) and G a learned RealNVP
    flow on the standardised residual (the "residual log-likelihood").

    Per keypoint: ``sum_axes[log(2 sigma) + |t - mu| / sigma] - log G((t - mu) / sigma)``.
    Without the flow (``flow=False``) this is exactly the Laplace negative log-likelihood with
    location ``mu`` and scale ``sigma``. As in Li et al., the normaliser of ``Q G`` is taken as 1.
    (Their code uses ``log(sigma sqrt(2 pi)) + |t - mu| / (sqrt(2) sigma)`` for the Q term, a
    scaled, unnormalised variant; ours is the normalised Laplace.)
    Output: ``(mu, sigma)``, each (N, K, 2); the flow's parameters are trained with the model.
    """

    def __init__(self, flow: bool = True):
        super().__init__()
        self.flow = RealNVP() if flow else None

    def forward(self, output: tuple[Tensor, Tensor], target: Tensor, weight: Tensor) -> Tensor:
        mu, sigma = output
        residual = (target - mu) / sigma
        nll = (torch.log(2 * sigma) + residual.abs()).sum(-1)
        if self.flow is not None:
            nll = nll - self.flow.log_prob(residual)
        return (nll * weight).mean()


class KLDiscreteLoss(nn.Module):
    """Per keypoint and axis, KL(q || softmax(beta * logits)) with q the label normalised to sum 1;
    the x and y terms are added. The target holds the x labels then the y labels (N, K, X + Y),
    as :meth:`posekit.codecs.SimCCLabel.encode` gives them."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = beta

    def forward(self, output: tuple[Tensor, Tensor], target: Tensor, weight: Tensor) -> Tensor:
        total = 0.0
        nx = output[0].shape[-1]
        for logits, label in zip(output, (target[..., :nx], target[..., nx:])):
            q = label / label.sum(-1, keepdim=True).clamp_min(1e-12)
            log_p = F.log_softmax(self.beta * logits, dim=-1)
            kl = (torch.special.xlogy(q, q) - q * log_p).sum(-1)
            total = total + (kl * weight).mean()
        return total
