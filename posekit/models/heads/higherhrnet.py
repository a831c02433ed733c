"""HigherHRNet's head (Cheng, Xiao, Wang, Shi, Huang, Zhang, "HigherHRNet: Scale-Aware Representation
Learning for Bottom-Up Human Pose Estimation", CVPR 2020, Section 3 and its released
``pose_higher_hrnet.py``) and the associative-embedding network it completes.

From the backbone's stride-4 features (HRNet's highest-resolution branch) a 1x1 convolution predicts
the heatmaps and the tags at 1/4 (``FINAL_CONV_KERNEL: 1``). The **deconvolution module** then takes
the features concatenated with those predictions (``CAT_OUTPUT: True``), doubles the resolution with a
4x4 transposed convolution (stride 2, padding 1, then batch norm and ReLU; ``KERNEL_SIZE: 4``) to
``deconv_channels`` (the backbone's width: ``NUM_CHANNELS: 32`` for W32), refines with ``blocks`` basic
residual blocks (``NUM_BASIC_BLOCKS: 4``) and predicts heatmaps only at 1/2 (``WITH_AE_LOSS: [True,
False]``). ``scale_maps`` adds SWAHR's per-pixel scale maps (Luo et al., CVPR 2021), one per keypoint
at every resolution.

Output channel layout per resolution: heatmaps (K), then tags (``tag_dim``, first resolution only),
then scale maps (K, with ``scale_maps``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..backbones.resnet import BasicBlock

__all__ = ["HigherHRNetHead", "AENetwork", "IMAGENET_MEAN_255", "IMAGENET_STD_255"]

IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)


class HigherHRNetHead(nn.Module):
    """(N, in_channels, H/4, W/4) -> [(N, K + tag_dim [+ K], H/4, W/4), (N, K [+ K], H/2, W/2)]."""

    def __init__(self, in_channels: int, num_keypoints: int, deconv_channels: int | None = None, blocks: int = 4,
                 tag_dim: int | None = None, deconvs: int = 1, scale_maps: bool = False):
        super().__init__()
        k = num_keypoints
        self.num_keypoints, self.tag_dim = k, k if tag_dim is None else tag_dim
        self.scale_maps = scale_maps
        extra = k if scale_maps else 0
        channels = in_channels if deconv_channels is None else deconv_channels
        first = k + self.tag_dim + extra
        self.final = nn.ModuleList([nn.Conv2d(in_channels, first, 1)])
        self.deconvs = nn.ModuleList()
        cin, previous = in_channels, first
        for _ in range(deconvs):
            self.deconvs.append(nn.Sequential(
                nn.ConvTranspose2d(cin + previous, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True), *[BasicBlock(channels, channels) for _ in range(blocks)]))
            self.final.append(nn.Conv2d(channels, k + extra, 1))
            cin, previous = channels, k + extra
        self.strides = [4 / 2 ** i for i in range(deconvs + 1)]
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> list[Tensor]:
        y = self.final[0](x)
        out = [y]
        for deconv, final in zip(self.deconvs, self.final[1:]):
            x = deconv(torch.cat([x, y], 1))
            y = final(x)
            out.append(y)
        return out


class AENetwork(nn.Module):
    """Input normalisation + backbone + :class:`HigherHRNetHead`: (N, 3, H, W) RGB 0..255 -> the head's
    list over resolutions. The ImageNet normalisation is part of the network (HigherHRNet normalises
    with ImageNet's mean and standard deviation), as for posekit's other bottom-up networks."""

    def __init__(self, backbone: nn.Module, head: HigherHRNetHead):
        super().__init__()
        self.backbone, self.head = backbone, head
        self.register_buffer("input_scale", 1.0 / torch.tensor(IMAGENET_STD_255).view(1, 3, 1, 1))
        self.register_buffer("input_shift", -torch.tensor(IMAGENET_MEAN_255).view(1, 3, 1, 1) * self.input_scale)
        self.num_keypoints = head.num_keypoints

    def forward(self, x: Tensor) -> list[Tensor]:
        return self.head(self.backbone(x * self.input_scale + self.input_shift))
