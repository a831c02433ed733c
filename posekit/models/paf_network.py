"""A part-field network: input normalisation + backbone + part-field stages.

The contract every PAF network of posekit follows (Lightweight OpenPose here, OpenPose's CMU
network, the CPU-sized presets): ``forward(x)`` takes (N, 3, H, W) float RGB 0..255 and returns
a list over stages of ``(heatmaps (N, K+1, H/stride, W/stride), pafs (N, 2L, H/stride, W/stride))``,
the last heatmap channel being the background; ``stride``, ``num_keypoints`` and ``num_limbs``
describe it (``last_stage_only()`` makes it return the last stage's pair alone). The normalisation is part of the network (``x * input_scale + input_shift`` per
channel, after reversing the channels for a net trained on BGR), as converted files carry it.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .backbones.mobilenet import LIGHTWEIGHT_OPENPOSE, MobileNetV1
from .fake_quant import FakeQuantize
from .heads.lightweight_paf import LightweightPAFHead

__all__ = ["PAFNetwork", "lightweight_openpose"]


class PAFNetwork(nn.Module):
    def __init__(self, backbone: nn.Module, head: nn.Module, bgr: bool = False,
                 mean: float = 128.0, scale: float = 1.0 / 256):
        super().__init__()
        self.backbone, self.head, self.bgr = backbone, head, bgr
        self.register_buffer("input_scale", torch.full((1, 3, 1, 1), scale))
        self.register_buffer("input_shift", torch.full((1, 3, 1, 1), -mean * scale))
        self.input_quant = FakeQuantize()
        self.stride = backbone.stride
        self.num_keypoints, self.num_limbs = head.num_keypoints, head.num_limbs
        self.last_only = False

    def last_stage_only(self, value: bool = True) -> "PAFNetwork":
        """Make ``forward`` return the last stage's (heatmaps, pafs) alone: inference and ONNX export."""
        self.last_only = value
        return self

    def forward(self, x: Tensor):
        if self.bgr:
            x = x.flip(1)
        out = self.head(self.backbone(self.input_quant(x * self.input_scale + self.input_shift)))
        return tuple(out[-1]) if self.last_only else out


def lightweight_openpose(num_keypoints: int = 18, num_limbs: int = 19, refinement_stages: int = 1,
                         width: float = 1.0, channels: int = 128, bn: bool = False, bgr: bool = False) -> PAFNetwork:
    """Lightweight OpenPose (Osokin, ICPRAM 2019): :class:`~posekit.models.backbones.mobilenet.MobileNetV1`
    (dilated, stride 8) + :class:`~posekit.models.heads.lightweight_paf.LightweightPAFHead`. The defaults
    are the released COCO model (18 OpenPose keypoints, 19 limbs, one refinement stage; about 4.1 M
    parameters); ``bn=True`` for training from scratch, ``width``/``channels`` for smaller variants."""
    backbone = MobileNetV1(LIGHTWEIGHT_OPENPOSE, width=width, bn=bn)
    head = LightweightPAFHead(backbone.out_channels, num_keypoints, num_limbs, channels=channels,
                              refinement_stages=refinement_stages, mid=max(channels, int(512 * width)), bn=bn)
    return PAFNetwork(backbone, head, bgr=bgr)
