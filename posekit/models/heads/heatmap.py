"""The plain heatmap head: a 1x1 convolution from a backbone's high-resolution features to one
heatmap per keypoint, as HRNet uses it on its stride-4 branch (Sun et al., "Deep High-Resolution
Representation Learning for Human Pose Estimation", CVPR 2019, Section 3).
"""
from __future__ import annotations

from torch import Tensor, nn

__all__ = ["HeatmapHead"]


class HeatmapHead(nn.Module):
    """(N, in_channels, h, w) -> (N, num_keypoints, h, w)."""

    def __init__(self, in_channels: int, num_keypoints: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_keypoints, 1)
        nn.init.normal_(self.conv.weight, std=0.001)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)
