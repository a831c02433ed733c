"""Heatmap codec of the Unbiased Data Processing of Huang et al. ("The Devil is in the
Details: Delving into Unbiased Data Processing for Human Pose Estimation", CVPR 2020).

Image size is measured in unit lengths between pixel centres, ``(size - 1)``, so the
stride is ``(input - 1) / (heatmap - 1)`` and flipping is exact; the Gaussian target
is rendered at the exact sub-pixel centre, and decoding refines the arg-max with
DARK's Taylor step (Zhang et al. 2020), as the UDP reference implementation does.
Crops for this codec must be warped with the UDP transform (``udp=True``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .msra import MSRAHeatmap

__all__ = ["UDPHeatmap"]


@dataclass(frozen=True)
class UDPHeatmap(MSRAHeatmap):
    unbiased: bool = True
    refine: str = "dark"
    udp: bool = True

    @property
    def stride(self) -> np.ndarray:
        return (np.asarray(self.input_size, np.float64) - 1) / (np.asarray(self.heatmap_size, np.float64) - 1)

    def flip_back(self, heatmaps: np.ndarray, flip_index: np.ndarray) -> np.ndarray:
        """Exact: under UDP a mirrored crop's heatmap is the mirrored heatmap."""
        return np.asarray(heatmaps)[:, flip_index, :, ::-1].copy()
