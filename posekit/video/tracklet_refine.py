"""Tracklet refinement: a temporal convolutional network that corrects each pose of a track from its neighbours.

The survey's "temporal keypoint matching and refinement" (Chen et al. 2023, section 1.3): once a
track is formed, the poses along it are refined together rather than frame by frame. The network
is a residual temporal convolution net over the pose sequence, the architecture of Pavllo et al.,
"3D human pose estimation in video with temporal convolutions and semi-supervised training", CVPR
2019 (dilated 1-D convolutions over time, residual blocks), used as SmoothNet does (Zeng et al.,
"SmoothNet: A Plug-and-Play Network for Refining Human Poses in Videos", ECCV 2022): a plug-in
after any estimator, learning a correction of its output from a window of frames, trained on
estimates with synthetic errors (:mod:`posekit.video.track_errors`).

Input per frame: each keypoint normalised by the track's box (the box centres averaged over the
window, the median box size of the track) and its score, (T, K, 3). Output: a correction per
keypoint in the same units, added to the input pose. The net is non-causal: frame t sees
``lookahead`` frames on each side (8 with the defaults, 0.32 s at 25 frames/s, which is the
latency it adds to a stream). Each convolution pads by repeating the edge frame, so a track of any
length, one frame included, gives a pose per frame.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError, ModelError
from ..structures import PoseResult

__all__ = ["RefinerConfig", "TrackletRefiner", "track_frame", "normalise", "refine_track", "refine_results",
           "save_refiner", "load_refiner", "REFINER_FILE"]

REFINER_FILE = "refiner.safetensors"
KIND = "tracklet-refiner"


@dataclass(frozen=True)
class RefinerConfig:
    """``channels`` wide, one residual block per dilation, kernels of ``kernel`` frames; ``skeleton``
    names the keypoint set the refiner was trained for."""

    num_keypoints: int = 17
    channels: int = 64
    dilations: tuple[int, ...] = (1, 2, 4)
    kernel: int = 3
    skeleton: str = "coco17"

    @property
    def receptive_field(self) -> int:
        """Frames that one output sees: the input convolution plus each dilated block."""
        return 1 + (self.kernel - 1) * (1 + sum(self.dilations))

    @property
    def lookahead(self) -> int:
        """Future frames one output waits for (and past frames it sees)."""
        return (self.receptive_field - 1) // 2


class _EdgeConv(nn.Conv1d):
    """A 'same' 1-D convolution over time whose padding repeats the edge frames."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.dilation[0] * (self.kernel_size[0] - 1) // 2
        if pad:
            x = F.pad(x, (pad, pad), mode="replicate")
        return super().forward(x)


class _Block(nn.Module):
    """Pavllo et al.'s block: dilated convolution, 1x1 convolution, residual."""

    def __init__(self, channels: int, kernel: int, dilation: int):
        super().__init__()
        self.temporal = _EdgeConv(channels, channels, kernel, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(F.relu(self.temporal(F.relu(x))))


class TrackletRefiner(nn.Module):
    """(B, T, K, 3) normalised keypoints and scores -> (B, T, K, 2) corrections."""

    def __init__(self, config: RefinerConfig = RefinerConfig()):
        super().__init__()
        self.config = config
        c, k = config.channels, config.num_keypoints
        self.stem = _EdgeConv(3 * k, c, config.kernel)
        self.blocks = nn.Sequential(*[_Block(c, config.kernel, d) for d in config.dilations])
        self.correction = nn.Conv1d(c, 2 * k, 1)
        nn.init.zeros_(self.correction.weight)  # starts as the identity: no correction
        nn.init.zeros_(self.correction.bias)

    @property
    def spec(self) -> dict:
        return {"kind": KIND, **asdict(self.config)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, k, _ = x.shape
        h = self.blocks(self.stem(x.reshape(b, t, 3 * k).transpose(1, 2)))
        return self.correction(F.relu(h)).transpose(1, 2).reshape(b, t, k, 2)


def _moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred mean over ``window`` frames of (T, D), edges padded by repetition."""
    half = window // 2
    padded = np.concatenate([np.repeat(x[:1], half, 0), x, np.repeat(x[-1:], half, 0)])
    c = np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), padded]), 0)
    return (c[window:] - c[:-window]) / window if half else x.copy()


def track_frame(boxes: np.ndarray, keypoints: np.ndarray, window: int) -> tuple[np.ndarray, float]:
    """The track's reference frame: centres (T, 2), the box centres averaged over ``window`` frames,
    and one scale, the median of the boxes' longer sides (the keypoints' extent where boxes are empty)."""
    boxes = np.asarray(boxes, np.float64)
    size = boxes[:, 2:].max(1)
    ok = size > 0
    if not ok.any():
        lo, hi = keypoints.min(1), keypoints.max(1)
        boxes, size, ok = np.concatenate([lo, hi - lo], 1), (hi - lo).max(1), np.ones(len(boxes), bool)
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    centre[~ok] = centre[ok].mean(0)
    return _moving_average(centre, window | 1), max(float(np.median(size[ok])), 1.0)


def normalise(keypoints: np.ndarray, scores: np.ndarray, centre: np.ndarray, scale: float) -> np.ndarray:
    """(T, K, 3): keypoints about ``centre`` (T, 2) in units of ``scale``, and scores; a keypoint that
    is missing (not finite) sits at the centre with score 0."""
    xy = (np.asarray(keypoints, np.float64) - centre[:, None]) / scale
    missing = ~np.isfinite(xy).all(-1)
    xy[missing] = 0.0
    s = np.where(missing, 0.0, np.nan_to_num(np.asarray(scores, np.float64)))
    return np.concatenate([xy, s[..., None]], -1)


@torch.no_grad()
def refine_track(model: TrackletRefiner, keypoints: np.ndarray, scores: np.ndarray,
                 boxes: np.ndarray) -> np.ndarray:
    """Refined keypoints (T, K, 2) of one track in image pixels. Missing (not finite) keypoints get
    the network's estimate from their neighbours."""
    keypoints = np.asarray(keypoints, np.float64)
    centre, scale = track_frame(boxes, np.nan_to_num(keypoints), model.config.receptive_field)
    x = normalise(keypoints, scores, centre, scale)
    delta = model(torch.as_tensor(x, dtype=torch.float32)[None])[0].numpy().astype(np.float64)
    return (x[..., :2] + delta) * scale + centre[:, None]


def _runs(frames: list[int]) -> list[slice]:
    """Slices of consecutive frame indices."""
    cut = [0] + [i for i in range(1, len(frames)) if frames[i] != frames[i - 1] + 1] + [len(frames)]
    return [slice(a, b) for a, b in zip(cut[:-1], cut[1:])]


def refine_results(results: list[PoseResult], model: TrackletRefiner) -> list[PoseResult]:
    """Copies of tracked ``results`` with every confirmed track refined; each run of consecutive
    frames of a track is refined on its own (a gap is not bridged), untracked people are unchanged."""
    out = [replace(r, keypoints=r.keypoints.copy()) for r in results]
    where: dict[int, list[tuple[int, int]]] = {}
    for t, r in enumerate(results):
        for i, tid in enumerate(r.track_ids if r.track_ids is not None else []):
            if tid >= 0:
                where.setdefault(int(tid), []).append((t, i))
    for places in where.values():
        for run in _runs([t for t, _ in places]):
            ti = places[run]
            kp = np.stack([results[t].keypoints[i] for t, i in ti])
            ks = np.stack([results[t].keypoint_scores[i] for t, i in ti])
            bx = np.stack([results[t].boxes[i] for t, i in ti])
            for (t, i), k in zip(ti, refine_track(model, kp, ks, bx)):
                out[t].keypoints[i] = k
    return out


def save_refiner(model: TrackletRefiner, run_dir: str | Path, info: dict | None = None) -> Path:
    """``run_dir/refiner.safetensors`` (weights, the spec in its metadata) and ``run_dir/refiner.json``."""
    from ..engine.checkpoint import save_weights
    from ..fileio import write_json

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model, run_dir / REFINER_FILE, {"info": info or {}})
    write_json(run_dir / "refiner.json", {"spec": model.spec, **(info or {})}, indent=True)
    return run_dir / REFINER_FILE


def load_refiner(run_dir: str | Path) -> TrackletRefiner:
    """The refiner saved in ``run_dir`` (or a refiner.safetensors file), in eval mode; anything else
    raises :class:`InputError` saying so."""
    from ..engine.checkpoint import load_weights, weights_info

    p = Path(run_dir)
    path = p / REFINER_FILE if p.is_dir() else p
    if not path.is_file():
        raise InputError(f"{run_dir}: not a tracklet refiner run (no {REFINER_FILE}; train one with "
                         "posekit train-refiner)")
    try:
        spec = weights_info(path).get("spec") or {}
    except ModelError as e:
        raise InputError(str(e)) from None
    if spec.get("kind") != KIND:
        raise InputError(f"{path}: not a tracklet refiner (its model is {spec.get('kind') or 'unnamed'})")
    fields = {k: v for k, v in spec.items() if k != "kind"}
    model = TrackletRefiner(RefinerConfig(**dict(fields, dilations=tuple(fields.get("dilations", (1, 2, 4))))))
    try:
        load_weights(model, path)
    except ModelError as e:
        raise InputError(str(e)) from None
    return model.eval()
