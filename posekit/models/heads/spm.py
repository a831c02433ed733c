"""The head of posekit's SPM (Nie, Feng, Zhang, Yan, "Single-Stage Multi-Person Pose Machines", ICCV 2019):
from one feature map, the root joint's confidence map and the 2K hierarchical displacement channels
(:mod:`posekit.codecs.spm`).

SPM's own network is a stacked Hourglass; posekit reads the same concatenated HRNet branches as DEKR
(:class:`~posekit.models.heads.dekr.DEKRNetwork` with this head): a 1x1 transition to ``channels`` with batch
norm and ReLU, ``blocks`` basic residual blocks, and two 1x1 outputs.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..backbones.resnet import BasicBlock

__all__ = ["SPMHead"]


class SPMHead(nn.Module):
    """(N, in_channels, h, w) -> (root (N, 1, h, w), displacements (N, 2K, h, w))."""

    def __init__(self, in_channels: int, num_keypoints: int, channels: int = 64, blocks: int = 2):
        super().__init__()
        self.transition = nn.Sequential(nn.Conv2d(in_channels, channels, 1, bias=False), nn.BatchNorm2d(channels),
                                        nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[BasicBlock(channels, channels) for _ in range(blocks)])
        self.root = nn.Conv2d(channels, 1, 1)
        self.displacements = nn.Conv2d(channels, 2 * num_keypoints, 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.blocks(self.transition(x))
        return self.root(f), self.displacements(f)
