"""A person-segmentation head: shared features -> one logit map of "person here", the auxiliary
task of multi-task pose training (Mask R-CNN, He et al. ICCV 2017, trains keypoints beside masks;
PersonLab, Papandreou et al. ECCV 2018, predicts person segmentation beside its keypoint fields).

A 3x3 convolution, BatchNorm and ReLU, then a 1x1 convolution to one channel; the logits are
resampled bilinearly to the target grid (the heatmap grid) when the features' stride differs.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SegmentationHead"]


class SegmentationHead(nn.Module):
    """(N, in_channels, h, w) features -> (N, 1, H, W) person logits (``size`` = (H, W), else h, w)."""

    def __init__(self, in_channels: int, channels: int = 64):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True), nn.Conv2d(channels, 1, 1))

    def forward(self, x: Tensor, size: tuple[int, int] | None = None) -> Tensor:
        out = self.body(x)
        if size is not None and tuple(out.shape[-2:]) != tuple(size):
            out = F.interpolate(out, size=size, mode="bilinear", align_corners=False)
        return out
