"""Intel's person-detection-retail-0013 as a readable PyTorch module.

A single-shot detector (Liu et al., "SSD: Single Shot MultiBox Detector", ECCV 2016) with
one head at stride 16 and 12 clustered priors per cell, on a light backbone the file calls
"ResMobNet v4 (LReLU)": residual bottlenecks (He et al., "Deep Residual Learning", CVPR
2016: 1x1 reduction to a quarter of the width, 3x3, 1x1 back) whose 3x3 convolution is
depthwise as in MobileNets (Howard et al. 2017; Sandler et al., "MobileNetV2", CVPR 2018),
with leaky ReLUs (one learnt slope per activation, stored as PReLU). Batch normalisation is
folded into the convolutions' biases; the input normalisation is the graph's own
per-channel scale and shift, so the input is raw BGR 0..255 as OpenVINO's demos feed it.
Model card: Intel Open Model Zoo, person-detection-retail-0013 (Apache-2.0).

:func:`posekit.pretrained.person_ssd_mapping.load_from_ir` fills it from the IR files.

Input (N, 3, H, W) float BGR 0..255, H and W multiples of 16 (the file's is 320 x 544).
Outputs the two tensors the file's DetectionOutput layer reads: ``loc`` (N, P*4), the box
regressions per prior (dx, dy, dw, dh in SSD's centre-size encoding), and ``conf``
(N, P*2), the softmax of (background, person) per prior, priors ordered (row, column,
prior) with P = H/16 * W/16 * 12.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["PersonSSDNet", "Bottleneck"]


class Bottleneck(nn.Module):
    """1x1 reduction + leaky ReLU, depthwise 3x3 (stride 1 or 2) + leaky ReLU, linear 1x1
    expansion; added to the shortcut, then a leaky ReLU. With stride 2 or a change of width
    the shortcut is a 2x2 max-pool (stride 2) followed by a 1x1 convolution."""

    def __init__(self, cin: int, cout: int, mid: int, stride: int = 1):
        super().__init__()
        self.dim_red = nn.Conv2d(cin, mid, 1)
        self.red_act = nn.PReLU(1)
        self.depthwise = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid)
        self.dw_act = nn.PReLU(1)
        self.dim_inc = nn.Conv2d(mid, cout, 1)
        if stride == 1 and cin == cout:
            self.skip_pool, self.skip_conv = None, None
        else:
            self.skip_pool = nn.MaxPool2d(2, stride, ceil_mode=True) if stride > 1 else nn.Identity()
            self.skip_conv = nn.Conv2d(cin, cout, 1)
        self.act = nn.PReLU(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dim_inc(self.dw_act(self.depthwise(self.red_act(self.dim_red(x)))))
        skip = x if self.skip_conv is None else self.skip_conv(self.skip_pool(x))
        return self.act(skip + y)


def stage(cin: int, cout: int, depth: int, stride: int, reduction: int) -> nn.Sequential:
    """``depth`` bottlenecks of width ``cout``, the first one with ``stride``."""
    blocks = [Bottleneck(cin, cout, cout // reduction, stride)]
    blocks += [Bottleneck(cout, cout, cout // reduction) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


class PersonSSDNet(nn.Module):
    """Backbone (stride 16) + SSD heads; the defaults are those of person-detection-retail-0013.

    ``widths`` and ``depths`` give each stage's channels and number of bottlenecks (stages
    at stride 2, 4, 8, 16); ``priors`` is the number of priors per cell, ``classes`` the
    number of classes including the background.
    """

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), depths: tuple[int, ...] = (4, 9, 11, 12),
                 reduction: int = 4, priors: int = 12, classes: int = 2):
        super().__init__()
        self.priors, self.classes = priors, classes
        self.register_buffer("input_scale", torch.ones(1, 3, 1, 1))  # the graph's normalisation
        self.register_buffer("input_shift", torch.zeros(1, 3, 1, 1))
        self.init_block = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1), nn.ReLU(inplace=True))
        self.stages = nn.Sequential(*(stage(widths[max(i - 1, 0)], w, d, 1 if i == 0 else 2, reduction)
                                      for i, (w, d) in enumerate(zip(widths, depths))))
        self.loc_head = nn.Conv2d(widths[-1], priors * 4, 3, 1, 1)
        self.conf_head = nn.Conv2d(widths[-1], priors * classes, 3, 1, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's stride-16 features (N, widths[-1], H/16, W/16)."""
        return self.stages(self.init_block(x * self.input_scale + self.input_shift))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        f = self.features(x)
        loc = self.loc_head(f).permute(0, 2, 3, 1).flatten(1)
        logits = self.conf_head(f).permute(0, 2, 3, 1).flatten(1).unflatten(1, (-1, self.classes))
        return [loc, torch.softmax(logits, dim=2).flatten(1)]
