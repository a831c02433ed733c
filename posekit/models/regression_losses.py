"""Losses of the regression family (coordinates in [0, 1] of the input, see
:class:`posekit.codecs.RegressionLabel`; SimCC labels, see :class:`posekit.codecs.SimCCLabel`).

``CoordinateLoss``: L1 (Sun et al., "Integral Human Pose Regression", ECCV 2018, found it best)
or L2 (Toshev & Szegedy, DeepPose, CVPR 2014) distance to the target coordinates.
``RLELoss``: the negative residual log-likelihood of Li et al. ("Human Pose Regression with
Residual Log-likelihood Estimation", ICCV 2021).
``KLDiscreteLoss``: the KL divergence from SimCC's smoothed labels to the predicted
distributions (Li et al., "SimCC", ECCV 2022).
``WingLoss``: Feng et al., "Wing Loss for Robust Facial Landmark Localisation with Convolutional
Neural Networks", CVPR 2018, Eq. 5: w ln(1 + |x| / eps) below w, |x| - C above, C = w - w ln(1 + w /
eps), on the coordinate errors in input pixels (the paper's w = 10, eps = 2 are pixels).
``OKSLoss``: 1 - OKS (COCO's object keypoint similarity, exp(-d^2 / (2 s^2 k^2)) averaged over the
labelled keypoints, k = 2 sigma) between prediction and target, with s^2 the person's area in
the input: the crop is the box padded by ``padding`` (1.25), so s^2 = W H / padding^2.
``LimbConsistencyLoss``: L1 on the coordinates plus ``limb_weight`` times the mean absolute
difference of limb lengths (each limb of the skeleton with both ends labelled) between prediction
and target, and of the left-right length differences of mirrored limb pairs (a symmetry term).

Every loss takes ``(output, target, weight)`` with ``weight`` (N, K), and averages over the N*K
keypoint slots (weight-0 slots count as zero), as the heatmap losses do.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .flow import RealNVP

__all__ = ["CoordinateLoss", "RLELoss", "KLDiscreteLoss", "WingLoss", "OKSLoss", "LimbConsistencyLoss"]


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


def _pixels(d: Tensor, size: tuple[int, int]) -> Tensor:
    return d * d.new_tensor([float(size[0]), float(size[1])])


class WingLoss(nn.Module):
    def __init__(self, input_size: tuple[int, int], width: float = 10.0, curvature: float = 2.0):
        super().__init__()
        self.input_size, self.width, self.curvature = tuple(input_size), width, curvature

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        x = _pixels(pred - target, self.input_size).abs()
        w, e = self.width, self.curvature
        c = w - w * math.log1p(w / e)
        per = torch.where(x < w, w * torch.log1p(x / e), x - c).sum(-1)
        return (per * weight).mean()


class OKSLoss(nn.Module):
    def __init__(self, input_size: tuple[int, int], sigmas, padding: float = 1.25):
        super().__init__()
        self.input_size = tuple(input_size)
        self.register_buffer("k2", (2 * torch.as_tensor(sigmas, dtype=torch.float32)) ** 2)
        self.area = self.input_size[0] * self.input_size[1] / padding ** 2

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        d2 = _pixels(pred - target, self.input_size).pow(2).sum(-1)
        sim = torch.exp(-d2 / (2 * self.area * self.k2))
        labelled = (weight > 0).float()
        oks = (sim * labelled).sum(-1) / labelled.sum(-1).clamp_min(1.0)
        return (1 - oks)[labelled.sum(-1) > 0].sum() / max(len(pred), 1)


class LimbConsistencyLoss(nn.Module):
    def __init__(self, input_size: tuple[int, int], limbs, flip_index, limb_weight: float = 0.1):
        super().__init__()
        self.input_size, self.limb_weight = tuple(input_size), limb_weight
        self.limbs = [tuple(int(v) for v in limb) for limb in limbs]
        flip = [int(v) for v in flip_index]
        index = {frozenset(l): i for i, l in enumerate(self.limbs)}
        mirror = {i: index.get(frozenset((flip[a], flip[b]))) for i, (a, b) in enumerate(self.limbs)}
        self.pairs = sorted({tuple(sorted((i, j))) for i, j in mirror.items() if j is not None and j != i})
        self.base = CoordinateLoss("l1")

    def _lengths(self, xy: Tensor) -> Tensor:
        a = torch.tensor([l[0] for l in self.limbs], device=xy.device)
        b = torch.tensor([l[1] for l in self.limbs], device=xy.device)
        return _pixels(xy[:, a] - xy[:, b], self.input_size).norm(dim=-1)

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        a = torch.tensor([l[0] for l in self.limbs], device=pred.device)
        b = torch.tensor([l[1] for l in self.limbs], device=pred.device)
        both = ((weight[:, a] > 0) & (weight[:, b] > 0)).float()
        lp, lt = self._lengths(pred), self._lengths(target)
        limb = ((lp - lt).abs() * both).sum() / both.sum().clamp_min(1.0)
        total = self.base(pred, target, weight) + self.limb_weight * limb
        if self.pairs:
            i = torch.tensor([p[0] for p in self.pairs], device=pred.device)
            j = torch.tensor([p[1] for p in self.pairs], device=pred.device)
            ok = both[:, i] * both[:, j]
            sym = (((lp[:, i] - lp[:, j]) - (lt[:, i] - lt[:, j])).abs() * ok).sum() / ok.sum().clamp_min(1.0)
            total = total + self.limb_weight * sym
        return total
