"""ShuffleNetV2 with 5x5 depthwise kernels, the "K" base networks of OpenPifPaf.

ShuffleNet V2 (Ma, Zhang, Zheng, Sun, "ShuffleNet V2: Practical Guidelines for Efficient CNN
Architecture Design", ECCV 2018): each unit splits its channels in two, transforms one half by 1x1
conv, depthwise conv, 1x1 conv, concatenates and shuffles the channels; a stage's first unit
strides and transforms both halves. OpenPifPaf (Kreiss, Bertoni, Alahi, T-ITS 2021;
``openpifpaf/network/basenetworks.py``, ``ShuffleNetV2K``) widens the depthwise kernels to 5x5, drops
the input max-pool (total stride 16: the 3x3 stride-2 input convolution and three stride-2 stages)
and ends with a 1x1 convolution. Its presets (``openpifpaf/network/factory.py``):

- ``shufflenetv2k16``: repeats (4, 8, 4), widths (24, 348, 696, 1392, 1392);
- ``shufflenetv2k30``: repeats (8, 16, 6), widths (32, 512, 1024, 2048, 2048).

The classic ShuffleNetV2 1.0x of Ma et al. (Table 5; MMPose's ``ShuffleNetV2(widen_factor=1.0)``, its
pose backbone with the SimpleBaseline head) is the same network with 3x3 depthwise kernels, the 3x3
stride-2 max-pool after the input convolution (total stride 32) and :data:`SHUFFLENETV2_1X`:
``ShuffleNetV2K(*SHUFFLENETV2_1X, kernel=3, max_pool=True)``.

Batch norm after every convolution, ReLU after the 1x1s (none after the depthwise ones), no biases.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ShuffleNetV2K", "ShuffleUnit", "SHUFFLENETV2K16", "SHUFFLENETV2K30", "SHUFFLENETV2_1X"]

SHUFFLENETV2K16 = ((4, 8, 4), (24, 348, 696, 1392, 1392))
SHUFFLENETV2K30 = ((8, 16, 6), (32, 512, 1024, 2048, 2048))
SHUFFLENETV2_1X = ((4, 8, 4), (24, 116, 232, 464, 1024))  # Ma et al. 2018, Table 5, 1.0x


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, relu: bool = True,
             dilation: int = 1) -> list:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2 * dilation, dilation, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU(inplace=True)] if relu else layers


def channel_shuffle(x: Tensor, groups: int = 2) -> Tensor:
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """One ShuffleNetV2 unit: ``first`` (a stage's first, ``stride``) transforms both halves."""

    def __init__(self, cin: int, cout: int, first: bool, stride: int = 1, kernel: int = 5, dilation: int = 1):
        super().__init__()
        half = cout // 2
        self.first = first
        self.branch1 = nn.Sequential(*_conv_bn(cin, cin, kernel, stride, cin, False, dilation),
                                     *_conv_bn(cin, half)) if first else None
        self.branch2 = nn.Sequential(*_conv_bn(cin if first else half, half),
                                     *_conv_bn(half, half, kernel, stride, half, False, dilation), *_conv_bn(half, half))

    def forward(self, x: Tensor) -> Tensor:
        if self.branch1 is None:
            keep, change = x.chunk(2, dim=1)
            out = torch.cat((keep, self.branch2(change)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2K(nn.Module):
    """``repeats`` (3,) units per stage, ``widths`` (5,): input convolution, three stages, last 1x1.

    Stride 16, or 8 with ``stage4_dilation`` > 1 (OpenPifPaf's ``--shufflenetv2k-stage4-dilation``: stage 4
    keeps the resolution and dilates its depthwise kernels); ``out_channels`` = ``widths[-1]``. With
    ``max_pool`` a 3x3 stride-2 max-pool follows the input convolution, as in the classic ShuffleNetV2
    (stride 32). Input: normalised images (the network wrapping it normalises)."""

    def __init__(self, repeats=SHUFFLENETV2K16[0], widths=SHUFFLENETV2K16[1], kernel: int = 5,
                 stage4_dilation: int = 1, max_pool: bool = False):
        super().__init__()
        if len(repeats) != 3 or len(widths) != 5:
            raise ValueError(f"ShuffleNetV2K takes 3 stage repeats and 5 widths, not {repeats} and {widths}")
        pool = [nn.MaxPool2d(3, 2, 1)] if max_pool else []
        self.input_block = nn.Sequential(*_conv_bn(3, widths[0], 3, 2), *pool)
        stages, c = [], widths[0]
        for n, cout, d in zip(repeats, widths[1:4], (1, 1, stage4_dilation)):
            stride = 2 if d == 1 else 1
            units = [ShuffleUnit(c, cout, True, stride, kernel, d)] + [ShuffleUnit(cout, cout, False, 1, kernel, d)
                                                                       for _ in range(n - 1)]
            stages.append(nn.Sequential(*units))
            c = cout
        self.stage2, self.stage3, self.stage4 = stages
        self.conv5 = nn.Sequential(*_conv_bn(c, widths[4]))
        self.out_channels, self.stride = widths[4], (16 if stage4_dilation == 1 else 8) * (2 if max_pool else 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv5(self.stage4(self.stage3(self.stage2(self.input_block(x)))))
