"""The adaptive convolution of DEKR (Geng, Sun, Xiao, Zhang, Wang, "Bottom-Up Human Pose Estimation via
Disentangled Keypoint Regression", CVPR 2021), in plain torch.

A 3x3 convolution whose nine sampling points are moved per output pixel by an affine transform
predicted from the features: output pixel ``q`` samples its input at ``q + A_q g + t_q`` for the
regular grid ``g`` in {-1, 0, 1}^2, with ``A_q`` (2x2) and ``t_q`` (2) predicted by two 3x3
convolutions (DEKR's ``transform_matrix_conv`` and ``translation_conv``). With ``A = I`` and
``t = 0`` it is an ordinary 3x3 convolution with zero padding. The samples are bilinear with zeros
outside the map, as a deformable convolution's (DEKR's code builds the offsets ``A g + t - g`` and
calls ``DeformConv``); here :func:`torch.nn.functional.grid_sample` reads all nine samples at once
and one ``einsum`` applies the weights, so the layer needs no compiled extension and exports to ONNX
(``GridSample``, opset 16).

Coordinates here are ordered (x, y): ``affine`` channels are ``(a_xx, a_xy, a_yx, a_yy)``,
``translation`` ``(t_x, t_y)``. DEKR's code orders them (y, x), the deformable convolution's
convention; the transform is the same.

``groups`` runs ``G`` independent adaptive convolutions side by side (a grouped convolution's
weight layout, one transform per group): DEKR's per-keypoint offset branches, one call for all joints.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["adaptive_conv2d", "sampling_points", "AdaptiveBlock"]


def _regular_grid(device, dtype) -> Tensor:
    """(9, 2) the 3x3 kernel's (x, y) offsets in row-major order of the weight (ky, kx)."""
    ky, kx = torch.meshgrid(torch.arange(-1, 2, device=device, dtype=dtype),
                            torch.arange(-1, 2, device=device, dtype=dtype), indexing="ij")
    return torch.stack([kx.reshape(-1), ky.reshape(-1)], 1)


def _pixel_coordinates(t: Tensor) -> tuple[Tensor, Tensor]:
    """x (W,) and y (H,) pixel indices of ``t`` (N, C, H, W), by tensor ops on ``t`` so that an ONNX
    export with free height and width keeps them free."""
    ones_x, ones_y = torch.ones_like(t[0, 0, 0, :]), torch.ones_like(t[0, 0, :, 0])
    return ones_x.cumsum(0) - 1, ones_y.cumsum(0) - 1


def sampling_points(affine: Tensor, translation: Tensor) -> Tensor:
    """(N, G, 9, H, W, 2) input (x, y) of every output pixel's nine samples: ``q + A_q g + t_q``;
    ``affine`` (N, 4G, H, W), ``translation`` (N, 2G, H, W)."""
    n, _, h, w = affine.shape
    a = affine.reshape(n, -1, 2, 2, h, w)                                  # (N, G, row, col, H, W)
    t = translation.reshape(n, -1, 2, h, w)
    g = _regular_grid(affine.device, affine.dtype)                        # (9, 2)
    moved = torch.einsum("ngrchw,kc->ngkhwr", a, g) + t.permute(0, 1, 3, 4, 2)[:, :, None]
    xs, ys = _pixel_coordinates(affine)
    grid = torch.stack([xs[None, :].expand_as(affine[0, 0]), ys[:, None].expand_as(affine[0, 0])], -1)
    return moved + grid


def adaptive_conv2d(x: Tensor, weight: Tensor, affine: Tensor, translation: Tensor, bias: Tensor | None = None,
                    groups: int = 1) -> Tensor:
    """The adaptive 3x3 convolution: ``x`` (N, C, H, W), ``weight`` (O, C / groups, 3, 3) as
    :func:`torch.nn.functional.conv2d`'s, ``affine`` (N, 4 groups, H, W), ``translation``
    (N, 2 groups, H, W) -> (N, O, H, W) (stride 1, the output on the input's grid)."""
    n, c, h, w = x.shape
    o = weight.shape[0]
    p = sampling_points(affine, translation)                               # (N, G, 9, H, W, 2)
    # grid_sample with align_corners=False puts pixel i at (2 i + 1) / size - 1
    xs, ys = _pixel_coordinates(x)
    size = torch.stack([xs[-1] + 1, ys[-1] + 1])
    grid = ((2 * p + 1) / size - 1).reshape(n * groups, 9 * h, w, 2)
    sampled = F.grid_sample(x.reshape(n * groups, c // groups, h, w), grid, mode="bilinear",
                            padding_mode="zeros", align_corners=False)     # (N G, C/G, 9 H, W)
    sampled = sampled.reshape(n, groups, c // groups, 9, h, w)
    out = torch.einsum("ngckhw,gock->ngohw", sampled, weight.reshape(groups, o // groups, c // groups, 9))
    out = out.reshape(n, o, h, w)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


class AdaptiveBlock(nn.Module):
    """DEKR's ``AdaptBlock`` (``groups`` of them side by side): the transform and translation from
    3x3 convolutions of the input, the adaptive 3x3 convolution, batch norm, the identity shortcut
    and a ReLU. ``channels`` per group in and out.

    Initialised as DEKR's ``init_weights``: the transform and translation convolutions at zero,
    so training starts with every sample at the output pixel itself (a 1x1 convolution); the
    adaptive weights normal with std 0.001 as every convolution of DEKR's network.
    """

    def __init__(self, channels: int, groups: int = 1):
        super().__init__()
        self.channels, self.groups = channels, groups
        total = channels * groups
        self.transform = nn.Conv2d(total, 4 * groups, 3, 1, 1, groups=groups)
        self.translation = nn.Conv2d(total, 2 * groups, 3, 1, 1, groups=groups)
        self.weight = nn.Parameter(torch.empty(total, channels, 3, 3))
        self.bn = nn.BatchNorm2d(total)
        for conv in (self.transform, self.translation):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        nn.init.normal_(self.weight, std=0.001)

    def forward(self, x: Tensor) -> Tensor:
        out = adaptive_conv2d(x, self.weight, self.transform(x), self.translation(x), groups=self.groups)
        return torch.relu(self.bn(out) + x)
