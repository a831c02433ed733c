"""The output grid every image codec shares: an input of (W, H) pixels seen at stride ``s`` is a grid
of (W / s, H / s) cells; a loss mask in input pixels becomes, per cell, the fraction of its pixels
that count."""
from __future__ import annotations

import numpy as np

__all__ = ["check_grid", "grid_size", "cell_mask"]


def check_grid(input_size: tuple[int, int], stride: int) -> None:
    """``ValueError`` unless the input is a whole number of cells."""
    w, h = input_size
    if w % stride or h % stride:
        raise ValueError(f"input size {w}x{h} is not a multiple of the stride {stride}")


def grid_size(input_size: tuple[int, int], stride: int) -> tuple[int, int]:
    """(W, H) of the output grid."""
    return input_size[0] // stride, input_size[1] // stride


def cell_mask(mask: np.ndarray | None, input_size: tuple[int, int], stride: int) -> np.ndarray:
    """(h, w) the fraction of each cell's input pixels whose loss counts (all 1 without ``mask``)."""
    w, h = grid_size(input_size, stride)
    if mask is None:
        return np.ones((h, w), np.float32)
    m = np.asarray(mask, np.float32)
    if m.shape != (input_size[1], input_size[0]):
        raise ValueError(f"mask is {m.shape[1]}x{m.shape[0]}, the input {input_size[0]}x{input_size[1]}")
    return m.reshape(h, stride, w, stride).mean(axis=(1, 3))
