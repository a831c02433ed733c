"""``posekit train-refiner --out RUN_DIR``: train a tracklet refiner on synthetic tracks.

    posekit train-refiner --out runs/refiner --steps 1500 --seed 0
    posekit track clip.mp4 --out out/ --refine-tracks runs/refiner

The refiner (:mod:`posekit.video.tracklet_refine`) learns to correct a per-frame estimator's poses
along a track from synthetic tracks with simulated estimator errors
(:mod:`posekit.video.refiner_training`); nothing is read from disk. Writes
``RUN_DIR/refiner.safetensors`` (weights, the spec in its metadata) and ``RUN_DIR/refiner.json``
(spec, training settings, the held-out error and jitter before and after refinement).
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="run folder to write the refiner to")
    p.add_argument("--steps", type=int, default=1500, help="training steps (default 1500, about 20 s on one core)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clips", type=int, default=120, help="synthetic clips whose tracks train it (default 120)")
    p.add_argument("--channels", type=int, default=64, help="width of the temporal network (default 64)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    import torch

    from ..errors import InputError
    from ..video.refiner_training import TrainingConfig, noisy_tracks, synthetic_tracks, track_metrics, train_refiner
    from ..video.track_errors import EstimatorErrors
    from ..video.tracklet_refine import RefinerConfig, refine_track, save_refiner

    if args.steps < 1 or args.batch_size < 1 or args.clips < 1 or args.channels < 1:
        raise InputError("--steps, --batch-size, --clips and --channels must be at least 1")
    torch.manual_seed(args.seed)
    config = TrainingConfig(steps=args.steps, batch=args.batch_size, lr=args.lr, clips=args.clips, seed=args.seed)
    model_config = RefinerConfig(channels=args.channels)
    errors = EstimatorErrors()
    model, losses = train_refiner(config, model_config, errors, log_every=max(args.steps // 10, 1))
    held = synthetic_tracks(10_000 + args.seed, 20)
    est = noisy_tracks(held, 10_000 + args.seed, errors)
    before = track_metrics([e[0] for e in est], held)
    after = track_metrics([refine_track(model, *e) for e in est], held)
    info = {"training": asdict(config), "errors": asdict(errors), "final_loss": sum(losses[-50:]) / len(losses[-50:]),
            "held_out": {"tracks": len(held), "raw": before, "refined": after},
            "latency_frames": model_config.lookahead}
    path = save_refiner(model, args.out, info)
    print(f"posekit train-refiner: held-out tracks: error {before['error']:.4f} -> {after['error']:.4f}, jitter "
          f"{before['jitter']:.4f} -> {after['jitter']:.4f} (box sizes); window {model_config.receptive_field} "
          f"frames (latency {model_config.lookahead}); saved {path}", file=sys.stderr)
    return 0
