"""SimCC codec: keypoint coordinates as two 1-D classifications, one over x and one over y,
with Gaussian label smoothing (Li et al., "SimCC: a Simple Coordinate Classification
Perspective for Human Pose Estimation", ECCV 2022; the target of RTMPose, Jiang et al. 2023).

Each axis of the input is cut into ``split_ratio`` bins per pixel. Bin ``b`` is centred at
crop pixel ``(b + 0.5) / k - 0.5``: the bins tile the crop from edge to edge, so the nearest
bin is at most ``1 / (2k)`` pixels away and mirroring the crop reverses the x bins exactly.
(Li et al. place bin ``b`` at ``b / k``; ours is the same grid shifted by ``(1 - k) / 2k``
pixels so that flip testing needs no shift.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SimCCLabel"]


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@dataclass(frozen=True)
class SimCCLabel:
    """Targets: x and y labels, Gaussians of peak 1 and std ``sigma`` bins, side by side in one
    array (N, K, W*k + H*k) (:meth:`split` separates them), and weights (N, K). Outputs: the
    tuple of x logits (N, K, W*k) and y logits (N, K, H*k).

    One target array rather than a tuple keeps :class:`~posekit.topdown.dataset.TopDownDataset`
    (which keeps ``target[0]``), torch's default collation (which turns tuples into lists) and
    the trainer's device transfer (tensors only) working unchanged.
    """

    input_size: tuple[int, int] = (192, 256)     # (W, H) of the network input
    split_ratio: float = 2.0                     # bins per input pixel, k
    sigma: float = 6.0                           # label smoothing, in bins (MMPose's 256x192 setting)
    udp: bool = False                            # crop transform convention (see posekit.topdown.transforms)

    @property
    def bins(self) -> tuple[int, int]:
        """(x bins, y bins)."""
        w, h = self.input_size
        return int(round(w * self.split_ratio)), int(round(h * self.split_ratio))

    def to_bins(self, keypoints: np.ndarray) -> np.ndarray:
        """Crop pixels (..., 2) -> continuous bin coordinates (..., 2)."""
        return (np.asarray(keypoints, np.float64) + 0.5) * self.split_ratio - 0.5

    def from_bins(self, bins: np.ndarray) -> np.ndarray:
        """Bin coordinates (..., 2) -> crop pixels (..., 2)."""
        return (np.asarray(bins, np.float64) + 0.5) / self.split_ratio - 0.5

    @property
    def peak_probability(self) -> float:
        """The largest probability of a normalised label: a prediction scoring 1 matches it."""
        r = np.arange(-int(np.ceil(8 * self.sigma)) - 1, int(np.ceil(8 * self.sigma)) + 2)
        return float(1.0 / np.exp(-r ** 2 / (2 * self.sigma ** 2)).sum())

    def split(self, target):
        """(x labels, y labels) of a target from :meth:`encode` (NumPy array or torch tensor)."""
        nx = self.bins[0]
        return target[..., :nx], target[..., nx:]

    def encode(self, keypoints: np.ndarray, visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Targets for (N, K, 2) crop keypoints: labels (N, K, W*k + H*k) and weights (N, K), float32.

        A keypoint gets weight 0 (and zero labels) when it is not labelled or lies outside the crop.
        """
        b = self.to_bins(keypoints)
        nx, ny = self.bins
        valid = (np.asarray(visible) > 0) & np.isfinite(b).all(-1)
        valid &= (b[..., 0] >= -0.5) & (b[..., 0] <= nx - 0.5) & (b[..., 1] >= -0.5) & (b[..., 1] <= ny - 0.5)
        b = np.nan_to_num(b)
        gx = np.exp(-(np.arange(nx) - b[..., :1]) ** 2 / (2 * self.sigma ** 2)) * valid[..., None]
        gy = np.exp(-(np.arange(ny) - b[..., 1:]) ** 2 / (2 * self.sigma ** 2)) * valid[..., None]
        return np.concatenate([gx, gy], axis=-1).astype(np.float32), valid.astype(np.float32)

    def decode(self, output) -> tuple[np.ndarray, np.ndarray]:
        """Crop keypoints (N, K, 2) at the arg-max bins, and scores (N, K).

        The score is the smaller of the x and y maxima, as MMPose's SimCC decoder takes it,
        of softmax probabilities divided by :attr:`peak_probability` and clipped to 1.
        """
        lx, ly = (np.asarray(o, np.float64) for o in output)
        px, py = _softmax(lx), _softmax(ly)
        bins = np.stack([px.argmax(-1), py.argmax(-1)], axis=-1)
        scores = np.minimum(px.max(-1), py.max(-1)) / self.peak_probability
        return self.from_bins(bins), np.clip(scores, 0.0, 1.0)

    def flip_back(self, output, flip_index: np.ndarray):
        """Logits for a horizontally mirrored crop, mapped back (exact): x bins reversed, left/right swapped."""
        lx, ly = output
        return np.asarray(lx)[:, flip_index, ::-1].copy(), np.asarray(ly)[:, flip_index].copy()
