"""AdaBN: Li, Wang, Shi, Liu, Hou. "Revisiting Batch Normalization For Practical Domain Adaptation".
ICLR workshop 2017 (arXiv:1603.04779).

A network's BatchNorm layers hold the mean and variance of their inputs over the source domain.
AdaBN replaces them with the target domain's, computed over unlabelled target images, and changes
nothing else (no weight moves): the layers' inputs are standardised by the statistics of the data
they now see. Here every BatchNorm's running statistics are reset and re-accumulated as an equally
weighted average over the target batches (PyTorch's ``momentum=None``), each layer seeing the
output of the layers before it already normalised by the target's batches; the other modules stay
in eval mode (dropout off) and no gradient is taken. With one batch of all target images the
running mean and variance are exactly that batch's (the unbiased variance, as BatchNorm keeps it).
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn

from ..errors import ModelError

__all__ = ["ADABN", "batchnorm_layers", "adapt_batchnorm"]

ADABN = "Li, Wang, Shi, Liu, Hou. Revisiting Batch Normalization For Practical Domain Adaptation. ICLRW 2017"


def batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm (1-d, 2-d, 3-d, synchronised) layer of ``model`` that tracks running statistics."""
    return [m for m in model.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def adapt_batchnorm(model: nn.Module, batches: Iterable[Tensor]) -> int:
    """Re-estimate every BatchNorm's statistics of ``model`` on ``batches`` of target inputs, in place.

    ``batches``: tensors as ``model`` takes them (N, 3, H, W normalised crops for a top-down model).
    Returns the number of samples seen. The model comes back in the mode it was in.
    """
    layers = batchnorm_layers(model)
    if not layers:
        raise ModelError(f"{type(model).__name__} has no BatchNorm layer with running statistics: "
                         f"AdaBN has nothing to re-estimate")
    was_training = model.training
    momenta = [m.momentum for m in layers]
    model.eval()
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches
        m.train()
    seen = 0
    try:
        for x in batches:
            model(x)
            seen += len(x)
    finally:
        for m, momentum in zip(layers, momenta):
            m.momentum = momentum
        model.train(was_training)
    if not seen:
        raise ModelError("AdaBN was given no target image")
    return seen
