"""ResNet (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016) as a pose backbone.

Plain torch, no torchvision. Parameter names follow torchvision's, so an ImageNet
state dict saved from ``torchvision.models.resnet50`` loads with
:meth:`ResNet.load_torchvision_state_dict` (its ``fc`` layer is dropped). The output is
the stride-32 ``layer4`` map, as SimpleBaseline (Xiao et al. 2018) uses it.
"""
from __future__ import annotations

from torch import Tensor, nn

from ...errors import ModelError

__all__ = ["ResNet", "ResNetPyramid", "BasicBlock", "Bottleneck", "DEPTHS"]


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride here, the "v1.5" placement torchvision uses) -> 1x1."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


DEPTHS: dict[int, tuple[type, tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


class ResNet(nn.Module):
    """ResNet-``depth`` trunk (no pooling/classifier): (N, 3, H, W) -> (N, out_channels, H/32, W/32)."""

    def __init__(self, depth: int = 50):
        super().__init__()
        if depth not in DEPTHS:
            raise ModelError(f"ResNet depth must be one of {sorted(DEPTHS)}, not {depth}")
        block, layers = DEPTHS[depth]
        self.depth = depth
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self._inplanes = 64
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.out_channels = 512 * block.expansion
        self.stride = 32
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():  # zero-init the last BN of each residual branch (Goyal et al. 2017)
            if isinstance(m, (BasicBlock, Bottleneck)):
                nn.init.zeros_((m.bn3 if isinstance(m, Bottleneck) else m.bn2).weight)

    def _make_layer(self, block: type, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self._inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self._inplanes, planes * block.expansion, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self._inplanes, planes, stride, downsample)]
        self._inplanes = planes * block.expansion
        layers += [block(self._inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def load_torchvision_state_dict(self, state_dict: dict) -> None:
        """Load weights saved from torchvision's ``resnet{depth}``; the classifier (``fc.*``) is ignored.

        Raises :class:`ModelError` naming the missing or unexpected keys.
        """
        sd = {k: v for k, v in state_dict.items() if not k.startswith("fc.")}
        try:
            missing, unexpected = self.load_state_dict(sd, strict=False)
        except RuntimeError as e:  # shape mismatches
            raise ModelError(f"not a torchvision resnet{self.depth} state dict: "
                             f"{str(e).splitlines()[1].strip()} (and missing/unexpected keys)") from None
        if missing or unexpected:
            raise ModelError(f"not a torchvision resnet{self.depth} state dict: "
                             f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                             f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''}")


class ResNetPyramid(ResNet):
    """ResNet-``depth`` returning the outputs of its four stages, [C2, C3, C4, C5] at strides 4, 8, 16, 32,
    for feature-pyramid heads such as CPN's GlobalNet (Chen et al. 2018). Same parameters and names as
    :class:`ResNet`, so torchvision weights load the same way."""

    @property
    def pyramid_channels(self) -> list[int]:
        e = self.out_channels // 512
        return [64 * e, 128 * e, 256 * e, 512 * e]

    def forward(self, x: Tensor) -> list[Tensor]:
        c2 = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        return [c2, c3, c4, self.layer4(c4)]
