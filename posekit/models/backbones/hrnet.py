"""HRNet (Sun, Xiao, Liu, Wang, "Deep High-Resolution Representation Learning for Human Pose
Estimation", CVPR 2019) as a pose backbone.

The network keeps a stride-4 branch through its whole depth and adds one lower-resolution branch
per stage (strides 4, 8, 16, 32 with widths C, 2C, 4C, 8C), exchanging information between all
branches after every module ("repeated multi-scale fusion", Section 3). Layout of the paper's
Section 4 (COCO): a stem of two stride-2 3x3 convolutions (64 channels), stage 1 of four
bottlenecks (256 channels out), then stages 2, 3, 4 with 1, 4 and 3 modules of four basic blocks
per branch. The last module fuses into the stride-4 branch only; the heatmap head (a 1x1
convolution, :class:`~posekit.models.heads.heatmap.HeatmapHead`) reads that branch, so heatmaps are a
quarter of the input.
``width`` is C: 32 and 48 are the paper's HRNet-W32 and HRNet-W48.

Size and cost: with a 17-keypoint head, W32 has 28.54 M parameters and W48 63.60 M (paper: 28.5 M,
63.6 M). :func:`posekit.models.complexity.count_macs` gives 7.645e9 multiply-adds for W32 at
256x192; the paper's "7.1 GFLOPs" is the same count in units of 2**30 (7.12), and so are its other
figures (W32 384x288: 16.02, W48 256x192: 14.61, W48 384x288: 32.88 against 16.0, 14.6, 32.9).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .resnet import BasicBlock, Bottleneck

__all__ = ["HRNet", "HRModule"]


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, relu: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


def _blocks(block: type, cin: int, planes: int, n: int) -> nn.Sequential:
    """``n`` residual blocks of ``planes`` (a 1x1 projection on the first when the widths differ)."""
    out = planes * block.expansion
    down = None if cin == out else nn.Sequential(nn.Conv2d(cin, out, 1, bias=False), nn.BatchNorm2d(out))
    return nn.Sequential(block(cin, planes, 1, down), *[block(out, planes) for _ in range(n - 1)])


class HRModule(nn.Module):
    """One high-resolution module: residual blocks on every branch, then the multi-scale fusion.

    Fusion into branch ``i`` sums every branch ``j``: itself; from a lower resolution (``j > i``)
    a 1x1 convolution to branch ``i``'s width and nearest upsampling; from a higher resolution
    (``j < i``) ``i - j`` strided 3x3 convolutions. ``outputs`` branches come out (1 in the last
    module of the network, which only feeds the stride-4 head).
    """

    def __init__(self, widths: list[int], num_blocks: int = 4, outputs: int | None = None):
        super().__init__()
        n = len(widths)
        self.outputs = n if outputs is None else outputs
        self.branches = nn.ModuleList(_blocks(BasicBlock, w, w, num_blocks) for w in widths)
        self.fuse = nn.ModuleList()
        for i in range(self.outputs):
            row = nn.ModuleList()
            for j in range(n):
                if j == i:
                    row.append(nn.Identity())
                elif j > i:
                    row.append(_conv_bn(widths[j], widths[i], 1, relu=False))
                else:
                    steps = [_conv_bn(widths[j], widths[j], 3, 2) for _ in range(i - j - 1)]
                    row.append(nn.Sequential(*steps, _conv_bn(widths[j], widths[i], 3, 2, relu=False)))
            self.fuse.append(row)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        out = []
        for i, row in enumerate(self.fuse):
            y = xs[i]
            for j, f in enumerate(row):
                if j > i:
                    y = y + F.interpolate(f(xs[j]), scale_factor=2 ** (j - i), mode="nearest")
                elif j < i:
                    y = y + f(xs[j])
            out.append(self.relu(y))
        return out


class HRNet(nn.Module):
    """HRNet-W``width``: (N, 3, H, W) -> (N, width, H/4, W/4), the fused stride-4 branch.

    ``modules`` and ``blocks`` give, for stages 2 to 4, the number of HR modules and of basic
    blocks per branch (the paper: (1, 4, 3) and 4). H and W must be multiples of 32.
    With ``return_branches`` the last module fuses into every branch and the network returns
    all four, ``[(N, C, H/4, W/4), (N, 2C, H/8, W/8), (N, 4C, H/16, W/16), (N, 8C, H/32, W/32)]``
    (the multi-resolution features of HigherHRNet and DEKR); ``out_channels`` is then the list
    of widths and ``strides`` those of the branches.
    """

    def __init__(self, width: int = 32, modules: tuple[int, int, int] = (1, 4, 3), blocks: int = 4,
                 return_branches: bool = False):
        super().__init__()
        self.width, self.stride, self.out_channels = width, 4, width
        self.return_branches = return_branches
        self.strides = [4, 8, 16, 32][:len(modules) + 1]
        if return_branches:
            self.out_channels = [width * 2 ** b for b in range(len(modules) + 1)]
        self.stem = nn.Sequential(_conv_bn(3, 64, 3, 2), _conv_bn(64, 64, 3, 2))
        self.layer1 = _blocks(Bottleneck, 64, 64, 4)
        widths = [width * 2 ** b for b in range(4)]
        self.transitions = nn.ModuleList()
        self.stages = nn.ModuleList()
        previous = [256]
        for s, n_modules in enumerate(modules):
            current = widths[:s + 2]
            self.transitions.append(self._transition(previous, current))
            last = s == len(modules) - 1 and not return_branches
            self.stages.append(nn.Sequential(*[HRModule(current, blocks, 1 if last and m == n_modules - 1 else None)
                                               for m in range(n_modules)]))
            previous = current
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)

    @staticmethod
    def _transition(previous: list[int], current: list[int]) -> nn.ModuleList:
        """Adapts the existing branches' widths (3x3 convolutions where they differ) and opens the new
        lowest-resolution branch from the last one with a strided 3x3 convolution (Section 3)."""
        layers = nn.ModuleList()
        for i, w in enumerate(current):
            if i < len(previous):
                layers.append(nn.Identity() if previous[i] == w else _conv_bn(previous[i], w, 3))
            else:
                layers.append(_conv_bn(previous[-1], w, 3, 2))
        return layers

    def forward(self, x: Tensor) -> Tensor | list[Tensor]:
        xs = [self.layer1(self.stem(x))]
        for transition, stage in zip(self.transitions, self.stages):
            xs = [t(xs[min(i, len(xs) - 1)]) for i, t in enumerate(transition)]
            xs = stage(xs)
        return xs if self.return_branches else xs[0]

