"""Training and measuring the tracklet refiner on synthetic tracks with simulated estimator errors.

Tracks come from the synthetic video generator's motion model without rendering
(:func:`posekit.data.synthetic.video.video_tracks`); a fresh draw of estimator errors
(:mod:`posekit.video.track_errors`) is applied to every window at every step, so the network never
sees the same noise twice. The loss is SmoothNet's (Zeng et al., ECCV 2022): the L1 error of the
refined keypoints plus the L1 error of their acceleration, both in units of the track's scale,
over the keypoints inside the frame.

Measures: keypoint error (mean distance to the truth over the box's longer side) and jitter (mean
``|p[t+1] - 2 p[t] + p[t-1]|``, same units), over visible keypoints.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..data.synthetic.video import video_tracks
from .track_errors import EstimatorErrors, simulate_estimates
from .tracklet_refine import RefinerConfig, TrackletRefiner, normalise, track_frame

__all__ = ["Track", "synthetic_tracks", "noisy_tracks", "TrainingConfig", "train_refiner", "track_metrics"]


@dataclass
class Track:
    """One person's true track: keypoints (T, K, 2), visibility (T, K), boxes (T, 4)."""

    keypoints: np.ndarray
    visibility: np.ndarray
    boxes: np.ndarray


def synthetic_tracks(seed: int, clips: int, frames: int = 64, min_length: int = 16,
                     size: tuple[int, int] = (640, 480)) -> list[Track]:
    """Every in-view run of at least ``min_length`` frames of the people of ``clips`` synthetic videos."""
    out = []
    for c in range(clips):
        rng = np.random.default_rng([seed, c])
        kp, vis, boxes = video_tracks(rng, size[0], size[1], frames, int(rng.integers(1, 4)))
        for p in range(kp.shape[1]):
            present = np.r_[False, boxes[:, p, 2] * boxes[:, p, 3] > 0, False]
            edges = np.flatnonzero(np.diff(present.astype(int)))
            for a, b in zip(edges[::2], edges[1::2]):
                if b - a >= min_length:
                    out.append(Track(kp[a:b, p], vis[a:b, p], boxes[a:b, p]))
    return out


def noisy_tracks(tracks: list[Track], seed: int, errors: EstimatorErrors = EstimatorErrors()
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One draw of estimator errors per track: (keypoints, scores, boxes) each."""
    rng = np.random.default_rng(seed)
    return [simulate_estimates(rng, t.keypoints, t.visibility, t.boxes, errors) for t in tracks]


@dataclass(frozen=True)
class TrainingConfig:
    """``steps`` of Adam at ``lr`` (cosine decay) on ``batch`` windows of ``window`` frames;
    ``acceleration`` weighs the acceleration loss."""

    steps: int = 1500
    batch: int = 16
    window: int = 32
    lr: float = 2e-3
    acceleration: float = 1.0
    clips: int = 120
    seed: int = 0


def _window_batch(rng: np.random.Generator, tracks: list[Track], cfg: TrainingConfig, errors: EstimatorErrors,
                  field: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs (B, L, K, 3), targets (B, L, K, 2) in the same normalised units, weights (B, L, K)."""
    xs, ys, ws = [], [], []
    for i in rng.integers(0, len(tracks), cfg.batch):
        tr = tracks[i]
        n = min(cfg.window, len(tr.keypoints))
        a = int(rng.integers(0, len(tr.keypoints) - n + 1))
        gt, vis, boxes = tr.keypoints[a:a + n], tr.visibility[a:a + n], tr.boxes[a:a + n]
        kp, ks, est_boxes = simulate_estimates(rng, gt, vis, boxes, errors)
        centre, scale = track_frame(est_boxes, kp, field)
        xs.append(normalise(kp, ks, centre, scale))
        ys.append((gt - centre[:, None]) / scale)
        ws.append((vis > 0).astype(np.float64))
    return tuple(torch.as_tensor(np.stack(v), dtype=torch.float32) for v in (xs, ys, ws))  # type: ignore


def train_refiner(config: TrainingConfig = TrainingConfig(), model_config: RefinerConfig = RefinerConfig(),
                  errors: EstimatorErrors = EstimatorErrors(), tracks: list[Track] | None = None,
                  log_every: int = 0) -> tuple[TrackletRefiner, list[float]]:
    """A refiner trained from ``config.seed`` (deterministic on one thread) and its loss per step."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng([config.seed, 1])
    tracks = tracks if tracks is not None else synthetic_tracks(config.seed, config.clips, min_length=config.window)
    model = TrackletRefiner(model_config)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(config.steps, 1))
    losses = []
    for step in range(config.steps):
        x, y, w = _window_batch(rng, tracks, config, errors, model_config.receptive_field)
        p = x[..., :2] + model(x)
        err = ((p - y).abs().sum(-1) * w).sum() / w.sum().clamp(min=1)
        acc_p, acc_y = p[:, 2:] - 2 * p[:, 1:-1] + p[:, :-2], y[:, 2:] - 2 * y[:, 1:-1] + y[:, :-2]
        wa = w[:, 2:] * w[:, 1:-1] * w[:, :-2]
        acc = ((acc_p - acc_y).abs().sum(-1) * wa).sum() / wa.sum().clamp(min=1)
        loss = err + config.acceleration * acc
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1}/{config.steps}: loss {np.mean(losses[-log_every:]):.4f}", flush=True)
    return model.eval(), losses


def track_metrics(predicted: list[np.ndarray], tracks: list[Track]) -> dict[str, float]:
    """Mean keypoint error and jitter of ``predicted`` (T, K, 2) per track, over the true box's longer
    side, over visible keypoints (jitter: keypoints visible in all three frames)."""
    errs, accs = [], []
    for p, tr in zip(predicted, tracks):
        scale = np.maximum(tr.boxes[:, 2:].max(1), 1.0)[:, None]
        vis = tr.visibility > 0
        errs.append((np.linalg.norm(p - tr.keypoints, axis=-1) / scale)[vis])
        acc = np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1) / scale[1:-1]
        accs.append(acc[vis[2:] & vis[1:-1] & vis[:-2]])
    return {"error": float(np.concatenate(errs).mean()), "jitter": float(np.concatenate(accs).mean())}
