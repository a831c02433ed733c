"""A per-frame pose estimator's errors along a track, simulated: training data for tracklet refinement.

Exact synthetic tracks (:func:`posekit.data.synthetic.video.video_tracks`) become what a per-frame
estimator reports, with the error kinds that per-frame estimators show on video (the survey's
motivation for temporal methods, section 1.3; Ruggero Ronchi & Perona, "Benchmarking and Error
Diagnosis in Multi-Instance Pose Estimation", ICCV 2017, name the kinds: jitter, inversion
(left/right swaps), swap and miss):

* white noise per frame and keypoint, of standard deviation ``noise * 2 sigma_k * s``: ``s`` is the
  person's COCO scale (square root of the box area) and ``sigma_k`` the keypoint's OKS sigma, so a
  wrist errs more than an eye, as in OKS's own model of annotation spread;
* temporally correlated noise (an AR(1) drift of coefficient ``rho``), the slow wander of an
  estimator that keeps its crop;
* outliers: a keypoint jumps ``outlier_size`` x ``s`` away for one to three frames;
* left/right swaps of a flip pair for one to four frames (inversions);
* dropped keypoints (one to five frames) land far off with a score below 0.2;
* a score that falls with the keypoint's error (OKS-like), so low scores mark bad keypoints;
  keypoints outside the frame get a low score too;
* a box that wobbles by ``box_noise`` of its size.

The defaults' magnitudes are set by hand, not fitted to a real estimator: the white noise is
0.6 of OKS's annotation spread, the drift 0.5 of it, and about 1 keypoint in 40 is an outlier,
a swap or a drop at any frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeletons import COCO17, Skeleton

__all__ = ["EstimatorErrors", "simulate_estimates"]


@dataclass(frozen=True)
class EstimatorErrors:
    """Rates are per keypoint and frame (``swap_rate`` per flip pair and frame); sizes in units of
    ``2 sigma_k s`` (noises) or of ``s`` (outliers, drops)."""

    noise: float = 0.6
    drift: float = 0.5
    rho: float = 0.85
    outlier_rate: float = 0.01
    outlier_size: tuple[float, float] = (0.15, 0.5)
    swap_rate: float = 0.004
    drop_rate: float = 0.01
    box_noise: float = 0.03
    score_noise: float = 0.05


def _events(rng: np.random.Generator, shape: tuple[int, ...], rate: float, longest: int) -> np.ndarray:
    """(T, ...) bool: events starting at ``rate`` per frame and lasting 1..``longest`` frames."""
    start = rng.random(shape) < rate
    length = rng.integers(1, longest + 1, shape)
    on = np.zeros(shape, bool)
    for t0 in zip(*np.nonzero(start)):
        on[t0[0]:t0[0] + length[t0], t0[1:]] = True  # type: ignore[index]
    return on


def simulate_estimates(rng: np.random.Generator, keypoints: np.ndarray, visibility: np.ndarray,
                       boxes: np.ndarray, errors: EstimatorErrors = EstimatorErrors(),
                       skeleton: Skeleton = COCO17) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A per-frame estimator's view of one true track: keypoints (T, K, 2), scores (T, K), boxes (T, 4).

    ``keypoints`` (T, K, 2), ``visibility`` (T, K) and ``boxes`` (T, 4) xywh are the truth."""
    gt = np.asarray(keypoints, np.float64)
    t, k = gt.shape[:2]
    s = np.sqrt(np.maximum(boxes[:, 2] * boxes[:, 3], 1.0))[:, None, None]  # (T, 1, 1)
    unit = 2 * skeleton.sigma_array()[None, :, None] * s  # (T, K, 1)
    white = rng.normal(0, 1, (t, k, 2))
    drift = np.zeros((t, k, 2))
    step = rng.normal(0, np.sqrt(1 - errors.rho ** 2), (t, k, 2))
    drift[0] = rng.normal(0, 1, (k, 2))
    for i in range(1, t):
        drift[i] = errors.rho * drift[i - 1] + step[i]
    est = gt + unit * (errors.noise * white + errors.drift * drift)
    if skeleton.flip_pairs:
        pairs = np.array(skeleton.flip_pairs)
        swap = _events(rng, (t, len(pairs)), errors.swap_rate, 4)
        for j, (a, b) in enumerate(pairs):
            on = swap[:, j]
            est[on, a], est[on, b] = est[on, b].copy(), est[on, a].copy()
    angle = rng.uniform(0, 2 * np.pi, (t, k))
    jump = np.stack([np.cos(angle), np.sin(angle)], -1) * s * rng.uniform(*errors.outlier_size, (t, k, 1))
    outlier = _events(rng, (t, k), errors.outlier_rate, 3)
    est[outlier] += jump[outlier]
    dropped = _events(rng, (t, k), errors.drop_rate, 5)
    est[dropped] = gt[dropped] + 2 * jump[dropped]
    err = np.linalg.norm(est - gt, axis=-1) / unit[..., 0]  # in units of 2 sigma s
    scores = 0.15 + 0.8 * np.exp(-0.5 * (err / 1.5) ** 2) + rng.normal(0, errors.score_noise, (t, k))
    scores = np.where(dropped | (visibility == 0), rng.uniform(0, 0.2, (t, k)), scores)
    est_boxes = np.asarray(boxes, np.float64).copy()
    size = est_boxes[:, 2:].copy()
    est_boxes[:, :2] += rng.normal(0, errors.box_noise, (t, 2)) * size
    est_boxes[:, 2:] *= np.exp(rng.normal(0, errors.box_noise, (t, 2)))
    return est, np.clip(scores, 0, 1), est_boxes
