"""A trainable PifPaf model (Kreiss, Bertoni, Alahi, CVPR 2019; OpenPifPaf, T-ITS 2021): network,
:class:`~posekit.codecs.pifpaf.PifPafCodec` and skeleton, with the composite-field losses.

The network: input normalisation (ImageNet mean and std on 0..1 RGB, as OpenPifPaf's transforms) + a
base network + :class:`~posekit.models.heads.pifpaf.PifPafHead`; raw output ``(cif (N, K, 5, h, w),
caf (N, L, 9, h, w))``. Activations (OpenPifPaf's heads at inference): sigmoid on confidences,
vectors as they are, ``softplus + bmin`` on spreads, ``softplus`` on scales.

Losses (OpenPifPaf ``network/losses/composite.py``, ``components.py``), each summed over cells and
divided by the batch size, with weight 1 each (OpenPifPaf's default, no auto-tuning):

- confidence: binary cross-entropy times the focal factor ``(1 - p_t)^gamma`` with ``gamma = 1``
  (OpenPifPaf ``Bce.focal_gamma``), on every cell the loss mask keeps (crowds left out);
- vectors: the Laplace negative log-likelihood ``ln b + |v - t| / b`` (PifPaf Eq. 3: the Laplace
  loss whose spread ``b`` the network learns; ``b = softplus + bmin``) on the cells the target holds;
- scales: relative L1, ``|s - t| / (0.1 + t)`` (OpenPifPaf ``Scale(relative=True, relative_eps=0.1)``),
  where the target scale is known (> 0).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..skeletons import Skeleton
from .model import BottomUpModel

__all__ = ["PifPafNetwork", "PifPafModel", "pifpaf_loss", "focal_bce", "laplace_nll", "relative_l1", "activate"]

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class PifPafNetwork(nn.Module):
    """Normalisation + ``backbone`` (stride ``backbone.stride``) + ``head``: stride ``backbone.stride / upsample``."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0)
        self.stride = backbone.stride // head.upsample
        self.num_keypoints, self.num_limbs = head.num_keypoints, head.num_limbs

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.head(self.backbone((x - self.mean) / self.std))


def activate(cif: Tensor, caf: Tensor, bmin: float) -> tuple[Tensor, Tensor]:
    """Raw (N, K, 5, h, w), (N, L, 9, h, w) -> fields: sigmoid confidences, spreads ``softplus + bmin``,
    scales ``softplus`` (grid cells)."""
    cif = torch.cat([torch.sigmoid(cif[:, :, :1]), cif[:, :, 1:3], F.softplus(cif[:, :, 3:4]) + bmin,
                     F.softplus(cif[:, :, 4:5])], 2)
    caf = torch.cat([torch.sigmoid(caf[:, :, :1]), caf[:, :, 1:5], F.softplus(caf[:, :, 5:7]) + bmin,
                     F.softplus(caf[:, :, 7:9])], 2)
    return cif, caf


def focal_bce(logit: Tensor, target: Tensor, weight: Tensor, gamma: float = 1.0) -> Tensor:
    """Sum of ``weight (1 - p_t)^gamma BCE(logit, target)``."""
    bce = F.binary_cross_entropy_with_logits(logit, target, reduction="none")
    p = torch.sigmoid(logit)
    pt = p * target + (1 - p) * (1 - target)
    return ((1 - pt) ** gamma * bce * weight).sum()


def laplace_nll(vector: Tensor, spread_raw: Tensor, target: Tensor, on: Tensor, bmin: float) -> Tensor:
    """Sum over cells ``on`` of ``ln b + |vector - target| / b``, ``b = softplus(spread_raw) + bmin``;
    ``vector``/``target`` (..., 2, h, w), ``spread_raw`` and ``on`` (..., h, w)."""
    b = F.softplus(spread_raw) + bmin
    norm = torch.linalg.vector_norm(vector - target, dim=-3)
    return ((torch.log(b) + norm / b) * on).sum()


def relative_l1(scale_raw: Tensor, target: Tensor, on: Tensor, eps: float = 0.1) -> Tensor:
    """Sum over cells ``on`` with a known target (> 0) of ``|softplus(scale_raw) - t| / (eps + t)``."""
    known = on * (target > 0)
    return ((F.softplus(scale_raw) - target).abs() / (eps + target) * known).sum()


def pifpaf_loss(cif: Tensor, caf: Tensor, cif_target: Tensor, caf_target: Tensor, mask: Tensor, bmin: float,
                gamma: float = 1.0) -> Tensor:
    """The sum of the confidence, vector and scale losses of both fields, divided by the batch size;
    raw outputs and targets as :class:`~posekit.codecs.pifpaf.PifPafCodec` encodes them, ``mask`` (N, h, w)."""
    n = cif.shape[0]
    cif, caf = cif.float(), caf.float()
    m = mask[:, None].float()
    on_cif, on_caf = cif_target[:, :, 0], caf_target[:, :, 0]
    total = focal_bce(cif[:, :, 0], on_cif, m, gamma) + focal_bce(caf[:, :, 0], on_caf, m, gamma)
    total = total + laplace_nll(cif[:, :, 1:3], cif[:, :, 3], cif_target[:, :, 1:3], on_cif, bmin)
    total = total + laplace_nll(caf[:, :, 1:3], caf[:, :, 5], caf_target[:, :, 1:3], on_caf, bmin)
    total = total + laplace_nll(caf[:, :, 3:5], caf[:, :, 6], caf_target[:, :, 3:5], on_caf, bmin)
    total = total + relative_l1(cif[:, :, 4], cif_target[:, :, 4], on_cif)
    total = total + relative_l1(caf[:, :, 7:9], caf_target[:, :, 7:9], on_caf[:, :, None])
    return total / n


class PifPafModel(BottomUpModel):
    """``network`` (:class:`PifPafNetwork`) + ``codec`` (:class:`~posekit.codecs.pifpaf.PifPafCodec`) +
    ``skeleton``; ``spec`` rebuilds it from a checkpoint. The bottom-up model contract of
    :mod:`posekit.codecs.contract`."""

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None):
        super().__init__(network, codec, skeleton, spec)
        if network.num_keypoints != skeleton.num_keypoints or network.num_limbs != len(codec.limbs):
            raise ValueError(f"network predicts {network.num_keypoints} keypoints and {network.num_limbs} limbs; "
                             f"skeleton {skeleton.name} has {skeleton.num_keypoints} and {len(codec.limbs)}")
        if network.stride != codec.stride:
            raise ValueError(f"network stride {network.stride}, codec stride {codec.stride}")
        self.num_limbs = network.num_limbs
        self.bmin = codec.bmin / codec.stride                    # grid cells

    def loss(self, output, batch: dict) -> Tensor:
        cif, caf = output
        return pifpaf_loss(cif, caf, batch["cif"], batch["caf"], batch["mask"], self.bmin)

    def fields(self, output) -> tuple[Tensor, Tensor]:
        """The decoder's inputs (an exported network's outputs): activated CIF (N, 5K, h, w) and CAF (N, 9L, h, w)."""
        cif, caf = activate(*output, self.bmin)
        return cif.flatten(1, 2), caf.flatten(1, 2)

