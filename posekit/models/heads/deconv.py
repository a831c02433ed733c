"""Deconvolution heatmap head of SimpleBaseline (Xiao et al., "Simple Baselines for Human Pose
Estimation and Tracking", ECCV 2018): transposed convolutions (4x4, stride 2, BN, ReLU)
upsample the backbone map, then a 1x1 convolution gives one heatmap per keypoint.
"""
from __future__ import annotations

from torch import Tensor, nn

__all__ = ["DeconvHead"]


class DeconvHead(nn.Module):
    """(N, in_channels, h, w) -> (N, num_keypoints, h * 2**num_deconv, w * 2**num_deconv)."""

    def __init__(self, in_channels: int, num_keypoints: int, num_deconv: int = 3, channels: int = 256,
                 kernel: int = 4):
        super().__init__()
        padding, output_padding = {4: (1, 0), 3: (1, 1), 2: (0, 0)}[kernel]
        layers: list[nn.Module] = []
        c = in_channels
        for _ in range(num_deconv):
            layers += [nn.ConvTranspose2d(c, channels, kernel, 2, padding, output_padding, bias=False),
                       nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
            c = channels
        self.deconv = nn.Sequential(*layers)
        self.final = nn.Conv2d(c, num_keypoints, 1)
        for m in self.deconv.modules():
            if isinstance(m, nn.ConvTranspose2d):
                nn.init.normal_(m.weight, std=0.001)
        nn.init.normal_(self.final.weight, std=0.001)
        nn.init.zeros_(self.final.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.final(self.deconv(x))
