"""Model size and cost: parameters and multiply-accumulate operations, counted by the project.

FLOPs follow the convention of the HRNet and SimpleBaseline tables: one multiply-add is one
FLOP (so "GFLOPs" here are giga multiply-accumulates). Counting runs torch's own
``FlopCounterMode`` over a forward pass on the ``meta`` device, so it allocates no weights and
costs no arithmetic: the largest preset is measured in about a second.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

__all__ = ["count_parameters", "count_macs", "measure_builder"]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable and frozen parameters (buffers such as BN running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_size: tuple[int, int], batch: int = 1) -> int:
    """Multiply-accumulates of one forward pass on a (batch, 3, H, W) input; ``input_size`` is (W, H).

    Counts convolutions (transposed ones at their true cost: each input pixel times the kernel),
    matrix products and linear layers; element-wise operations are free, as in the papers' tables.
    """
    from torch.utils.flop_counter import FlopCounterMode

    w, h = input_size
    device = next(model.parameters()).device
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.empty(batch, 3, h, w, device=device))
    return counter.get_total_flops() // 2


def measure_builder(build: Callable[[], nn.Module], input_size: tuple[int, int]) -> tuple[int, int]:
    """(parameters, MACs) of ``build()``'s model, built on the ``meta`` device (no memory, no arithmetic)."""
    with torch.device("meta"):
        model = build().eval()
        return count_parameters(model), count_macs(model, input_size)
