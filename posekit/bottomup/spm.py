"""A trainable SPM model (Nie, Feng, Zhang, Yan, "Single-Stage Multi-Person Pose Machines", ICCV 2019): the
network, the root/displacement codec (:mod:`posekit.codecs.spm`), the skeleton and the loss.

The loss: the root map's squared error times ``root_weights`` (the loss mask), averaged over every cell;
plus ``displacement_factor`` (0.03) times the displacements' smooth L1 (``beta = 1/9``) over the encoded
cells, divided by their number. The smooth L1, its beta and the factor are posekit's choice, taken from
DEKR (:mod:`posekit.bottomup.dekr`), whose offsets are the same kind of field in cells.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..skeletons import Skeleton
from .dekr import smooth_l1
from .model import BottomUpModel

__all__ = ["SPMModel", "spm_loss"]


def spm_loss(root: Tensor, displacements: Tensor, batch: dict, displacement_factor: float = 0.03) -> Tensor:
    """The loss of predictions (N, 1, h, w) and (N, 2K, h, w) against the batch's targets."""
    r = (((root.float() - batch["root"]) ** 2) * batch["root_weights"]).mean()
    w = batch["displacement_weights"]
    d = (smooth_l1(displacements.float() - batch["displacements"]) * w).sum() / (w > 0).sum().clamp(min=1)
    return r + displacement_factor * d


class SPMModel(BottomUpModel):
    """``network`` (:class:`~posekit.models.heads.dekr.DEKRNetwork` with an
    :class:`~posekit.models.heads.spm.SPMHead`) + ``codec`` (:class:`~posekit.codecs.spm.SPMCodec`) + ``skeleton``."""

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None,
                 displacement_factor: float = 0.03):
        super().__init__(network, codec, skeleton, spec)
        if network.num_keypoints != skeleton.num_keypoints or codec.num_keypoints != skeleton.num_keypoints:
            raise ValueError(f"network predicts {network.num_keypoints} keypoints, codec {codec.num_keypoints}; "
                             f"skeleton {skeleton.name} has {skeleton.num_keypoints}")
        self.displacement_factor = displacement_factor

    def loss(self, output, batch: dict) -> Tensor:
        return spm_loss(output[0], output[1], batch, self.displacement_factor)

