"""PifPaf's composite-field heads (Kreiss, Bertoni, Alahi, CVPR 2019; OpenPifPaf's ``CompositeField``
heads, ``openpifpaf/network/heads.py``): one 1x1 convolution per field type whose output a pixel
shuffle (Shi et al., CVPR 2016) turns into ``upsample`` x the resolution, so a stride-16 base
network gives stride-8 fields.

Output, raw (before any activation): ``(N, fields, components, H * upsample, W * upsample)``:
CIF 5 components per keypoint (confidence logit, dx, dy, spread, scale), CAF 9 per limb (confidence
logit, dx1, dy1, dx2, dy2, spread1, spread2, scale1, scale2), OpenPifPaf's CompositeField3 layout
(one spread per vector; its later CompositeField4 shares one spread, 8 CAF components). Unlike
OpenPifPaf, the field grid keeps all ``upsample * H`` rows (no crop of the pixel shuffle's last row):
posekit's inputs are multiples of the stride, OpenPifPaf's are ``16 n + 1``.

The confidence biases start at the logit of 0.01 (the prior of Lin et al., "Focal Loss for Dense
Object Detection", ICCV 2017; posekit's choice, so that an untrained network seeds few people).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["CompositeField", "PifPafHead"]


class CompositeField(nn.Module):
    """``fields`` x ``components`` maps from ``in_channels`` features (1x1 conv + pixel shuffle)."""

    def __init__(self, in_channels: int, fields: int, components: int, upsample: int = 2, prior: float = 0.01):
        super().__init__()
        self.fields, self.components, self.upsample = fields, components, upsample
        self.conv = nn.Conv2d(in_channels, fields * components * upsample ** 2, 1)
        self.shuffle = nn.PixelShuffle(upsample) if upsample > 1 else nn.Identity()
        with torch.no_grad():
            bias = self.conv.bias.view(fields, components, upsample ** 2)
            bias[:, 0] = math.log(prior / (1 - prior))

    def forward(self, x: Tensor) -> Tensor:
        y = self.shuffle(self.conv(x))
        n, _, h, w = y.shape
        return y.reshape(n, self.fields, self.components, h, w)


class PifPafHead(nn.Module):
    """CIF (``num_keypoints`` x 5) and CAF (``num_limbs`` x 9) heads on one feature map."""

    def __init__(self, in_channels: int, num_keypoints: int, num_limbs: int, upsample: int = 2):
        super().__init__()
        self.cif = CompositeField(in_channels, num_keypoints, 5, upsample)
        self.caf = CompositeField(in_channels, num_limbs, 9, upsample)
        self.num_keypoints, self.num_limbs, self.upsample = num_keypoints, num_limbs, upsample

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.cif(x), self.caf(x)
