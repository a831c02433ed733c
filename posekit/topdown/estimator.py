"""The top-down heatmap estimator: backbone -> head -> codec, trained with a heatmap loss.

SimpleBaseline (Xiao et al. 2018) is ``TopDown(ResNet(50), DeconvHead(2048, K), MSRAHeatmap(...))``;
HRNet, Hourglass or CPM plug in as another backbone/head, DARK or UDP as another codec.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ..skeletons import Skeleton

__all__ = ["TopDown"]


class TopDown(nn.Module):
    """(N, 3, H, W) normalised crops -> (N, K, h, w) heatmaps.

    ``codec`` encodes training targets and decodes outputs (NumPy); ``loss`` compares
    outputs with a batch's ``target`` and ``target_weight``. ``spec`` records how the
    model was built (preset name and arguments) so checkpoints can rebuild it.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module, codec, skeleton: Skeleton, loss: nn.Module,
                 spec: dict | None = None):
        super().__init__()
        self.backbone, self.head, self.loss_fn = backbone, head, loss
        self.codec, self.skeleton = codec, skeleton
        self.spec = dict(spec or {})

    @property
    def input_size(self) -> tuple[int, int]:
        """(W, H) of the network input."""
        return tuple(self.codec.input_size)

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.backbone(images))

    def loss(self, output: Tensor, batch: dict) -> Tensor:
        return self.loss_fn(output.float(), batch["target"], batch["target_weight"])

    @torch.no_grad()
    def predict_crops(self, images: Tensor, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Crop-pixel keypoints (N, K, 2) and scores (N, K); ``flip`` averages with the mirrored crop's heatmaps."""
        heatmaps = self(images).float().cpu().numpy()
        if flip:
            mirrored = self(torch.flip(images, dims=[3])).float().cpu().numpy()
            heatmaps = (heatmaps + self.codec.flip_back(mirrored, self.skeleton.flip_index())) / 2
        return self.codec.decode(heatmaps)
