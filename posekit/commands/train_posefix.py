"""``posekit train-posefix --out RUN_DIR``: train a PoseFix pose refiner on synthetic people.

    posekit train-posefix --out runs/posefix --steps 600 --seed 0
    posekit infer photos/ --out out/ --refine runs/posefix

PoseFix (:mod:`posekit.topdown.posefix`; Moon, Chang, Lee, CVPR 2019) learns to correct any
estimator's poses from a person's crop and the pose given for it; it is trained on synthetic crops
whose true poses are perturbed by simulated estimator errors (:mod:`posekit.zoo.learning_posefix`);
nothing is read from disk. Writes ``RUN_DIR/posefix.safetensors`` (weights, the spec in its
metadata) and ``RUN_DIR/posefix.json`` (spec, training settings, the error model, and PCK / AP on
held-out synthetic crops of the perturbed input poses and of their refinement).
"""
from __future__ import annotations

import argparse
import sys


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH such as 64x128, not {text!r}") from None
    return w, h


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="run folder to write the refiner to")
    p.add_argument("--steps", type=int, default=600, help="training steps (default 600)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--crops", type=int, default=2000, help="synthetic training crops (default 2000)")
    p.add_argument("--input-size", type=_size, default=(64, 128),
                   help="crop size W x H, multiples of 32 (default 64x128)")
    p.add_argument("--depth", type=int, default=18, choices=(18, 34, 50), help="ResNet trunk depth (default 18)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from ..errors import InputError
    from ..topdown.posefix import MOON, PoseFixConfig, PoseFix, save_posefix
    from ..zoo.learning_posefix import POSEFIX_ERRORS, posefix_scorer, train_posefix
    from ..zoo.learning_proof import synthetic_instances

    if args.steps < 1 or args.batch_size < 1 or args.crops < args.batch_size:
        raise InputError("--steps and --batch-size must be at least 1, and --crops at least --batch-size")
    config = PoseFixConfig(input_size=args.input_size, depth=args.depth)
    PoseFix(config)  # a bad --input-size fails here, before any data is made
    Path(args.out).mkdir(parents=True, exist_ok=True)  # and an unwritable --out before any training
    train = synthetic_instances(args.crops, config.input_size, seed=args.seed)
    held = synthetic_instances(200, config.input_size, seed=10_000 + args.seed)
    score, before = posefix_scorer(held, POSEFIX_ERRORS, args.seed)
    model, summary = train_posefix(train, args.steps, args.seed, config, POSEFIX_ERRORS, score,
                                   batch_size=args.batch_size, lr=args.lr, log_every=max(args.steps // 10, 1))
    after = summary["metrics"]
    info = {"paper": MOON, "training": {"steps": summary["steps"], "seed": args.seed, "batch_size": args.batch_size,
                                        "lr": args.lr, "crops": args.crops, "minutes": round(summary["minutes"], 2)},
            "errors": asdict(POSEFIX_ERRORS),
            "held_out": {"crops": len(held), "input": before, "refined": after}}
    path = save_posefix(model, args.out, info)
    print(f"posekit train-posefix: held-out synthetic crops, perturbed poses -> refined: PCK@0.1 "
          f"{before['PCK@0.1']:.3f} -> {after['PCK@0.1']:.3f}, AP {before['AP']:.3f} -> {after['AP']:.3f}; "
          f"saved {path}", file=sys.stderr)
    return 0
