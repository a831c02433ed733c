"""DeepPose regression head (Toshev & Szegedy, "DeepPose: Human Pose Estimation via Deep Neural
Networks", CVPR 2014): global average pooling and a fully connected layer regress every
keypoint's coordinates, in [0, 1] of the input (:class:`posekit.codecs.RegressionLabel`).

The cascade (DeepPose Sec. 3.2) refines each estimate in further stages from image evidence
around it. Toshev & Szegedy crop the image around each joint and run a separate network per
stage; here, as a lighter variant, every refinement stage samples the backbone's feature map on a
``patch x patch`` grid (one feature cell apart) centred at the previous estimate and regresses a
displacement with a per-keypoint linear layer, bounded (tanh) to ``reach`` feature cells. The
previous estimate is detached, so each stage learns its own correction, as in the paper's
stage-by-stage training. The head then returns the
list of every stage's coordinates (all supervised; the last is the prediction).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["RegressionHead", "CascadeStage"]


class CascadeStage(nn.Module):
    """One refinement: features (N, C, h, w) and coordinates (N, K, 2) -> displacements (N, K, 2)."""

    def __init__(self, in_channels: int, num_keypoints: int, patch: int = 3, reach: float = 1.0):
        super().__init__()
        self.patch, self.reach = patch, reach
        self.weight = nn.Parameter(torch.zeros(num_keypoints, in_channels * patch * patch, 2))
        self.bias = nn.Parameter(torch.zeros(num_keypoints, 2))

    def forward(self, features: Tensor, coords: Tensor) -> Tensor:
        n, c, h, w = features.shape
        k = coords.shape[1]
        r = torch.arange(self.patch, dtype=coords.dtype, device=coords.device) - (self.patch - 1) / 2
        offsets = torch.stack(torch.meshgrid(r / w, r / h, indexing="xy"), -1).reshape(-1, 2)      # (P, 2)
        # grid_sample with align_corners=False puts -1 and 1 at the map's outer edges: u in [0, 1] -> 2u - 1
        grid = 2 * (coords[:, :, None, :] + offsets) - 1                                          # (N, K, P, 2)
        sampled = F.grid_sample(features, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        sampled = sampled.permute(0, 2, 1, 3).reshape(n, k, -1)                                   # (N, K, C*P)
        z = torch.einsum("nkf,kfo->nko", sampled, self.weight) / sampled.shape[-1] ** 0.5 + self.bias
        return torch.tanh(z) * torch.tensor([self.reach / w, self.reach / h], dtype=z.dtype, device=z.device)


class RegressionHead(nn.Module):
    """(N, C, h, w) -> coordinates (N, K, 2), or a list of ``stages`` of them with the cascade."""

    def __init__(self, in_channels: int, num_keypoints: int, stages: int = 1, patch: int = 3):
        super().__init__()
        self.num_keypoints = num_keypoints
        self.fc = nn.Linear(in_channels, num_keypoints * 2)
        nn.init.normal_(self.fc.weight, std=0.001)
        nn.init.constant_(self.fc.bias, 0.5)  # start at the crop centre
        self.refine = nn.ModuleList(CascadeStage(in_channels, num_keypoints, patch) for _ in range(stages - 1))

    def forward(self, x: Tensor):
        coords = self.fc(x.mean(dim=(2, 3))).view(x.shape[0], self.num_keypoints, 2)
        if not len(self.refine):
            return coords
        out = [coords]
        for stage in self.refine:
            coords = coords.detach() + stage(x, coords.detach())
            out.append(coords)
        return out
