"""MobileNetV2 (Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and Linear
Bottlenecks", CVPR 2018) as a pose backbone.

Table 2 of the paper: a 3x3 stride-2 convolution (32 channels), seventeen inverted residual blocks
(1x1 expansion by ``t``, 3x3 depthwise, linear 1x1 projection; an identity shortcut where the stride
is 1 and the widths agree) in the settings :data:`MOBILENETV2` of (t, c, n, s), and a last 1x1
convolution to 1280 channels: total stride 32. Batch norm after every convolution, ReLU6 after all
but the projections, no biases. MMPose's pose model (``mobilenetv2_coco_256x192.py``:
``MobileNetV2(widen_factor=1., out_indices=(7,))``) reads the last 1x1's 1280 channels with the
SimpleBaseline deconvolution head; so does posekit's ``mobilenetv2`` builder.

Without a classifier, the 1.0x network has 2.224 M parameters (torchvision's ``mobilenet_v2`` 3.505 M
minus its 1280 x 1000 + 1000 classifier).
"""
from __future__ import annotations

from torch import Tensor, nn

__all__ = ["MobileNetV2", "InvertedResidual", "MOBILENETV2"]

# (expansion t, output channels c, repeats n, first stride s): Sandler et al. 2018, Table 2
MOBILENETV2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1))


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, relu6: bool = True) -> list:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6(inplace=True)] if relu6 else layers


def _divisible(v: float, divisor: int = 8) -> int:
    """The reference code's channel rounding (to a multiple of 8, never below 90% of ``v``)."""
    out = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


class InvertedResidual(nn.Module):
    """1x1 expansion (when ``t`` > 1), 3x3 depthwise at ``stride``, linear 1x1; + x when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int, t: int):
        super().__init__()
        mid = cin * t
        expand = _conv_bn(cin, mid) if t != 1 else []
        self.conv = nn.Sequential(*expand, *_conv_bn(mid, mid, 3, stride, mid), *_conv_bn(mid, cout, relu6=False))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """(N, 3, H, W) -> (N, 1280 * max(1, width), H/32, W/32); ``width`` multiplies every width (rounded to 8)."""

    def __init__(self, width: float = 1.0, settings=MOBILENETV2, last_channels: int = 1280):
        super().__init__()
        c = _divisible(32 * width)
        layers = [nn.Sequential(*_conv_bn(3, c, 3, 2))]
        for t, cout, n, s in settings:
            cout = _divisible(cout * width)
            for i in range(n):
                layers.append(InvertedResidual(c, cout, s if i == 0 else 1, t))
                c = cout
        self.out_channels = _divisible(last_channels * width) if width > 1.0 else last_channels
        layers.append(nn.Sequential(*_conv_bn(c, self.out_channels)))
        self.features = nn.Sequential(*layers)
        self.stride = 2 * 2 ** sum(1 for _, _, _, s in settings if s == 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)
