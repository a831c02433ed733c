"""MobileNetV1 with dilated last blocks, the feature extractor of Lightweight OpenPose.

MobileNets (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications", 2017): a full 3x3 convolution, then depthwise-separable blocks (3x3
depthwise + 1x1 pointwise, each with its activation). Osokin ("Real-time 2D Multi-Person Pose
Estimation on CPU: Lightweight OpenPose", ICPRAM 2019, Section 3.2) keeps the layers up to
``conv5_5``, stops the striding at 8 and dilates ``conv5_1``'s depthwise kernel by 2 to keep
the receptive field, which is :data:`LIGHTWEIGHT_OPENPOSE`.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..fake_quant import QConv

__all__ = ["MobileNetV1", "LIGHTWEIGHT_OPENPOSE"]

# (output channels, stride, dilation) of each depthwise-separable block after the 32-channel stem
LIGHTWEIGHT_OPENPOSE: tuple[tuple[int, int, int], ...] = (
    (64, 1, 1), (128, 2, 1), (128, 1, 1), (256, 2, 1), (256, 1, 1), (512, 1, 1),
    (512, 1, 2), (512, 1, 1), (512, 1, 1), (512, 1, 1), (512, 1, 1),
)


class MobileNetV1(nn.Module):
    """Stem (3x3, stride 2) + depthwise-separable blocks; ``blocks`` as :data:`LIGHTWEIGHT_OPENPOSE`,
    ``width`` scales every width (a CPU-sized variant), ``bn`` adds batch norm for training from
    scratch. Every activation carries a :class:`~posekit.models.fake_quant.FakeQuantize` (per
    channel on the tensors read by a depthwise convolution, as quantized files have them)."""

    def __init__(self, blocks=LIGHTWEIGHT_OPENPOSE, stem: int = 32, width: float = 1.0, bn: bool = False):
        super().__init__()
        c = max(8, int(stem * width))
        self.stem = QConv(3, c, 3, 2, bn=bn, quant_channels=c)
        layers = []
        for i, (cout, stride, dilation) in enumerate(blocks):
            cout = max(8, int(cout * width))
            last = i == len(blocks) - 1
            layers += [QConv(c, c, 3, stride, dilation, groups=c, bn=bn),
                       QConv(c, cout, 1, bn=bn, quant_channels=1 if last else cout)]
            c = cout
        self.layers = nn.Sequential(*layers)
        self.out_channels = c
        self.stride = 2 * 2 ** sum(1 for _, s, _ in blocks if s == 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(self.stem(x))
