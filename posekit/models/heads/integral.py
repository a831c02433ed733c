"""Integral regression head (Sun et al., "Integral Human Pose Regression", ECCV 2018; the same
soft-argmax as DSNT, Nibali et al., "Numerical Coordinate Regression with Convolutional Neural
Networks", 2018): heatmaps are normalised by a softmax over all pixels and each keypoint is their
expected location, a differentiable arg-max trained with a loss on the coordinates.

Heatmap pixel ``j`` of a ``w``-wide map tiles the input and is centred at ``(j + 0.5) / w`` of it,
the scale of :class:`posekit.codecs.RegressionLabel`. DSNT's divergence regulariser on the
heatmaps is not included.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .deconv import DeconvHead

__all__ = ["soft_argmax", "IntegralHead"]


def soft_argmax(heatmaps: Tensor, beta: float = 1.0) -> Tensor:
    """Heatmaps (N, K, h, w) -> expected coordinates (N, K, 2) in [0, 1] under softmax(beta * heatmaps)."""
    n, k, h, w = heatmaps.shape
    p = torch.softmax(beta * heatmaps.reshape(n, k, h * w), dim=-1).reshape(n, k, h, w)
    xs = (torch.arange(w, dtype=p.dtype, device=p.device) + 0.5) / w
    ys = (torch.arange(h, dtype=p.dtype, device=p.device) + 0.5) / h
    return torch.stack([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], dim=-1)


class IntegralHead(nn.Module):
    """(N, C, h, w) -> coordinates (N, K, 2): SimpleBaseline's deconvolution head, then soft-argmax."""

    def __init__(self, in_channels: int, num_keypoints: int, num_deconv: int = 3, channels: int = 256,
                 beta: float = 1.0):
        super().__init__()
        self.heatmaps = DeconvHead(in_channels, num_keypoints, num_deconv, channels)
        self.beta = beta

    def forward(self, x: Tensor) -> Tensor:
        return soft_argmax(self.heatmaps(x), self.beta)
