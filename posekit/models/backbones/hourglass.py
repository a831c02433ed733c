"""Stacked Hourglass network (Newell, Yang, Deng, "Stacked Hourglass Networks for Human Pose
Estimation", ECCV 2016).

An hourglass pools its input down ``depth`` times and upsamples it back, adding at every scale a
skip branch computed before the pooling (Section 3.1, Fig. 3), so one pass mixes local and global
evidence. Hourglasses are stacked end to end; each stack predicts heatmaps that are supervised
("intermediate supervision", Section 3.3) and mapped back by 1x1 convolutions into the next
stack's input, so later stacks re-assess the earlier estimates. Every layer is the paper's
pre-activation bottleneck residual module (Fig. 4 left). The stem (a 7x7 stride-2 convolution,
residual modules and a max pooling) brings 256x256 inputs to 64x64, where all stacks work:
heatmaps are a quarter of the input.

Size and cost: eight stacks of 256 features have 25.44 M parameters (25.1 M quoted by Sun et al.
2019, Table 1; Newell et al. give none). That table quotes 14.3 GFLOPs at 256x192, where
:func:`posekit.models.complexity.count_macs` finds 20.6e9 multiply-adds (19.2 * 2**30) in the
convolutions of the network as the paper draws it: the quoted figure presumably comes from a
different implementation, and is not reproduced here.

The network is backbone and head in one (each stack's prediction is an output), so
:class:`StackedHourglass` returns the list of per-stack heatmaps and its head is the identity.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["StackedHourglass", "Hourglass", "Residual"]


def _bn_relu_conv(cin: int, cout: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, kernel, 1, kernel // 2))


class Residual(nn.Module):
    """The residual module of Newell et al. (2016), Fig. 4: BN-ReLU-conv 1x1 (half width), 3x3, 1x1,
    added to the input (through a 1x1 convolution when the widths differ)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        mid = cout // 2
        self.body = nn.Sequential(_bn_relu_conv(cin, mid, 1), _bn_relu_conv(mid, mid, 3), _bn_relu_conv(mid, cout, 1))
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.skip(x)


def _residuals(channels: int, n: int) -> nn.Sequential:
    return nn.Sequential(*[Residual(channels, channels) for _ in range(n)])


class Hourglass(nn.Module):
    """One hourglass of ``depth`` levels at ``channels`` features (Section 3.1): (N, C, h, w) -> same shape.

    Pooling rounds up and the upsampled map takes the skip branch's size, so any h, w work.
    """

    def __init__(self, depth: int, channels: int, blocks: int = 1):
        super().__init__()
        self.skip = _residuals(channels, blocks)
        self.down = _residuals(channels, blocks)
        self.inner = Hourglass(depth - 1, channels, blocks) if depth > 1 else _residuals(channels, blocks)
        self.up = _residuals(channels, blocks)

    def forward(self, x: Tensor) -> Tensor:
        low = self.down(F.max_pool2d(x, 2, 2, ceil_mode=True))
        low = self.up(self.inner(low))
        return self.skip(x) + F.interpolate(low, size=x.shape[-2:], mode="nearest")


class StackedHourglass(nn.Module):
    """``stacks`` hourglasses: (N, 3, H, W) -> a list of ``stacks`` heatmaps (N, K, H/4, W/4), the last one
    the prediction. The paper's network: ``stacks=8, channels=256, depth=4, blocks=1``."""

    def __init__(self, num_keypoints: int, stacks: int = 8, channels: int = 256, depth: int = 4, blocks: int = 1):
        super().__init__()
        self.stride, self.out_channels = 4, num_keypoints
        half = max(channels // 2, 1)
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                  Residual(64, half), nn.MaxPool2d(2, 2), Residual(half, half),
                                  Residual(half, channels))
        self.hourglasses = nn.ModuleList(Hourglass(depth, channels, blocks) for _ in range(stacks))
        self.features = nn.ModuleList(
            nn.Sequential(_residuals(channels, blocks), nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels),
                          nn.ReLU(inplace=True)) for _ in range(stacks))
        self.predict = nn.ModuleList(nn.Conv2d(channels, num_keypoints, 1) for _ in range(stacks))
        # the next stack's input adds back this stack's features and heatmaps (Fig. 4 right)
        self.remap_features = nn.ModuleList(nn.Conv2d(channels, channels, 1) for _ in range(stacks - 1))
        self.remap_heatmaps = nn.ModuleList(nn.Conv2d(num_keypoints, channels, 1) for _ in range(stacks - 1))
        for conv in self.predict:  # start from blank heatmaps, as the other heads do
            nn.init.normal_(conv.weight, std=0.001)
            nn.init.zeros_(conv.bias)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.stem(x)
        outputs = []
        for s, hourglass in enumerate(self.hourglasses):
            features = self.features[s](hourglass(x))
            heatmaps = self.predict[s](features)
            outputs.append(heatmaps)
            if s < len(self.remap_features):
                x = x + self.remap_features[s](features) + self.remap_heatmaps[s](heatmaps)
        return outputs
