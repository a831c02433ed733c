"""DARK: Distribution-Aware coordinate Representation of Keypoints (Zhang et al., CVPR 2020).

Unbiased Gaussian encoding (the target is centred at the exact sub-pixel position)
and decoding by distribution modulation + Taylor expansion of the log heatmap
(:func:`posekit.codecs.heatmap_ops.refine_dark`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .msra import MSRAHeatmap

__all__ = ["DARKHeatmap"]


@dataclass(frozen=True)
class DARKHeatmap(MSRAHeatmap):
    unbiased: bool = True
    refine: str = "dark"
