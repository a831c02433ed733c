"""RLE regression head (Li et al., "Human Pose Regression with Residual Log-likelihood
Estimation", ICCV 2021): global average pooling, then two fully connected layers give each
keypoint's location ``mu`` (in [0, 1] of the input) and scale ``sigma`` (sigmoid, same units).

Trained with :class:`posekit.models.regression_losses.RLELoss`; decoded by
:class:`posekit.codecs.RegressionLabel` (score ``1 - mean(sigma)``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["RLEHead"]


class RLEHead(nn.Module):
    """(N, C, h, w) -> ``(mu, sigma)``, each (N, K, 2)."""

    def __init__(self, in_channels: int, num_keypoints: int):
        super().__init__()
        self.num_keypoints = num_keypoints
        self.coord = nn.Linear(in_channels, num_keypoints * 2)
        self.sigma = nn.Linear(in_channels, num_keypoints * 2)
        nn.init.normal_(self.coord.weight, std=0.001)
        nn.init.constant_(self.coord.bias, 0.5)  # start at the crop centre
        nn.init.normal_(self.sigma.weight, std=0.001)
        nn.init.zeros_(self.sigma.bias)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = x.mean(dim=(2, 3))
        shape = (x.shape[0], self.num_keypoints, 2)
        return self.coord(f).view(shape), (torch.sigmoid(self.sigma(f)) + 1e-9).view(shape)
