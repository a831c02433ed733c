"""A trainable DEKR model (Geng, Sun, Xiao, Zhang, Wang, "Bottom-Up Human Pose Estimation via
Disentangled Keypoint Regression", CVPR 2021): the network, its image codec, the skeleton and DEKR's loss.

The loss is DEKR's ``MultiLossFactory`` (``lib/core/loss.py``): the heatmaps' squared error times the
codec's ``heatmap_weights`` (1 near a peak, 0.1 elsewhere, 0 on crowds), averaged over every element,
times ``heatmap_factor = 1.0`` (``HEATMAPS_LOSS_FACTOR``); plus the offsets' smooth L1 (``beta = 1/9``)
times ``offset_weights`` (1 / the person's size), summed and divided by the number of weighted
elements, times ``offset_factor = 0.03`` (``OFFSETS_LOSS_FACTOR``).

An optional :class:`~posekit.bottomup.rescore.RescoreNet` (DEKR's OKS rescoring) rides in the model and
its checkpoint; once trained (``rescorer.active``) :meth:`DEKRModel.predict_inputs` multiplies each
person's score by the OKS it predicts, as DEKR's ``rescore_valid`` does.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ..skeletons import Skeleton
from .model import BottomUpModel
from .rescore import RescoreNet

__all__ = ["DEKRModel", "dekr_loss", "smooth_l1"]


def smooth_l1(diff: Tensor, beta: float = 1.0 / 9) -> Tensor:
    """DEKR's ``smooth_l1_loss``: ``0.5 d^2 / beta`` below ``beta``, ``|d| - 0.5 beta`` above."""
    d = diff.abs()
    return torch.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)


def dekr_loss(heatmaps: Tensor, offsets: Tensor, batch: dict, heatmap_factor: float = 1.0,
              offset_factor: float = 0.03) -> Tensor:
    """DEKR's loss of predictions (N, K+1, h, w) and (N, 2K, h, w) against the batch's targets."""
    heat = (((heatmaps.float() - batch["heatmaps"]) ** 2) * batch["heatmap_weights"]).mean()
    w = batch["offset_weights"]
    positives = (w > 0).sum().clamp(min=1)
    off = (smooth_l1(offsets.float() - batch["offsets"]) * w).sum() / positives
    return heatmap_factor * heat + offset_factor * off


class DEKRModel(BottomUpModel):
    """``network`` (:class:`~posekit.models.heads.dekr.DEKRNetwork`) + ``codec``
    (:class:`~posekit.codecs.dekr.DEKRCodec`) + ``skeleton`` (+ ``rescorer``); ``spec`` rebuilds it."""

    def __init__(self, network: nn.Module, codec, skeleton: Skeleton, spec: dict | None = None,
                 heatmap_factor: float = 1.0, offset_factor: float = 0.03):
        super().__init__(network, codec, skeleton, spec)
        if network.num_keypoints != skeleton.num_keypoints or codec.num_keypoints != skeleton.num_keypoints:
            raise ValueError(f"network predicts {network.num_keypoints} keypoints, codec {codec.num_keypoints}; "
                             f"skeleton {skeleton.name} has {skeleton.num_keypoints}")
        self.rescorer = RescoreNet(skeleton)
        self.heatmap_factor, self.offset_factor = heatmap_factor, offset_factor

    def loss(self, output, batch: dict) -> Tensor:
        return dekr_loss(output[0], output[1], batch, self.heatmap_factor, self.offset_factor)

    @torch.no_grad()
    def predict_inputs(self, images: Tensor) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per input image: the codec's people (keypoints (M, K, 2) in input pixels, scores (M, K),
        person scores (M,)), rescored when the rescorer is trained."""
        return [self.rescorer.rescore(*people) for people in super().predict_inputs(images)]
