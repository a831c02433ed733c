"""Lite-HRNet (Yu, Xiao, Gao, Yuan, Zhang, Sang, Wang, "Lite-HRNet: A Lightweight High-Resolution
Network", CVPR 2021): HRNet's parallel branches and repeated multi-scale fusion, made light.

- **Stem** (Section 4): a 3x3 stride-2 convolution (32 channels), then a ShuffleNet-style block
  whose two halves each stride 2 through a depthwise 3x3 (output 32 channels at 1/4).
- **Conditional channel weighting** (Section 3.2) replaces the 1x1 convolutions of a shuffle block
  by weights computed from all branches: the block splits each branch's channels in two, keeps one
  half, and on the other applies *cross-resolution weighting* (every branch average-pooled to
  the smallest resolution, concatenated, 1x1-BN-ReLU-1x1-BN-sigmoid, the weights upsampled (nearest)
  back to each branch), a depthwise 3x3 (BN, no activation) and *spatial weighting* (global average
  pool, 1x1-ReLU-1x1-sigmoid per branch, SE-like); it concatenates the halves and shuffles the channels.
- **Stages**: three, of 2, 3 and 4 branches at widths (40, 80, 160, 320); (2, 4, 2) modules for
  Lite-HRNet-18, (3, 8, 3) for -30; two blocks per branch and module; HRNet's fuse layers (1x1 + BN
  + nearest upsampling from lower resolutions, depthwise-separable stride-2 3x3s from higher ones).
- **Naive Lite-HRNet** (Section 3.1): the same network with ShuffleNetV2 units
  (:class:`~posekit.models.backbones.shufflenet.ShuffleUnit`, 3x3) in place of the weighting blocks.
- **Iterative head** (``with_head=True`` of the official configs ``litehrnet_18_coco_256x192.py`` and
  ``litehrnet_30_coco_256x192.py``): from the lowest resolution up, each branch plus the bilinearly
  upsampled result below goes through a depthwise-separable 3x3 to the next branch's width; the
  stride-4 result (40 channels) feeds a 1x1 heatmap convolution.

Details from the official code (github.com/HRNet/Lite-HRNet, as in MMPose's ``litehrnet.py``): weighting
reduction ratios 8 (cross-resolution) and 4 (spatial); transitions depthwise 3x3 + 1x1 (BN, ReLU); the
fusion into branch ``i`` counts branch 0's term twice (``y = out[0]`` before the sum over all branches;
the code notes that starting from 0 costs 0.5-1 AP), reproduced here.

Size and cost with the 17-keypoint 1x1 head at 256x192 (tests/models/test_lite_hrnet.py):
Lite-HRNet-18 1.131 M parameters, Lite-HRNet-30 1.764 M (official README: 1.1 M, 1.8 M).
:func:`posekit.models.complexity.count_macs` (multiply-adds of convolutions and matrix products)
gives 198.6 M and 309.5 M against the published 205.2 M and 319.2 M FLOPs (-3.2%, -3.0%): the
published counter also counts the pooling, upsampling and weighting products, and the doubled fuse term.
The naive Lite-HRNet-18: 1.319 M parameters, 302.3 M multiply-adds.

Deliberate differences from the official code, both documented where they sit: the depthwise
convolutions' initialisation (:class:`LiteHRNet`), and the cross-resolution weighting's pooling by a
fixed factor per branch (equal to the adaptive pooling for inputs that are multiples of 32).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .shufflenet import ShuffleUnit, channel_shuffle

__all__ = ["LiteHRNet", "LiteHRModule", "ConditionalChannelWeighting", "CrossResolutionWeighting",
           "SpatialWeighting", "LiteStem", "IterativeHead", "LITE_HRNET_18", "LITE_HRNET_30"]

WIDTHS = (40, 80, 160, 320)
LITE_HRNET_18 = (2, 4, 2)   # modules per stage (Yu et al. 2021, Table 2)
LITE_HRNET_30 = (3, 8, 3)


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, relu: bool = True) -> list:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU(inplace=True)] if relu else layers


def _dw_pw(cin: int, cout: int, stride: int = 1, relu: bool = True) -> list:
    """Depthwise 3x3 + BN, then 1x1 + BN (+ ReLU): the official transitions and downsampling fuse steps."""
    return _conv_bn(cin, cin, 3, stride, cin, relu=False) + _conv_bn(cin, cout, 1, relu=relu)


class SpatialWeighting(nn.Module):
    """x * sigmoid(1x1(ReLU(1x1(GAP(x))))): one weight per channel from the branch itself (no BN, biases)."""

    def __init__(self, channels: int, ratio: int = 4):
        super().__init__()
        self.fc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, channels // ratio, 1),
                                nn.ReLU(inplace=True), nn.Conv2d(channels // ratio, channels, 1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.fc(x)


class CrossResolutionWeighting(nn.Module):
    """Weights every branch's channels from all branches, pooled to the smallest resolution (Eq. 3)."""

    def __init__(self, channels: list[int], ratio: int = 8):
        super().__init__()
        self.channels = list(channels)
        total = sum(channels)
        self.fc = nn.Sequential(*_conv_bn(total, total // ratio), nn.Conv2d(total // ratio, total, 1, bias=False),
                                nn.BatchNorm2d(total), nn.Sigmoid())

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        # branch i is 2**(n-1-i) times the smallest: the official adaptive pooling to the smallest size is an
        # average over 2**(n-1-i) blocks (a static kernel, which ONNX export needs), its nearest upsampling
        # a repeat by the same factor
        factors = [2 ** (len(xs) - 1 - i) for i in range(len(xs))]
        pooled = torch.cat([F.avg_pool2d(x, k) if k > 1 else x for x, k in zip(xs, factors)], 1)
        weights = self.fc(pooled).split(self.channels, 1)
        return [x * (F.interpolate(w, scale_factor=k, mode="nearest") if k > 1 else w)
                for x, w, k in zip(xs, weights, factors)]


class ConditionalChannelWeighting(nn.Module):
    """One Lite-HRNet block over all branches: split, weight one half, depthwise 3x3, weight, concat, shuffle."""

    def __init__(self, widths: list[int], reduce_ratio: int = 8):
        super().__init__()
        half = [w // 2 for w in widths]
        self.cross_resolution = CrossResolutionWeighting(half, reduce_ratio)
        self.depthwise = nn.ModuleList(nn.Sequential(*_conv_bn(c, c, 3, 1, c, relu=False)) for c in half)
        self.spatial = nn.ModuleList(SpatialWeighting(c, 4) for c in half)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        keep, change = zip(*(x.chunk(2, dim=1) for x in xs))
        change = self.cross_resolution(list(change))
        change = [sw(dw(x)) for x, dw, sw in zip(change, self.depthwise, self.spatial)]
        return [channel_shuffle(torch.cat((a, b), 1), 2) for a, b in zip(keep, change)]


class LiteHRModule(nn.Module):
    """``blocks`` weighting blocks (or, ``naive``, ``blocks`` shuffle units per branch), then HRNet's fusion
    into every branch."""

    def __init__(self, widths: list[int], blocks: int = 2, reduce_ratio: int = 8, naive: bool = False):
        super().__init__()
        self.naive, n = naive, len(widths)
        if naive:
            self.layers = nn.ModuleList(nn.Sequential(*[ShuffleUnit(w, w, False, 1, 3) for _ in range(blocks)])
                                        for w in widths)
        else:
            self.layers = nn.Sequential(*[ConditionalChannelWeighting(widths, reduce_ratio) for _ in range(blocks)])
        self.fuse = nn.ModuleList()
        for i in range(n):
            row = nn.ModuleList()
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(*_conv_bn(widths[j], widths[i], relu=False),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(nn.Identity())
                else:
                    steps = [nn.Sequential(*_dw_pw(widths[j], widths[j], 2)) for _ in range(i - j - 1)]
                    row.append(nn.Sequential(*steps, *_dw_pw(widths[j], widths[i], 2, relu=False)))
            self.fuse.append(row)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        xs = [layer(x) for layer, x in zip(self.layers, xs)] if self.naive else self.layers(xs)
        out = []
        for row in self.fuse:
            terms = [f(x) for f, x in zip(row, xs)]
            out.append(self.relu(terms[0] + sum(terms)))  # branch 0 twice, as the official code sums
        return out


class LiteStem(nn.Module):
    """3x3 stride-2 convolution, then a shuffle block with both halves strided by a depthwise 3x3 (1/4)."""

    def __init__(self, stem_channels: int = 32, out_channels: int = 32, expand_ratio: int = 1):
        super().__init__()
        half, mid = stem_channels // 2, int(round(stem_channels * expand_ratio))
        self.conv1 = nn.Sequential(*_conv_bn(3, stem_channels, 3, 2))
        self.branch1 = nn.Sequential(*_conv_bn(half, half, 3, 2, half, relu=False), *_conv_bn(half, out_channels - half))
        self.branch2 = nn.Sequential(*_conv_bn(half, mid), *_conv_bn(mid, mid, 3, 2, mid, relu=False),
                                     *_conv_bn(mid, half))
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        a, b = self.conv1(x).chunk(2, dim=1)
        return channel_shuffle(torch.cat((self.branch1(a), self.branch2(b)), 1), 2)


class IterativeHead(nn.Module):
    """From the lowest resolution up: (branch + bilinear-upsampled previous) -> depthwise 3x3 + BN ->
    1x1 + BN + ReLU to the next-higher branch's width. Returns the stride-4 map (``widths[0]`` channels)."""

    def __init__(self, widths: list[int]):
        super().__init__()
        rev = list(widths)[::-1]
        outs = rev[1:] + rev[-1:]
        self.projects = nn.ModuleList(nn.Sequential(*_dw_pw(c, o)) for c, o in zip(rev, outs))

    def forward(self, xs: list[Tensor]) -> Tensor:
        last = None
        for x, project in zip(xs[::-1], self.projects):
            if last is not None:
                x = x + F.interpolate(last, size=x.shape[-2:], mode="bilinear", align_corners=True)
            last = project(x)
        return last


class LiteHRNet(nn.Module):
    """Lite-HRNet: (N, 3, H, W) -> (N, 40, H/4, W/4); H and W multiples of 32.

    ``modules``: modules per stage (:data:`LITE_HRNET_18` or :data:`LITE_HRNET_30`); ``widths`` of the
    four branches; ``blocks`` per module; ``naive`` for shuffle units instead of conditional channel
    weighting; ``iterative_head`` (the official default) or, without, the fused stride-4 branch alone.

    Initialisation: the official code draws every convolution from N(0, 0.001). On a depthwise 3x3
    (fan-in 9) that gives pre-BN activations of variance ~1e-5 in the low-resolution branches, and
    batch norm's running variance, which starts at 1 (momentum 0.1), overstates the batch variance by
    up to 10**6 for the first ~100 steps: trained 40 steps on synthetic crops (64x32), the network
    scored PCK@0.1 0.034 in eval mode and 0.438 with its BN statistics recomputed. So the depthwise
    convolutions keep PyTorch's default (Kaiming-uniform) initialisation; ``official_init`` draws
    them from N(0, 0.001) too.
    """

    def __init__(self, modules=LITE_HRNET_18, widths=WIDTHS, blocks: int = 2, naive: bool = False,
                 iterative_head: bool = True, reduce_ratio: int = 8, stem_channels: int = 32,
                 official_init: bool = False):
        super().__init__()
        if len(modules) != 3 or len(widths) != 4:
            raise ValueError(f"Lite-HRNet takes 3 stage module counts and 4 widths, not {modules} and {widths}")
        self.stem = LiteStem(stem_channels, stem_channels)
        self.transitions, self.stages = nn.ModuleList(), nn.ModuleList()
        previous = [stem_channels]
        for s, n_modules in enumerate(modules):
            current = list(widths[:s + 2])
            self.transitions.append(self._transition(previous, current))
            self.stages.append(nn.Sequential(*[LiteHRModule(current, blocks, reduce_ratio, naive)
                                               for _ in range(n_modules)]))
            previous = current
        self.head = IterativeHead(list(widths)) if iterative_head else None
        self.out_channels, self.stride = widths[0], 4
        for m in self.modules():  # the official init_weights: N(0, 0.001), but see official_init
            if isinstance(m, nn.Conv2d) and (m.groups == 1 or official_init):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @staticmethod
    def _transition(previous: list[int], current: list[int]) -> nn.ModuleList:
        layers = nn.ModuleList()
        for i, w in enumerate(current):
            if i < len(previous):
                layers.append(nn.Identity() if previous[i] == w else nn.Sequential(*_dw_pw(previous[i], w)))
            else:  # a new branch from the lowest one, halving per missing level
                c = previous[-1]
                steps = [nn.Sequential(*_dw_pw(c, c, 2)) for _ in range(i - len(previous))]
                layers.append(nn.Sequential(*steps, *_dw_pw(c, w, 2)))
        return layers

    def forward(self, x: Tensor) -> Tensor:
        xs = [self.stem(x)]
        for transition, stage in zip(self.transitions, self.stages):
            xs = stage([t(xs[min(i, len(xs) - 1)]) for i, t in enumerate(transition)])
        return self.head(xs) if self.head is not None else xs[0]
