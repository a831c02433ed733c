"""The top-down estimator: backbone -> head -> codec, trained with the codec's loss.

SimpleBaseline (Xiao et al. 2018) is ``TopDown(ResNet(50), DeconvHead(2048, K), MSRAHeatmap(...))``;
HRNet, Hourglass or CPM plug in as another backbone/head, DARK or UDP as another codec, and the
regression family (DeepPose, integral regression, RLE, SimCC) as a head with its own codec and loss.

What a head returns:

- a tensor: one prediction (heatmaps (N, K, h, w), coordinates (N, K, D), ...);
- a ``list`` of those: one per stage, for intermediate supervision (CPM, Hourglass, CPN); every
  stage is trained, the last one is the prediction;
- a ``tuple``: one prediction in several parts (SimCC's x and y logits), passed whole to the
  codec and the loss.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..skeletons import Skeleton

__all__ = ["TopDown", "final_stage", "to_numpy"]


def final_stage(output):
    """The prediction among a head's outputs: the last stage of a list, else the output itself."""
    return output[-1] if isinstance(output, list) else output


def to_numpy(output):
    """A tensor, or a tuple of tensors, as float NumPy arrays."""
    if isinstance(output, tuple):
        return tuple(to_numpy(o) for o in output)
    return output.detach().float().cpu().numpy()


def _float(output):
    if isinstance(output, (list, tuple)):
        return type(output)(_float(o) for o in output)
    return output.float()


def _average(a, b):
    if isinstance(a, tuple):
        return tuple(_average(x, y) for x, y in zip(a, b))
    return (a + b) / 2


class TopDown(nn.Module):
    """(N, 3, H, W) normalised crops -> the head's output (see the module docstring).

    ``codec`` encodes training targets and decodes outputs (NumPy); ``loss`` compares an
    output with a batch's ``target`` and ``target_weight``: one module for every stage, or a
    sequence with one module per stage (CPN: L2 for GlobalNet, OHKM for RefineNet).
    ``spec`` records how the model was built (preset name and arguments) so checkpoints can
    rebuild it.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module, codec, skeleton: Skeleton,
                 loss: nn.Module | Sequence[nn.Module], spec: dict | None = None):
        super().__init__()
        self.backbone, self.head = backbone, head
        self.loss_fn = nn.ModuleList(loss) if isinstance(loss, (list, tuple)) else loss
        self.codec, self.skeleton = codec, skeleton
        self.spec = dict(spec or {})

    @property
    def input_size(self) -> tuple[int, int]:
        """(W, H) of the network input."""
        return tuple(self.codec.input_size)

    def forward(self, images: Tensor):
        return self.head(self.backbone(images))

    def loss(self, output, batch: dict) -> Tensor:
        stages = output if isinstance(output, list) else [output]
        fns = list(self.loss_fn) if isinstance(self.loss_fn, nn.ModuleList) else [self.loss_fn] * len(stages)
        if len(fns) != len(stages):
            raise ValueError(f"{len(fns)} losses for {len(stages)} output stages")
        return sum(fn(_float(out), batch["target"], batch["target_weight"]) for fn, out in zip(fns, stages))

    @torch.no_grad()
    def predict_crops(self, images: Tensor, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Crop-pixel keypoints (N, K, 2) and scores (N, K); ``flip`` averages with the mirrored crop's output."""
        output = to_numpy(final_stage(self(images)))
        if flip:
            mirrored = to_numpy(final_stage(self(torch.flip(images, dims=[3]))))
            output = _average(output, self.codec.flip_back(mirrored, self.skeleton.flip_index()))
        return self.codec.decode(output)
