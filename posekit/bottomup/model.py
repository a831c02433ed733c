"""A trainable part-field model: a PAF network, its image codec and its skeleton.

The network follows :mod:`posekit.models.paf_network`'s contract (RGB 0..255 in, a list over
stages of (heatmaps with the background last, PAFs) out, at stride 8). The loss is OpenPose's
(Cao et al., CVPR 2017, Eq. 5-6): the squared error of every stage's confidence maps and PAFs
against the codec's targets, weighted by the loss mask (crowd regions and unlabelled people
excluded), summed over stages (intermediate supervision), divided by twice the batch size as the
released Caffe and Lightweight OpenPose training code do.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ..skeletons import Skeleton

__all__ = ["BottomUpModel", "PAFModel", "paf_loss"]


def paf_loss(stages: list[tuple[Tensor, Tensor]], heatmaps: Tensor, pafs: Tensor, mask: Tensor) -> Tensor:
    """Sum over stages of ``sum(mask * (prediction - target)^2) / (2 N)`` for both branches;
    targets (N, K+1, h, w) and (N, 2L, h, w), ``mask`` (N, h, w)."""
    m = mask[:, None].float()
    n = heatmaps.shape[0]
    total = heatmaps.new_zeros(())
    for heat, paf in stages:
        total = total + (((heat.float() - heatmaps) ** 2) * m).sum() + (((paf.float() - pafs) ** 2) * m).sum()
    return total / (2 * n)


class BottomUpModel(nn.Module):
    """What every bottom-up family shares (the contract of :mod:`posekit.codecs.contract`):
    ``network`` + image ``codec`` + ``skeleton``, ``spec`` to rebuild it from a checkpoint, the
    network's ``forward``, ``fields`` (by default the network's outputs as a tuple) and
    ``predict_inputs`` (the codec's people of each image). A family adds its ``loss``."""

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None):
        super().__init__()
        self.network, self.codec, self.skeleton = network, codec, skeleton
        self.spec = dict(spec or {})
        self.stride, self.num_keypoints = getattr(network, "stride", None), network.num_keypoints

    @property
    def input_size(self) -> tuple[int, int]:
        """(W, H) of the training input (any multiple of the stride works at inference)."""
        return tuple(self.codec.input_size)

    def forward(self, images: Tensor):
        return self.network(images)

    def loss(self, output, batch: dict) -> Tensor:
        raise NotImplementedError

    def fields(self, output) -> tuple[Tensor, ...]:
        """The tensors the decoder reads (an exported network's outputs)."""
        return tuple(output)

    @torch.no_grad()
    def predict_inputs(self, images: Tensor) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per input image of the batch (N, 3, H, W), RGB 0..255: the codec's people
        (keypoints (M, K, 2) in input pixels, scores (M, K), person scores (M,))."""
        fields = self.fields(self(images))
        return [self.codec.decode_image(tuple(f[i] for f in fields)) for i in range(len(images))]


class PAFModel(BottomUpModel):
    """``network`` (a PAF network) + ``codec`` (:class:`~posekit.codecs.paf.PAFCodec`) + ``skeleton``.

    ``forward`` is the network's; ``loss(output, batch)`` reads the batch's ``heatmaps``, ``pafs``
    and ``mask`` (:func:`paf_loss`); ``spec`` rebuilds the model from a checkpoint.
    """

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None):
        super().__init__(network, codec, skeleton, spec)
        if network.num_keypoints != skeleton.num_keypoints or network.num_limbs != len(codec.limbs):
            raise ValueError(f"network predicts {network.num_keypoints} keypoints and {network.num_limbs} limbs; "
                             f"skeleton {skeleton.name} has {skeleton.num_keypoints} and {len(codec.limbs)}")
        self.num_limbs = network.num_limbs

    def loss(self, output, batch: dict) -> Tensor:
        return paf_loss(output, batch["heatmaps"], batch["pafs"], batch["mask"])

    def fields(self, output) -> tuple[Tensor, ...]:
        """The tensors the decoder reads (an exported network's outputs): the last stage's (heatmaps, PAFs)."""
        return tuple(output[-1])

