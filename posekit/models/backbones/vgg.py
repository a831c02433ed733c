"""The VGG-19 front end of OpenPose: the first ten convolutions of VGG-19 and the two CPM convolutions.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition" (ICLR
2015), configuration E (VGG-19): 3x3 convolutions with ReLU, 2x2 max pooling. OpenPose (Cao et al.,
"Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields", CVPR 2017, Section 3) keeps
``conv1_1`` .. ``conv4_2`` (ten convolutions, three poolings: stride 8) and adds ``conv4_3_CPM``
(512 -> 256) and ``conv4_4_CPM`` (256 -> 128), both 3x3 with ReLU, as the public
``pose_deploy_linevec.prototxt`` lists them. ``widths`` and ``bn`` make a CPU-sized variant trainable
from scratch (batch norm after every convolution); the defaults are the paper's.
"""
from __future__ import annotations

from torch import Tensor, nn

__all__ = ["VGG19Front", "VGG19_FRONT"]

# (name, output channels) in order; "pool" is a 2x2 max pooling with stride 2
VGG19_FRONT: tuple[tuple[str, int], ...] = (
    ("conv1_1", 64), ("conv1_2", 64), ("pool", 0), ("conv2_1", 128), ("conv2_2", 128), ("pool", 0),
    ("conv3_1", 256), ("conv3_2", 256), ("conv3_3", 256), ("conv3_4", 256), ("pool", 0),
    ("conv4_1", 512), ("conv4_2", 512), ("conv4_3_CPM", 256), ("conv4_4_CPM", 128),
)


class VGG19Front(nn.Module):
    """(N, 3, H, W) normalised image -> (N, ``out_channels``, H/8, W/8) features.

    ``widths`` overrides the output channels of the 12 convolutions in :data:`VGG19_FRONT` order
    (``conv4_4_CPM``'s is ``out_channels``).
    """

    def __init__(self, widths: tuple[int, ...] | None = None, bn: bool = False):
        super().__init__()
        convs = [name for name, _ in VGG19_FRONT if name != "pool"]
        widths = tuple(widths) if widths is not None else tuple(c for n, c in VGG19_FRONT if n != "pool")
        if len(widths) != len(convs):
            raise ValueError(f"{len(widths)} widths for the {len(convs)} convolutions of {', '.join(convs)}")
        layers: list[tuple[str, nn.Module]] = []
        cin, i = 3, 0
        for name, _ in VGG19_FRONT:
            if name == "pool":
                layers.append((f"pool{len([n for n, _ in layers if n.startswith('pool')]) + 1}", nn.MaxPool2d(2, 2)))
                continue
            cout = widths[i]
            layers.append((name, nn.Conv2d(cin, cout, 3, padding=1, bias=not bn)))
            if bn:
                layers.append((name + "_bn", nn.BatchNorm2d(cout)))
            layers.append((name + "_relu", nn.ReLU(inplace=True)))
            cin, i = cout, i + 1
        self.layers = nn.Sequential()
        for name, module in layers:
            self.layers.add_module(name, module)
        self.out_channels, self.stride = cin, 8

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
