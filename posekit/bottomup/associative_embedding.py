"""A trainable associative-embedding model (Newell, Huang, Deng, NIPS 2017) in HigherHRNet's form
(Cheng et al., CVPR 2020), with SWAHR's scale- and weight-adaptive heatmap loss as an option (Luo, Wang,
Zhu, Chen, Gao, Huang, Yu, "Rethinking the Heatmap Regression for Bottom-up Human Pose Estimation",
CVPR 2021).

**Loss** (HigherHRNet's ``MultiLossFactory`` and training loop), summed:

- per resolution, the heatmaps' masked squared error averaged over channels and pixels, then over the
  batch (``HEATMAPS_LOSS_FACTOR: [1.0, 1.0]``);
- at the tag resolution, the tag loss of each image, averaged over the batch: for the ``n`` people
  of the image with a counted joint, their mean tags ``h_p``; **pull** ``= 1/n sum_p mean_k (h_pk -
  h_p)^2`` and **push** ("exp", the paper's Eq. 3 with ``2 sigma^2 = 1``) ``= 1 / (2 n (n - 1))
  sum_{p != q} exp(-(h_p - h_q)^2)``, 0 for ``n <= 1``; both times 0.001 (``PUSH_LOSS_FACTOR`` and
  ``PULL_LOSS_FACTOR: [0.001, 0.001]``).

**SWAHR** (``swahr=True``, the released ``lib/core/loss.py``): the network also predicts a scale map
``s`` per keypoint, kept where the target ``G > 0``. The target becomes ``G^(1+s)`` in its second-order
Taylor form ``G (1 + s ln G + (s ln G)^2 / 2)`` (:func:`scale_adaptive_target`); the squared error is
weighted by ``|1 - P| G^gamma + |P| (1 - G^gamma)``, ``gamma = 0.01`` (:func:`weight_adaptive_weight`,
the code's form, which raises the unscaled target to ``gamma``); the regulariser is the masked mean
of ``s^2``, factor 1 (the paper's scale loss). Everything else is HigherHRNet's.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..skeletons import Skeleton
from .model import BottomUpModel

__all__ = ["AEModel", "tag_loss", "heatmap_loss", "scale_adaptive_target", "weight_adaptive_weight",
           "swahr_heatmap_loss", "PUSH_FACTOR", "PULL_FACTOR", "SWAHR_GAMMA"]

PUSH_FACTOR = PULL_FACTOR = 1e-3           # HigherHRNet's LOSS.PUSH_LOSS_FACTOR, LOSS.PULL_LOSS_FACTOR
SWAHR_GAMMA = 0.01                         # SWAHR's lib/core/loss.py: gt ** 0.01


def tag_loss(tags: Tensor, joints: Tensor) -> tuple[Tensor, Tensor]:
    """(push (N,), pull (N,)) of tag maps ``tags`` (N, K, h, w) for ``joints`` (N, M, K, 2) (flat index
    into one image's (K, h, w) tags, counted)."""
    n = tags.shape[0]
    idx, counted = joints[..., 0].long(), (joints[..., 1] > 0).to(tags.dtype)
    t = torch.gather(tags.reshape(n, -1), 1, idx.reshape(n, -1)).reshape(idx.shape)      # (N, M, K)
    count = counted.sum(-1)
    present = (count > 0).to(tags.dtype)
    mean = (t * counted).sum(-1) / count.clamp(min=1)                                     # (N, M)
    pull_each = (((t - mean[..., None]) ** 2) * counted).sum(-1) / count.clamp(min=1)
    people = present.sum(-1)
    pull = pull_each.sum(-1) / people.clamp(min=1)
    pairs = present[:, :, None] * present[:, None, :]
    close = (torch.exp(-(mean[:, :, None] - mean[:, None, :]) ** 2) * pairs).sum((1, 2)) - people
    push = close / (people * (people - 1)).clamp(min=1) * 0.5
    return push, pull


def heatmap_loss(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """(N,): mean over channels and pixels of ``mask * (pred - target)^2``; ``mask`` (N, h, w)."""
    return (((pred - target) ** 2) * mask[:, None]).mean(dim=(1, 2, 3))


def scale_adaptive_target(target: Tensor, scale: Tensor) -> Tensor:
    """SWAHR's ``G^(1+s)`` to second order in ``s``: ``G + G s ln G + G (s ln G)^2 / 2`` (0 where G = 0)."""
    log = torch.log(torch.where(target > 0, target, torch.ones_like(target)))
    return target + target * log * scale + 0.5 * target * log ** 2 * scale ** 2


def weight_adaptive_weight(pred: Tensor, target: Tensor, gamma: float = SWAHR_GAMMA) -> Tensor:
    """SWAHR's weight ``|1 - P| G^gamma + |P| (1 - G^gamma)``: hard positives and hard negatives count."""
    g = target.clamp(min=0) ** gamma
    return (1 - pred).abs() * g + pred.abs() * (1 - g)


def swahr_heatmap_loss(pred: Tensor, scale: Tensor, target: Tensor, mask: Tensor, gamma: float = SWAHR_GAMMA
                       ) -> tuple[Tensor, Tensor]:
    """(heatmap loss (N,), scale regulariser (N,)): the weighted squared error against the scaled target
    and the masked mean of ``s^2``, with ``s`` the predicted scale kept where ``target > 0``."""
    s = scale * (target > 0).to(scale.dtype)
    m = mask[:, None]
    err = (pred - scale_adaptive_target(target, s)) ** 2 * weight_adaptive_weight(pred, target, gamma)
    return (err * m).mean(dim=(1, 2, 3)), (s ** 2 * m).mean(dim=(1, 2, 3))


class AEModel(BottomUpModel):
    """``network`` (an :class:`~posekit.models.heads.higherhrnet.AENetwork`) + ``codec``
    (:class:`~posekit.codecs.associative_embedding.AECodec`) + ``skeleton``.

    ``forward`` is the network's (a list over resolutions); ``loss(output, batch)`` reads the batch's
    ``heatmaps_r``, ``mask_r`` and ``joints``; ``fields(output)`` is (heatmaps averaged over the
    resolutions at the finest, tags at theirs); ``flip_test`` averages the heatmaps of the mirrored
    input in (and adds its tags as a second tag dimension), as HigherHRNet's ``TEST.FLIP_TEST``.
    """

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None, swahr: bool = False,
                 push_factor: float = PUSH_FACTOR, pull_factor: float = PULL_FACTOR, flip_test: bool = False):
        super().__init__(network, codec, skeleton, spec)
        if network.num_keypoints != skeleton.num_keypoints:
            raise ValueError(f"network predicts {network.num_keypoints} keypoints; skeleton {skeleton.name} "
                             f"has {skeleton.num_keypoints}")
        self.swahr, self.push_factor, self.pull_factor, self.flip_test = swahr, push_factor, pull_factor, flip_test
        self.tag_dim = network.head.tag_dim
        self.flip_index = list(skeleton.flip_index())

    def loss(self, output: list[Tensor], batch: dict) -> Tensor:
        k = self.num_keypoints
        total = output[0].new_zeros(())
        for r, out in enumerate(output):
            out = out.float()
            target, mask = batch[f"heatmaps_{r}"], batch[f"mask_{r}"]
            if self.swahr:
                heat, scale = swahr_heatmap_loss(out[:, :k], out[:, -k:], target, mask)
                total = total + heat.mean() + scale.mean()
            else:
                total = total + heatmap_loss(out[:, :k], target, mask).mean()
        push, pull = tag_loss(output[0][:, k:k + self.tag_dim].float(), batch["joints"])
        return total + self.push_factor * push.mean() + self.pull_factor * pull.mean()

    def fields(self, output: list[Tensor]) -> tuple[Tensor, Tensor]:
        """(heatmaps (N, K, h, w) at the finest resolution, the mean of every resolution's resized
        bilinearly to it; tags (N, tag_dim, h', w') at the first)."""
        k = self.num_keypoints
        size = output[-1].shape[-2:]
        heat = [o[:, :k] if o.shape[-2:] == size else F.interpolate(o[:, :k], size=size, mode="bilinear",
                                                                    align_corners=False) for o in output]
        return sum(heat) / len(heat), output[0][:, k:k + self.tag_dim]

    @torch.no_grad()
    def predict_inputs(self, images: Tensor) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per input image of the batch (N, 3, H, W), RGB 0..255: the codec's people
        (keypoints (M, K, 2) in input pixels, scores (M, K), person scores (M,))."""
        heat, tags = self.fields(self(images))
        if self.flip_test:
            fheat, ftags = self.fields(self(images.flip(-1)))
            heat = (heat + fheat[:, self.flip_index].flip(-1)) / 2
            tags = torch.stack([tags, ftags[:, self.flip_index].flip(-1)], 2)         # (N, K, 2, h, w)
        return [self.codec.decode_image((heat[i], tags[i])) for i in range(len(images))]
