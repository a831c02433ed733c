"""Multi-task training: a person-segmentation head beside the keypoint head, on shared features.

The survey's second kind of training refinement (multi-task learning): a related task trained on
the same representation as pose, as Mask R-CNN (He et al. ICCV 2017) trains masks beside keypoints
and PersonLab (Papandreou et al. ECCV 2018) person segmentation beside its keypoint fields. Here a
:class:`~posekit.models.heads.segmentation.SegmentationHead` reads the features the keypoint head
reads and predicts, on the heatmap grid, which cells are the person's; the target is the dataset's
``mask`` (the synthetic generator's label map, or COCO polygons / RLE) and the loss binary
cross-entropy, over people that have a mask (``mask_weight``).

The joint loss, for the keypoint loss ``L_k`` and the segmentation loss ``L_s``:

- ``weighting="fixed"``: ``L = L_k + w * L_s`` (``seg_weight``, default 0.01: it puts ``w * L_s``
  at the start of training on the order of ``L_k`` for the synthetic crops' MSE heatmaps);
- ``weighting="uncertainty"`` (Kendall, Gal, Cipolla. "Multi-Task Learning Using Uncertainty to
  Weigh Losses for Scene Geometry and Semantics". CVPR 2018, eqs. 7 and 10): each task has a
  learned log-variance ``s = log sigma^2``; the heatmap regression (a Gaussian likelihood) costs
  ``0.5 * exp(-s_k) * L_k + 0.5 * s_k`` and the segmentation (a Bernoulli one)
  ``exp(-s_s) * L_s + 0.5 * s_s``. The paper starts both at 0; here, by default
  (``init="first-batch"``), each starts where its term is smallest for the first batch's losses,
  ``s_k = log L_k`` and ``s_s = log 2 L_s``: a heatmap MSE of ~1e-2 next to a BCE of ~0.7 would
  otherwise put 50x the weight on the masks for the thousands of steps the log-variances take to
  move there (measured: at 60 steps from 0, PCK@0.1 0.20 against 0.57 with fixed weights).
  ``init="zero"`` is the paper's.

Which features: those that enter the keypoint head (``model.backbone``'s output); where the head is
the identity and the backbone predicts the heatmaps itself (stacked hourglass), the last stack's
features (``backbone.features[-1]``), read with a forward hook.

The wrapper is a model of the engine's contract (``forward``, ``loss``, ``spec``): in training mode
``forward`` returns :class:`MultiTaskOutput`, in eval mode the pose output alone, so validation,
inference and export see the pose network. ``state_dict()`` is the pose network's: a run's
checkpoints load as any other model of its preset, and the segmentation head (a training aid) is
not kept; a resumed multi-task run starts the head and the log-variances afresh.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from ..models.heads.segmentation import SegmentationHead

__all__ = ["KENDALL", "MultiTask", "MultiTaskOutput", "shared_features", "uncertainty_weighted", "segmentation_loss"]

KENDALL = "Kendall, Gal, Cipolla. Multi-Task Learning Using Uncertainty to Weigh Losses. CVPR 2018"
WEIGHTINGS = ("fixed", "uncertainty")


class MultiTaskOutput(NamedTuple):
    pose: object
    segmentation: Tensor


def shared_features(model: nn.Module) -> nn.Module:
    """The module whose output the keypoint head reads (see the module docstring)."""
    head, backbone = getattr(model, "head", None), getattr(model, "backbone", None)
    if backbone is None:
        raise ModelError(f"multi-task training needs a backbone + head model, not {type(model).__name__}")
    if isinstance(head, nn.Identity):
        features = getattr(backbone, "features", None)
        if isinstance(features, nn.ModuleList) and len(features):
            return features[-1]
        raise ModelError(f"{type(backbone).__name__} predicts its output itself: no shared features to branch from")
    return backbone


def segmentation_loss(logits: Tensor, mask: Tensor, weight: Tensor) -> Tensor:
    """Binary cross-entropy of (N, 1, h, w) ``logits`` against (N, h, w) ``mask`` in [0, 1], each
    person's mean over cells, averaged over people with ``weight`` (N,) 1."""
    per = F.binary_cross_entropy_with_logits(logits[:, 0].float(), mask.float(), reduction="none").flatten(1).mean(1)
    return (per * weight).sum() / weight.sum().clamp(min=1.0)


def uncertainty_weighted(keypoint_loss: Tensor, seg_loss: Tensor, log_vars: Tensor) -> Tensor:
    """Kendall et al.'s joint loss (:data:`KENDALL`): regression for the keypoints, classification
    for the segmentation; ``log_vars`` = (s_k, s_s), each log sigma^2."""
    s_k, s_s = log_vars[0], log_vars[1]
    return 0.5 * torch.exp(-s_k) * keypoint_loss + 0.5 * s_k + torch.exp(-s_s) * seg_loss + 0.5 * s_s


class MultiTask(nn.Module):
    """``model`` (a top-down heatmap network) trained with a person-segmentation head beside it."""

    def __init__(self, model: nn.Module, weighting: str = "fixed", seg_weight: float = 0.01, channels: int = 64,
                 init: str = "first-batch"):
        super().__init__()
        if weighting not in WEIGHTINGS:
            raise ModelError(f"multi-task weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
        if init not in ("first-batch", "zero"):
            raise ModelError(f"the log-variances start at 'first-batch' or 'zero', not {init!r}")
        self._pending_init = weighting == "uncertainty" and init == "first-batch"
        if seg_weight < 0:
            raise ModelError(f"the segmentation weight must be >= 0, not {seg_weight}")
        self.model, self.weighting, self.seg_weight = model, weighting, float(seg_weight)
        self._features: list[Tensor] = []
        self._capture = False  # the hook keeps the shared features only inside forward / segment
        branch = shared_features(model)
        branch.register_forward_hook(lambda _m, _i, out: self._features.append(out) if self._capture else None)
        w, h = model.input_size
        probe = self._feature(_probe(model, branch, h, w))
        self.seg_head = SegmentationHead(probe.shape[1], channels)
        self.log_vars = nn.Parameter(torch.zeros(2)) if weighting == "uncertainty" else None

    @staticmethod
    def _feature(out) -> Tensor:
        return out[-1] if isinstance(out, (list, tuple)) else out

    @property
    def spec(self) -> dict:
        return self.model.spec

    @property
    def codec(self):
        return self.model.codec

    @property
    def skeleton(self):
        return self.model.skeleton

    @property
    def input_size(self):
        return self.model.input_size

    def predict_crops(self, images: Tensor, flip: bool = False):
        return self.model.predict_crops(images, flip)

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.model.load_state_dict(state_dict, strict=strict, assign=assign)

    def _both(self, images: Tensor) -> MultiTaskOutput:
        self._features.clear()
        self._capture = True
        try:
            out = self.model(images)
        finally:
            self._capture = False
        size = tuple(getattr(self.codec, "heatmap_size", self.input_size))[::-1]
        seg = self.seg_head(self._feature(self._features[-1]), size)
        self._features.clear()
        return MultiTaskOutput(out, seg)

    def forward(self, images: Tensor):
        return self._both(images) if self.training else self.model(images)

    def segment(self, images: Tensor) -> Tensor:
        """(N, 1, h, w) person logits on the heatmap grid, in the current mode (eval: BatchNorm's running statistics)."""
        return self._both(images).segmentation

    def loss(self, output: MultiTaskOutput, batch: dict) -> Tensor:
        if "mask" not in batch:
            raise ModelError("multi-task training needs person masks: the dataset gives no 'mask' (TopDownDataset(masks=True))")
        keypoints = self.model.loss(output.pose, batch)
        seg = segmentation_loss(output.segmentation, batch["mask"], batch["mask_weight"].float())
        if self.log_vars is not None:
            if self._pending_init:
                with torch.no_grad():
                    self.log_vars.copy_(torch.stack([keypoints.detach(), 2 * seg.detach()]).float().clamp(min=1e-8).log())
                self._pending_init = False
            return uncertainty_weighted(keypoints, seg, self.log_vars.float())
        return keypoints + self.seg_weight * seg


def _probe(model: nn.Module, branch: nn.Module, h: int, w: int):
    """The shared features' output for one blank crop (to size the segmentation head)."""
    seen = []
    handle = branch.register_forward_hook(lambda _m, _i, out: seen.append(out))
    was = model.training
    model.train(False)
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
    finally:
        handle.remove()
        model.train(was)
    return seen[-1]
