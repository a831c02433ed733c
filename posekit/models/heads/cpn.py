"""Cascaded Pyramid Network head (Chen, Wang, Peng, Zhang, Yu, Sun, "Cascaded Pyramid Network for
Multi-Person Pose Estimation", CVPR 2018).

GlobalNet (Section 3.1) is a feature pyramid on the ResNet stages C2..C5: 1x1 lateral
convolutions, a top-down path that upsamples the coarser level and adds it (through a 1x1
convolution) to the finer one, and on every level a 3x3 convolution predicting heatmaps,
upsampled to the stride-4 heatmap size. It finds the "simple" keypoints (eyes, shoulders).
RefineNet (Section 3.2) sends every pyramid level through a level-dependent number of
bottleneck blocks (more for the coarser, deeper levels: 0, 1, 2, 3 from C2 to C5), upsamples and
concatenates them and predicts the final heatmaps with a bottleneck and a 3x3 convolution; it is
trained with online hard keypoint mining (:class:`~posekit.models.losses.OHKMMSELoss`) to
focus on the "hard" keypoints (occluded hips, ankles).

Size and cost: on ResNet-50 at 256x192 the network has 27.01 M parameters (27.0 M in Sun et al. 2019,
Table 1) and 7.23e9 multiply-adds (6.73 * 2**30; the table quotes 6.20 GFLOPs: RefineNet's
details, e.g. where its bottlenecks sit relative to the upsampling, are not fully given in the
paper, and ours runs them before upsampling, so the difference is likely in the 1024-channel
bottleneck at stride 4).

:class:`CascadedPyramidHead` returns [GlobalNet C5, C4, C3, C2 heatmaps, RefineNet heatmaps]:
five stages for :class:`~posekit.topdown.estimator.TopDown`, the last one the prediction.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["CascadedPyramidHead", "RefineBottleneck"]


def _conv_bn(cin: int, cout: int, kernel: int, relu: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, 1, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class RefineBottleneck(nn.Module):
    """RefineNet's bottleneck: 1x1 to half the output width, 3x3, 1x1 up, added to the input (projected
    by a 1x1 convolution when the widths differ)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        mid = cout // 2
        self.body = nn.Sequential(_conv_bn(cin, mid, 1), _conv_bn(mid, mid, 3), _conv_bn(mid, cout, 1, relu=False))
        self.skip = nn.Identity() if cin == cout else _conv_bn(cin, cout, 1, relu=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.skip(x))


class CascadedPyramidHead(nn.Module):
    """[C2, C3, C4, C5] (channels ``in_channels``) -> 5 heatmaps (N, K, h2, w2) at C2's resolution."""

    def __init__(self, in_channels: list[int], num_keypoints: int, channels: int = 256):
        super().__init__()
        n = len(in_channels)
        self.lateral = nn.ModuleList(_conv_bn(c, channels, 1) for c in in_channels)
        self.top_down = nn.ModuleList(_conv_bn(channels, channels, 1, relu=False) for _ in range(n - 1))
        self.global_predict = nn.ModuleList(nn.Sequential(_conv_bn(channels, channels, 1),
                                                          nn.Conv2d(channels, num_keypoints, 3, 1, 1))
                                            for _ in range(n))
        self.refine_levels = nn.ModuleList(nn.Sequential(*[RefineBottleneck(channels, channels) for _ in range(level)])
                                           for level in range(n))
        self.refine_predict = nn.Sequential(RefineBottleneck(n * channels, channels),
                                            nn.Conv2d(channels, num_keypoints, 3, 1, 1))
        for predictor in [*self.global_predict, self.refine_predict]:  # start from blank heatmaps
            nn.init.normal_(predictor[-1].weight, std=0.001)
            nn.init.zeros_(predictor[-1].bias)

    def forward(self, features: list[Tensor]) -> list[Tensor]:
        size = features[0].shape[-2:]
        pyramid: list[Tensor] = []
        for level in reversed(range(len(features))):  # C5 first
            p = self.lateral[level](features[level])
            if pyramid:
                coarser = F.interpolate(pyramid[-1], size=p.shape[-2:], mode="bilinear", align_corners=False)
                p = p + self.top_down[level](coarser)
            pyramid.append(p)
        pyramid.reverse()  # C2 first again
        upsample = lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=False)  # noqa: E731
        global_maps = [upsample(self.global_predict[lv](pyramid[lv])) for lv in reversed(range(len(pyramid)))]
        refined = torch.cat([upsample(self.refine_levels[lv](p)) for lv, p in enumerate(pyramid)], dim=1)
        return global_maps + [self.refine_predict(refined)]
