"""DEKR's network (Geng, Sun, Xiao, Zhang, Wang, "Bottom-Up Human Pose Estimation via Disentangled
Keypoint Regression", CVPR 2021): HRNet's four branches upsampled (bilinear) to stride 4 and
concatenated, then two heads (the official ``hrnet_dekr.py``, configurations
``w32_4x_reg03_bs10_512`` and ``w48_4x_reg03_bs10_512``):

- **heatmaps**: a 1x1 transition (``heatmap_channels``: 32 for W32, 48 for W48) with batch norm and
  ReLU, ``heatmap_blocks`` basic residual blocks (1), a 1x1 convolution to K joint heatmaps and the
  centre heatmap (last);
- **offsets**: a 1x1 transition to ``per_keypoint`` (15) channels per joint, then per joint its own
  ``offset_blocks`` (2) adaptive blocks (:class:`~posekit.models.adaptive_conv.AdaptiveBlock`) and a
  1x1 convolution to that joint's (dx, dy): the *disentangled* regression, each joint regressed from
  its own features. The K branches run as one grouped computation (same parameters as K separate
  branches).

Input normalisation (ImageNet mean and std on RGB 0..255, as HRNet's training code) is part of the
network, as in every posekit network. Convolutions are initialised normal with std 0.001, biases and
the adaptive transforms zero (DEKR's ``init_weights``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..adaptive_conv import AdaptiveBlock
from ..backbones.resnet import BasicBlock

__all__ = ["DEKRHead", "DEKRNetwork"]

IMAGENET_MEAN, IMAGENET_STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)


def _transition(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DEKRHead(nn.Module):
    """(N, in_channels, h, w) -> (heatmaps (N, K+1, h, w) with the centre last, offsets (N, 2K, h, w))."""

    def __init__(self, in_channels: int, num_keypoints: int, heatmap_channels: int = 32, per_keypoint: int = 15,
                 heatmap_blocks: int = 1, offset_blocks: int = 2):
        super().__init__()
        k = num_keypoints
        self.num_keypoints, self.per_keypoint = k, per_keypoint
        self.heatmap_transition = _transition(in_channels, heatmap_channels)
        self.heatmap_blocks = nn.Sequential(*[BasicBlock(heatmap_channels, heatmap_channels)
                                              for _ in range(heatmap_blocks)])
        self.heatmap_out = nn.Conv2d(heatmap_channels, k + 1, 1)
        self.offset_transition = _transition(in_channels, k * per_keypoint)
        self.offset_blocks = nn.Sequential(*[AdaptiveBlock(per_keypoint, groups=k) for _ in range(offset_blocks)])
        self.offset_out = nn.Conv2d(k * per_keypoint, 2 * k, 1, groups=k)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        heat = self.heatmap_out(self.heatmap_blocks(self.heatmap_transition(x)))
        offsets = self.offset_out(self.offset_blocks(self.offset_transition(x)))
        return heat, offsets


class DEKRNetwork(nn.Module):
    """Normalisation + a multi-branch backbone (``HRNet(return_branches=True)``) + :class:`DEKRHead`
    (or ``head``, any module reading the concatenated branches: SPM's).

    ``forward(x)`` (N, 3, H, W) RGB 0..255 -> (heatmaps (N, K+1, H/4, W/4), offsets (N, 2K, H/4, W/4)),
    offsets in output cells (``cell - joint``, DEKR's sign).
    """

    def __init__(self, backbone: nn.Module, num_keypoints: int, head: nn.Module | None = None, **head_args):
        super().__init__()
        self.backbone = backbone
        self.head = DEKRHead(sum(backbone.out_channels), num_keypoints, **head_args) if head is None else head
        self.stride, self.num_keypoints = backbone.strides[0], num_keypoints
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        zero = {id(c) for m in self.head.modules() if isinstance(m, AdaptiveBlock)
                for c in (m.transform, m.translation)}                   # the adaptive transforms stay at zero
        for m in self.head.modules():
            if isinstance(m, nn.Conv2d) and id(m) not in zero:
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        branches = self.backbone((x - self.mean) / self.std)
        size = branches[0].shape[-2:]
        features = torch.cat([branches[0]] + [F.interpolate(b, size=size, mode="bilinear", align_corners=False)
                                              for b in branches[1:]], 1)
        return self.head(features)
