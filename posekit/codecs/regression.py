"""Coordinate codec of direct regression: keypoints <-> coordinates normalised to the network input.

Used by DeepPose (Toshev & Szegedy, "DeepPose: Human Pose Estimation via Deep Neural Networks",
CVPR 2014), integral regression (Sun et al., "Integral Human Pose Regression", ECCV 2018) and
RLE (Li et al., "Human Pose Regression with Residual Log-likelihood Estimation", ICCV 2021).

A crop pixel ``x`` (pixel centres at integers, OpenCV's convention) maps to ``u = (x + 0.5) / W``:
the crop's outer edges are 0 and 1. With this convention a horizontal mirror of the crop
(``x -> W - 1 - x``, :func:`posekit.topdown.transforms.flip_matrix`) is ``u -> 1 - u`` exactly,
and a soft-argmax over a map that tiles the input lands on the same scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RegressionLabel"]


@dataclass(frozen=True)
class RegressionLabel:
    """Targets ``(N, K, 2)`` in ``[0, 1]`` of the input; outputs decoded back to crop pixels.

    A network output is either the coordinates ``(N, K, 2)`` (DeepPose, integral regression;
    every score is 1, as these models give no confidence) or a tuple ``(coordinates, sigma)``
    with ``sigma`` ``(N, K, 2)`` the predicted scale in the same units (RLE), scored
    ``1 - mean(sigma)`` clipped to [0, 1], as the RLE reference implementation scores joints.
    """

    input_size: tuple[int, int] = (192, 256)     # (W, H) of the network input
    udp: bool = False                            # crop transform convention (see posekit.topdown.transforms)

    @property
    def _size(self) -> np.ndarray:
        return np.asarray(self.input_size, np.float64)

    def normalise(self, keypoints: np.ndarray) -> np.ndarray:
        """Crop pixels (..., 2) -> normalised coordinates (..., 2)."""
        return (np.asarray(keypoints, np.float64) + 0.5) / self._size

    def denormalise(self, coords: np.ndarray) -> np.ndarray:
        """Normalised coordinates (..., 2) -> crop pixels (..., 2)."""
        return np.asarray(coords, np.float64) * self._size - 0.5

    def encode(self, keypoints: np.ndarray, visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Targets for (N, K, 2) crop keypoints: coordinates (N, K, 2) float32 and weights (N, K) float32.

        A keypoint gets weight 0 when it is not labelled or lies outside the crop (as in MMPose's
        regression label); its target is then 0.
        """
        u = self.normalise(keypoints)
        valid = (np.asarray(visible) > 0) & np.isfinite(u).all(-1) & ((u >= 0) & (u <= 1)).all(-1)
        target = np.where(valid[..., None], np.nan_to_num(u), 0.0)
        return target.astype(np.float32), valid.astype(np.float32)

    def decode(self, output) -> tuple[np.ndarray, np.ndarray]:
        """Crop keypoints (N, K, 2) and scores (N, K) from coordinates or ``(coordinates, sigma)``."""
        if isinstance(output, tuple):
            coords, sigma = output
            scores = np.clip(1.0 - np.asarray(sigma, np.float64).mean(-1), 0.0, 1.0)
        else:
            coords = output
            scores = np.ones(np.shape(coords)[:-1])
        return self.denormalise(coords), scores

    def flip_back(self, output, flip_index: np.ndarray):
        """An output for a horizontally mirrored crop, mapped back to the unmirrored crop (exact).

        Mirrors x (``u -> 1 - u``) and swaps left/right keypoints; ``sigma`` only swaps.
        """
        if isinstance(output, tuple):
            coords, sigma = output
            return self.flip_back(coords, flip_index), np.asarray(sigma)[:, flip_index].copy()
        out = np.asarray(output)[:, flip_index].copy()
        out[..., 0] = 1.0 - out[..., 0]
        return out
