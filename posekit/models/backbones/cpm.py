"""Convolutional Pose Machines (Wei, Ramakrishna, Kanade, Sheikh, "Convolutional Pose Machines",
CVPR 2016).

A sequence of stages, each a convolutional predictor of belief maps (heatmaps). Stage 1 sees only
the image; every later stage sees image features together with the previous stage's beliefs, and
its large kernels (11x11 at stride 8) let it read the spatial context of the other parts' beliefs,
so the stages progressively resolve ambiguous parts (Section 3). Every stage's output is supervised
("intermediate supervision", Section 3.3), which replenishes gradients through the deep sequence.

Layout of the paper's Fig. 2 at stride 8 (368x368 input -> 46x46 maps): stage 1 is three 9x9
convolutions, each followed by 3x3 stride-2 max pooling, then 5x5, 9x9 and two 1x1 convolutions;
stages >= 2 share a second image trunk (three 9x9 convolutions with pooling), add a stage-specific
5x5 convolution, concatenate the previous beliefs and apply three 11x11 and two 1x1 convolutions.
Differences from the paper, as in MMPose's re-implementation: batch normalisation after every
convolution but the predictors (the paper trained without it), no background map and no centre
map (top-down crops are centred on one person).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ConvolutionalPoseMachine"]


def _conv(cin: int, cout: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, 1, kernel // 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _trunk(channels: int) -> nn.Sequential:
    """Three 9x9 convolutions, each followed by 3x3 stride-2 pooling: stride 8."""
    layers: list[nn.Module] = []
    for cin in (3, channels, channels):
        layers += [_conv(cin, channels, 9), nn.MaxPool2d(3, 2, 1)]
    return nn.Sequential(*layers)


class ConvolutionalPoseMachine(nn.Module):
    """(N, 3, H, W) -> a list of ``stages`` belief maps (N, K, H/8, W/8), the last one the prediction.

    The paper's network: ``stages=6, channels=128, stage_channels=32, stage1_channels=512``;
    ``kernel`` is the size of the later stages' context convolutions (11).
    """

    def __init__(self, num_keypoints: int, stages: int = 6, channels: int = 128, stage_channels: int = 32,
                 stage1_channels: int = 512, kernel: int = 11):
        super().__init__()
        self.stride, self.out_channels = 8, num_keypoints
        self.stage1 = nn.Sequential(_trunk(channels), _conv(channels, stage_channels, 5),
                                    _conv(stage_channels, stage1_channels, 9),
                                    _conv(stage1_channels, stage1_channels, 1),
                                    nn.Conv2d(stage1_channels, num_keypoints, 1))
        self.trunk = _trunk(channels) if stages > 1 else None
        self.features = nn.ModuleList(_conv(channels, stage_channels, 5) for _ in range(stages - 1))
        self.stages = nn.ModuleList(
            nn.Sequential(_conv(stage_channels + num_keypoints, channels, kernel), _conv(channels, channels, kernel),
                          _conv(channels, channels, kernel), _conv(channels, channels, 1),
                          nn.Conv2d(channels, num_keypoints, 1))
            for _ in range(stages - 1))
        for predictor in [self.stage1, *self.stages]:  # start from blank belief maps
            nn.init.normal_(predictor[-1].weight, std=0.001)
            nn.init.zeros_(predictor[-1].bias)

    def forward(self, x: Tensor) -> list[Tensor]:
        beliefs = [self.stage1(x)]
        if self.trunk is not None:
            shared = self.trunk(x)
            for features, stage in zip(self.features, self.stages):
                beliefs.append(stage(torch.cat([features(shared), beliefs[-1]], dim=1)))
        return beliefs
