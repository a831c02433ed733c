"""Gaussian heatmap codec of Xiao et al. (SimpleBaseline, "Simple Baselines for Human Pose
Estimation and Tracking", ECCV 2018), as used from Tompson et al. (2014) on.

Keypoints are given in network-input (crop) pixels; heatmap stride is
``input_size / heatmap_size``. ``refine`` picks the decoder: ``"quarter"`` (arg-max plus
a quarter-pixel shift, the original), ``"dark"`` (DARK Taylor refinement, Zhang et al.
2020) or ``"none"``. ``unbiased=True`` renders the Gaussian at the exact sub-pixel
centre (DARK's unbiased encoding).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .heatmap_ops import heatmap_argmax, refine_dark, refine_quarter, render_gaussians

__all__ = ["MSRAHeatmap"]


@dataclass(frozen=True)
class MSRAHeatmap:
    input_size: tuple[int, int] = (192, 256)     # (W, H) of the network input
    heatmap_size: tuple[int, int] = (48, 64)     # (W, H) of the network output
    sigma: float = 2.0
    unbiased: bool = False
    refine: str = "quarter"                      # "quarter" | "dark" | "none"
    blur_kernel: int = 11                        # DARK modulation kernel
    udp: bool = False                            # crop transform convention (see posekit.topdown.transforms)

    def __post_init__(self) -> None:
        if self.refine not in ("quarter", "dark", "none"):
            raise ValueError(f"refine must be 'quarter', 'dark' or 'none', not {self.refine!r}")

    @property
    def stride(self) -> np.ndarray:
        """Input pixels per heatmap pixel, (sx, sy)."""
        return np.asarray(self.input_size, np.float64) / np.asarray(self.heatmap_size, np.float64)

    def to_heatmap(self, keypoints: np.ndarray) -> np.ndarray:
        return np.asarray(keypoints, np.float64) / self.stride

    def from_heatmap(self, locs: np.ndarray) -> np.ndarray:
        return locs * self.stride

    def encode(self, keypoints: np.ndarray, visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Targets for (N, K, 2) crop keypoints: heatmaps (N, K, H, W) float32 and weights (N, K) float32.

        A keypoint gets weight 0 when it is not labelled or its Gaussian lies entirely outside the map.
        """
        c = self.to_heatmap(keypoints)
        w, h = self.heatmap_size
        r = 3 * self.sigma
        inside = (c[..., 0] + r >= 0) & (c[..., 0] - r <= w - 1) & (c[..., 1] + r >= 0) & (c[..., 1] - r <= h - 1)
        valid = (np.asarray(visible) > 0) & inside & np.isfinite(c).all(-1)
        maps = render_gaussians(np.nan_to_num(c), valid, self.heatmap_size, self.sigma, self.unbiased)
        return maps, valid.astype(np.float32)

    def decode(self, heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Crop keypoints (N, K, 2) and scores (N, K, the heatmap maxima) from (N, K, H, W) heatmaps."""
        heatmaps = np.asarray(heatmaps)
        locs, scores = heatmap_argmax(heatmaps)
        if self.refine == "quarter":
            locs = refine_quarter(heatmaps, locs)
        elif self.refine == "dark":
            locs = refine_dark(heatmaps, locs, self.blur_kernel)
        return self.from_heatmap(locs), scores

    def flip_back(self, heatmaps: np.ndarray, flip_index: np.ndarray) -> np.ndarray:
        """Heatmaps predicted for a horizontally flipped crop, mapped back to the unflipped crop.

        Mirrors the width axis and swaps left/right channels. With this codec's pixel
        convention a mirrored crop's heatmap is misaligned by ``1 - 1/stride`` heatmap
        pixels; like Xiao et al. (2018) we shift it right by one pixel.
        """
        out = np.asarray(heatmaps)[:, flip_index, :, ::-1].copy()
        out[..., 1:] = out[..., :-1].copy()
        return out
