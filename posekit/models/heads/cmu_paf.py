"""OpenPose's multi-stage two-branch head (Cao et al., "Realtime Multi-Person 2D Pose Estimation using
Part Affinity Fields", CVPR 2017, Section 2 and Fig. 3; the public ``pose_deploy_linevec.prototxt``).

Branch 1 predicts the part affinity fields (2 channels per limb, ``L1`` in the prototxt), branch 2
the confidence maps (K keypoints + background, ``L2``). Stage 1: per branch three 3x3 convolutions
of 128 channels, a 1x1 to 512 and a 1x1 to the outputs. Stages 2..6: the input is the previous
stage's PAFs, confidence maps and the backbone features concatenated in that order
(``concat_stage2``); per branch five 7x7 convolutions of 128, a 1x1 of 128 and a 1x1 to the outputs.
ReLU after every convolution but the outputs. Every stage is supervised (intermediate supervision,
Wei et al. 2016). With 19 keypoints (18 + background) and 38 PAF channels, the paper's COCO model,
the head and :class:`~posekit.models.backbones.vgg.VGG19Front` hold 52,311,446 parameters
(tests/models/test_openpose_cmu.py counts them from the prototxt's layer shapes).

``channels``, ``stages``, ``refine_kernel`` and ``bn`` give CPU-sized variants (fewer, thinner stages
with 3x3 kernels; batch norm for training from scratch); the defaults are the paper's.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["CMUPAFHead", "CMUStage"]


def _conv(cin: int, cout: int, k: int, bn: bool, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, padding=k // 2, bias=not (bn and relu))]
    if bn and relu:
        layers.append(nn.BatchNorm2d(cout))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return layers


def _branch(cin: int, channels: int, kernel: int, convs: int, mid: int, cout: int, bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += _conv(cin if i == 0 else channels, channels, kernel, bn)
    layers += _conv(channels, mid, 1, bn) + _conv(mid, cout, 1, bn, relu=False)
    return nn.Sequential(*layers)


class CMUStage(nn.Module):
    """One stage: two branches from the same input -> (heatmaps (N, K+1, h, w), pafs (N, 2L, h, w))."""

    def __init__(self, cin: int, heatmaps: int, pafs: int, channels: int, kernel: int, convs: int, mid: int,
                 bn: bool = False):
        super().__init__()
        self.pafs = _branch(cin, channels, kernel, convs, mid, pafs, bn)          # L1
        self.heatmaps = _branch(cin, channels, kernel, convs, mid, heatmaps, bn)  # L2

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.heatmaps(x), self.pafs(x)


class CMUPAFHead(nn.Module):
    """Backbone features (N, ``cin``, h, w) -> a list over stages of (heatmaps (N, K+1, h, w), pafs (N, 2L, h, w))."""

    def __init__(self, cin: int, num_keypoints: int, num_limbs: int, stages: int = 6, channels: int = 128,
                 mid: int = 512, refine_kernel: int = 7, refine_convs: int = 5, bn: bool = False):
        super().__init__()
        if stages < 1:
            raise ValueError(f"a PAF head needs at least one stage, not {stages}")
        heatmaps, pafs = num_keypoints + 1, 2 * num_limbs
        self.num_keypoints, self.num_limbs = num_keypoints, num_limbs
        self.initial = CMUStage(cin, heatmaps, pafs, channels, 3, 3, mid, bn)
        self.refinement = nn.ModuleList(
            CMUStage(cin + heatmaps + pafs, heatmaps, pafs, channels, refine_kernel, refine_convs, channels, bn)
            for _ in range(stages - 1))

    def forward(self, features: Tensor) -> list[tuple[Tensor, Tensor]]:
        out = [self.initial(features)]
        for stage in self.refinement:
            heat, paf = out[-1]
            out.append(stage(torch.cat([paf, heat, features], dim=1)))
        return out
