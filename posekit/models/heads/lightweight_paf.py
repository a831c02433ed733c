"""The part-field stages of Lightweight OpenPose: CPM block, initial stage, refinement stages.

Osokin, "Real-time 2D Multi-Person Pose Estimation on CPU: Lightweight OpenPose" (ICPRAM 2019),
Section 3, on top of OpenPose's two-branch design (Cao et al., CVPR 2017): each stage predicts
keypoint heatmaps (+ background) and part affinity fields (two channels per limb).

- **CPM block** (after the backbone): a 1x1 alignment to ``channels``, a residual trunk of
  depthwise-separable 3x3 convolutions with ELU (Clevert et al. 2016) between a 1x1 reduction and
  a 1x1 expansion, and a 3x3 convolution. This is the trunk of Intel's human-pose-estimation-0001
  (the paper's model as released), which has the 1x1 reduction and expansion the training code's
  ``Cpm`` lacks.
- **Initial stage**: three 3x3 convolutions shared by both branches (the paper's weight sharing
  of the first layers), then per branch a 1x1 to 512 and a 1x1 to the outputs.
- **Refinement stages**: the input is the previous stage's PAFs, heatmaps and the features,
  concatenated in that order (OpenPose's ``concat_stage2``); five blocks of 1x1 + 3x3 + 3x3
  dilated by 2 with a residual around the last two (replacing OpenPose's 7x7 kernels), then per
  branch a 1x1 and the output 1x1. The released model has one refinement stage (the paper's
  accuracy / speed choice, Table 4).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..fake_quant import FakeQuantize, QConv

__all__ = ["LightweightPAFHead", "CPMBlock", "InitialStage", "RefinementStage", "RefinementBlock"]


class CPMBlock(nn.Module):
    def __init__(self, cin: int, channels: int = 128, bn: bool = False):
        super().__init__()
        c = channels
        self.align = QConv(cin, c, 1, act="elu", bn=bn)
        self.trunk = nn.Sequential(
            QConv(c, c, 1, act="elu", bn=bn, quant_channels=c),
            *(m for _ in range(3) for m in (QConv(c, c, 3, groups=c, act="elu", bn=bn),
                                            QConv(c, c, 1, act="elu", bn=bn, quant_channels=c))))
        self.trunk[-1] = QConv(c, c, 1, act="elu", bn=bn)  # the expansion: a per-tensor range
        self.residual_quant = FakeQuantize()
        self.conv = QConv(c, c, 3, bn=bn)

    def forward(self, x: Tensor) -> Tensor:
        a = self.align(x)
        return self.conv(self.residual_quant(a + self.trunk(a)))


def _branch(c: int, mid: int, cout: int, bn: bool) -> nn.Sequential:
    return nn.Sequential(QConv(c, mid, 1, bn=bn), QConv(mid, cout, 1, act=None, quant_channels=1))


class InitialStage(nn.Module):
    def __init__(self, channels: int, heatmaps: int, pafs: int, mid: int = 512, bn: bool = False):
        super().__init__()
        self.trunk = nn.Sequential(*(QConv(channels, channels, 3, bn=bn) for _ in range(3)))
        self.heatmaps = _branch(channels, mid, heatmaps, bn)
        self.pafs = _branch(channels, mid, pafs, bn)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        t = self.trunk(x)
        return self.heatmaps(t), self.pafs(t)


class RefinementBlock(nn.Module):
    def __init__(self, cin: int, c: int, bn: bool = False):
        super().__init__()
        self.squeeze = QConv(cin, c, 1, bn=bn)
        self.trunk = nn.Sequential(QConv(c, c, 3, bn=bn), QConv(c, c, 3, dilation=2, bn=bn))
        self.residual_quant = FakeQuantize()

    def forward(self, x: Tensor) -> Tensor:
        s = self.squeeze(x)
        return self.residual_quant(s + self.trunk(s))


class RefinementStage(nn.Module):
    def __init__(self, cin: int, channels: int, heatmaps: int, pafs: int, blocks: int = 5, bn: bool = False):
        super().__init__()
        self.blocks = nn.Sequential(RefinementBlock(cin, channels, bn),
                                    *(RefinementBlock(channels, channels, bn) for _ in range(blocks - 1)))
        self.heatmaps = _branch(channels, channels, heatmaps, bn)
        self.pafs = _branch(channels, channels, pafs, bn)
        for branch in (self.heatmaps, self.pafs):  # the stage's outputs are not quantized
            branch[1].quant = None

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        t = self.blocks(x)
        return self.heatmaps(t), self.pafs(t)


class LightweightPAFHead(nn.Module):
    """Backbone features -> a list over stages of (heatmaps (N, K+1, h, w), pafs (N, 2L, h, w))."""

    def __init__(self, cin: int, num_keypoints: int, num_limbs: int, channels: int = 128,
                 refinement_stages: int = 1, mid: int = 512, blocks: int = 5, bn: bool = False):
        super().__init__()
        heatmaps, pafs = num_keypoints + 1, 2 * num_limbs
        self.num_keypoints, self.num_limbs = num_keypoints, num_limbs
        self.cpm = CPMBlock(cin, channels, bn)
        self.initial = InitialStage(channels, heatmaps, pafs, mid, bn)
        self.refinement = nn.ModuleList(RefinementStage(channels + heatmaps + pafs, channels, heatmaps, pafs, blocks, bn)
                                        for _ in range(refinement_stages))

    def forward(self, features: Tensor) -> list[tuple[Tensor, Tensor]]:
        f = self.cpm(features)
        out = [self.initial(f)]
        for stage in self.refinement:
            heat, paf = out[-1]
            out.append(stage(torch.cat([paf, heat, f], dim=1)))
        return out
