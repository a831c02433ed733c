"""BlazePose's two networks as readable PyTorch modules.

BlazePose (Bazarevsky et al., "BlazePose: On-device Real-time Body Pose tracking", CVPR
Workshops 2020) runs a person detector on the whole frame, then a landmark network on
each person's crop. Both are MobileNetV2-style encoders (Sandler et al., "MobileNetV2:
Inverted Residuals and Linear Bottlenecks", CVPR 2018) built from depthwise-separable
convolutions (Howard et al., "MobileNets", 2017), with BlazeFace-style "BlazeBlocks"
(Bazarevsky et al., "BlazeFace", 2019) in their decoders and regression branch. The
layer sizes below are those of MediaPipe 0.10.14's ``pose_detection.tflite`` and
``pose_landmark_full.tflite``; :func:`posekit.pretrained.blazepose_mapping.load_from_graph`
fills them from those files, matching layers by the graph's topology.

Same contract as :class:`~posekit.pretrained.graph.GraphNet`: NHWC float input, a list
of outputs in the file's order, 4-D outputs NHWC. TensorFlow conventions are kept:
stride-2 'SAME' convolutions pad the odd pixel at the bottom/right, DEPTH_TO_SPACE
orders channels (row, column, channel), bilinear up-sampling uses half-pixel centres.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BlazePoseDetector", "BlazePoseLandmark", "BlazeBlock", "DepthToSpace", "InvertedResidual",
           "SeparableConv"]


def _relu6(on: bool) -> nn.Module:
    return nn.ReLU6(inplace=True) if on else nn.Identity()


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """Bilinear x2 with half-pixel centres (TF ``RESIZE_BILINEAR(half_pixel_centers=True)``)."""
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class DepthToSpace(nn.Module):
    """TensorFlow's DEPTH_TO_SPACE: (N, b*b*C, H, W) -> (N, C, b*H, b*W), channels read as (row, col, c).

    ``nn.PixelShuffle`` reads them as (c, row, col), hence this module (ONNX DepthToSpace 'DCR').
    """

    def __init__(self, block: int = 2):
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.block
        n, c, h, w = x.shape
        x = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
        return x.reshape(n, c // (b * b), h * b, w * b)


class SeparableConv(nn.Module):
    """Depthwise k x k convolution then pointwise 1x1 (MobileNets, Howard et al. 2017), each
    optionally followed by ReLU6. Zero padding k//2 on each side (stride 2 included: the
    files pad explicitly and symmetrically there)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, dw_relu6: bool = True,
                 pw_relu6: bool = True):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, kernel, stride, kernel // 2, groups=cin)
        self.dw_act = _relu6(dw_relu6)
        self.pointwise = nn.Conv2d(cin, cout, 1)
        self.pw_act = _relu6(pw_relu6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw_act(self.pointwise(self.dw_act(self.depthwise(x))))


class InvertedResidual(nn.Module):
    """MobileNetV2's block (Sandler et al. 2018): 1x1 expansion + ReLU6 (absent when ``hidden == cin``),
    depthwise k x k + ReLU6, linear 1x1 projection; identity shortcut when stride 1 and
    ``cin == cout``."""

    def __init__(self, cin: int, cout: int, hidden: int, kernel: int = 3, stride: int = 1):
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(cin, hidden, 1), nn.ReLU6(inplace=True)) if hidden != cin else None
        self.depthwise = nn.Sequential(nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden),
                                       nn.ReLU6(inplace=True))
        self.project = nn.Conv2d(hidden, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(x if self.expand is None else self.expand(x)))
        return x + y if self.residual else y


class BlazeBlock(nn.Module):
    """BlazeFace's residual block (Bazarevsky et al. 2019): depthwise 3x3 + pointwise 1x1 plus a
    shortcut, ReLU6 after the sum. With stride 2 the shortcut is a 2x2 max-pool and the
    depthwise convolution pads TensorFlow's way ('SAME': the extra pixel at the bottom/right)."""

    def __init__(self, channels: int, stride: int = 1, dw_relu6: bool = True):
        super().__init__()
        self.stride = stride
        self.branch = SeparableConv(channels, channels, 3, stride, dw_relu6=dw_relu6, pw_relu6=False)
        if stride == 2:
            self.branch.depthwise.padding = (0, 0)
        self.shortcut = nn.MaxPool2d(2, 2) if stride == 2 else nn.Identity()
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.branch(F.pad(x, (0, 1, 0, 1)) if self.stride == 2 else x)
        return self.act(self.shortcut(x) + y)


def encoder_stage(cin: int, blocks: list[tuple[int, int, int, int]]) -> nn.Sequential:
    """A run of inverted residuals, each given as (cout, hidden, kernel, stride)."""
    layers = []
    for cout, hidden, kernel, stride in blocks:
        layers.append(InvertedResidual(cin, cout, hidden, kernel, stride))
        cin = cout
    return nn.Sequential(*layers)


def expansion(cin: int, hidden: int) -> nn.Sequential:
    """The encoder's last features: an inverted residual's expansion and depthwise 3x3, no projection."""
    return nn.Sequential(nn.Conv2d(cin, hidden, 1), nn.ReLU6(inplace=True),
                         nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden), nn.ReLU6(inplace=True))


def stem() -> nn.Sequential:
    """3x3 stride-2 convolution, 3 -> 24 channels, ReLU6."""
    return nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1), nn.ReLU6(inplace=True))


class BlazePoseDetector(nn.Module):
    """BlazePose's person detector (224x224 input in [-1, 1]): an SSD-style single-shot detector
    (Liu et al. 2016) on a MobileNetV2 encoder with a top-down feature pyramid (Lin et al. 2017).

    Anchors: 2 per cell on the 28x28 and 14x14 grids, 6 on the 7x7 grid (2254 in all). Each
    anchor regresses 12 values (box centre and size, then 4 keypoints (x, y), the first two
    being the hip centre and the point fixing the 'Vitruvian man' circle of the paper) and
    one score logit; decoding against the anchors is the pipeline's job.

    Input (N, 224, 224, 3) NHWC; outputs ``[boxes (N, 2254, 12), scores (N, 2254, 1)]``.
    """

    anchors = (2, 2, 6)  # per cell, on the 28, 14 and 7 grids

    def __init__(self):
        super().__init__()
        self.stem = stem()                                                       # 112x112
        self.stage112 = encoder_stage(24, [(16, 24, 3, 1)])
        self.stage56 = encoder_stage(16, [(24, 64, 3, 2), (24, 144, 3, 1)])
        self.stage28 = encoder_stage(24, [(40, 144, 5, 2), (40, 240, 5, 1)])
        self.stage14 = encoder_stage(40, [(80, 240, 3, 2), (80, 480, 3, 1), (80, 480, 3, 1),
                                          (112, 480, 5, 1), (112, 672, 5, 1), (112, 672, 5, 1)])
        self.stage7 = encoder_stage(112, [(192, 672, 5, 2)] + [(192, 1152, 5, 1)] * 3)
        self.expansion7 = expansion(192, 1152)
        # top-down pyramid: lateral features + up-sampled coarser level, then two BlazeBlocks
        self.lateral14 = SeparableConv(112, 192, dw_relu6=False)
        self.lateral28 = SeparableConv(40, 96, dw_relu6=False)
        self.top_down14 = nn.Sequential(nn.Conv2d(1152, 192, 1), nn.ReLU6(inplace=True))
        self.top_down28 = nn.Sequential(nn.Conv2d(192, 96, 1), nn.ReLU6(inplace=True))
        self.refine14 = nn.Sequential(BlazeBlock(192, dw_relu6=False), BlazeBlock(192, dw_relu6=False))
        self.refine28 = nn.Sequential(BlazeBlock(96, dw_relu6=False), BlazeBlock(96, dw_relu6=False))
        # heads read each level at twice its resolution (DEPTH_TO_SPACE) through a stride-2 conv
        self.depth_to_space = DepthToSpace(2)
        head_in = (96 // 4, 192 // 4, 1152 // 4)                                  # 28, 14, 7 grids
        self.classifiers = nn.ModuleList(SeparableConv(c, a, 3, 2, False, False)
                                         for c, a in zip(head_in, self.anchors))
        self.regressors = nn.ModuleList(SeparableConv(c, a * 12, 3, 2, False, False)
                                        for c, a in zip(head_in, self.anchors))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x.permute(0, 3, 1, 2))
        f28 = self.stage28(self.stage56(self.stage112(x)))
        f14 = self.stage14(f28)
        p7 = self.expansion7(self.stage7(f14))
        p14 = self.refine14(self.lateral14(f14) + self.top_down14(upsample2x(p7)))
        p28 = self.refine28(self.lateral28(f28) + self.top_down28(upsample2x(p14)))
        levels = [self.depth_to_space(p) for p in (p28, p14, p7)]
        boxes = [_anchor_rows(head(f), 12) for head, f in zip(self.regressors, levels)]
        scores = [_anchor_rows(head(f), 1) for head, f in zip(self.classifiers, levels)]
        return [torch.cat(boxes, dim=1), torch.cat(scores, dim=1)]


def _anchor_rows(y: torch.Tensor, width: int) -> torch.Tensor:
    """(N, A*width, H, W) -> (N, H*W*A, width), anchors in TFLite's row-major NHWC order."""
    return y.permute(0, 2, 3, 1).flatten(1).unflatten(1, (-1, width))


class BlazePoseLandmark(nn.Module):
    """BlazePose's landmark network ('full', 256x256 input in [0, 1]).

    An encoder (inverted residuals, 256 -> 8), a heatmap decoder that up-samples the
    encoder's last features and adds lateral features at 16, 32 and 64 (the paper's
    heatmap/offset branch, one heatmap per landmark), and a regression encoder of
    BlazeBlocks (8 -> 2) with three 2x2 heads: 39 landmarks x (x, y, z, visibility,
    presence) in crop pixels, the pose-presence flag, and 39 x 3 world landmarks in metres.
    An optional segmentation decoder continues the heatmap decoder to 256x256.

    Input (N, 256, 256, 3) NHWC. Outputs, in the file's order: ``[landmarks (N, 195),
    flag (N, 1) (a probability), segmentation logits (N, 256, 256, 1), heatmap (N, 64, 64, 39),
    world (N, 117)]``; with ``segmentation=False`` the segmentation entry is absent (four
    outputs) and its layers are neither built nor run.
    """

    num_landmarks = 39

    def __init__(self, segmentation: bool = True):
        super().__init__()
        self.segmentation = segmentation
        k = self.num_landmarks
        self.stem = stem()                                                        # 128x128
        self.stage128 = encoder_stage(24, [(16, 24, 3, 1)])
        self.stage64 = encoder_stage(16, [(24, 64, 3, 2), (24, 144, 3, 1)])
        self.stage32 = encoder_stage(24, [(32, 144, 5, 2), (32, 192, 5, 1)])
        self.stage16 = encoder_stage(32, [(64, 192, 3, 2), (64, 384, 3, 1), (64, 384, 3, 1),
                                          (88, 384, 5, 1), (88, 528, 5, 1), (88, 528, 5, 1)])
        self.stage8 = encoder_stage(88, [(144, 528, 5, 2)] + [(144, 864, 5, 1)] * 3)
        self.expansion8 = expansion(144, 864)
        # heatmap decoder: 8 -> 64, adding lateral features
        self.decoder_top = SeparableConv(864, 48)
        self.lateral16 = SeparableConv(88, 48)
        self.lateral32 = SeparableConv(32, 48)
        self.lateral64 = SeparableConv(24, 48)
        self.heatmap_head = nn.Conv2d(48, k, 1)
        # regression encoder: 8 -> 2 with BlazeBlocks, then 2x2 'valid' heads
        self.regression_entry = SeparableConv(864, 288)
        self.regression = nn.Sequential(BlazeBlock(288, 2), *(BlazeBlock(288) for _ in range(4)),
                                        BlazeBlock(288, 2), *(BlazeBlock(288) for _ in range(5)))
        self.landmark_head = nn.Conv2d(288, k * 5, 2)
        self.flag_head = nn.Conv2d(288, 1, 2)
        self.world_head = nn.Conv2d(288, k * 3, 2)
        if segmentation:
            self.seg_entry = SeparableConv(48, 8)
            self.seg_lateral128 = SeparableConv(16, 8)
            self.seg_refine128 = nn.Sequential(BlazeBlock(8), BlazeBlock(8))
            self.seg_refine256 = nn.Sequential(BlazeBlock(8), BlazeBlock(8))
            self.seg_head = nn.Conv2d(8, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        f128 = self.stage128(self.stem(x.permute(0, 3, 1, 2)))
        f64 = self.stage64(f128)
        f32 = self.stage32(f64)
        f16 = self.stage16(f32)
        f8 = self.expansion8(self.stage8(f16))
        d = self.decoder_top(f8)
        d = upsample2x(d) + self.lateral16(f16)
        d = upsample2x(d) + self.lateral32(f32)
        d64 = upsample2x(d) + self.lateral64(f64)
        heatmap = self.heatmap_head(d64)
        r = self.regression(self.regression_entry(f8))
        landmarks = self.landmark_head(r).flatten(1)
        flag = torch.sigmoid(self.flag_head(r)).flatten(1)
        world = self.world_head(r).flatten(1)
        out = [landmarks, flag]
        if self.segmentation:
            s = self.seg_refine128(upsample2x(self.seg_entry(d64)) + self.seg_lateral128(f128))
            s = self.seg_head(self.seg_refine256(upsample2x(s)))
            out.append(s.permute(0, 2, 3, 1))
        return out + [heatmap.permute(0, 2, 3, 1), world]
