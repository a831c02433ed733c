"""``posekit distill``: train a student preset under a trained teacher (Fast Pose Distillation).

    posekit distill --teacher runs/hg2 --student simplebaseline-r18-128x96 --train train.json \\
        --train-images imgs/ --epochs 20 --out runs/sb18-fpd

FPD (Zhang et al. 2019, :mod:`posekit.compress.distill`): loss = (1 - alpha) * the student's loss
to the ground truth + alpha * MSE to the frozen teacher's heatmaps (alpha 0.5, the paper's). The
teacher is a checkpoint (a ``.safetensors`` file or a ``posekit train`` run directory), read from
safetensors with the spec it carries. Every ``posekit train`` option applies (data, schedule,
augmentation, ``--config``, ``--resume``...), with ``--student`` in place of ``--model``; the run
directory's ``best.safetensors`` is the student alone. Heatmap (top-down) teacher and student only.
``--method dwpose``: DWPose's feature and logit distillation instead (:mod:`posekit.compress.dwpose`).
"""
from __future__ import annotations

import argparse
import signal
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .train import add_arguments as train_arguments

    parser.add_argument("--teacher", required=True, metavar="RUN_or_CKPT",
                        help="the trained teacher: a .safetensors file or a posekit train run directory")
    parser.add_argument("--student", required=True, metavar="PRESET", help="the student preset (posekit zoo)")
    parser.add_argument("--alpha", type=float, default=0.5,
                        help="weight of the teacher's heatmaps; 1 - alpha on the ground truth (default: 0.5, FPD's)")
    parser.add_argument("--method", choices=("fpd", "dwpose"), default="fpd",
                        help="fpd: Zhang et al. 2019 (default); dwpose: feature + heatmap-logit losses of Yang et al. "
                             "2023 (weights 7e-5 and 0.1, decaying linearly to 0 over --max-steps, which it needs)")
    train_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..compress.distill import distill
    from ..engine.config import config_yaml
    from ..errors import DataError, ModelError
    from ..zoo import PRESETS, build_model, load_model
    from .train import report

    cfg, driver = effective_config(args)
    if args.print_config:
        print(config_yaml(cfg), end="")
        return 0
    if driver != "posekit.topdown.training:train_topdown":
        raise ModelError(f"{args.student} is a {PRESETS[args.student].family} model; posekit distill "
                         f"distils top-down heatmap students only")
    teacher = load_model(args.teacher)  # before any data is read: a missing teacher is said at once
    if not cfg.train or not cfg.train_images:
        raise DataError("--train and --train-images are required", None, None, "train")
    summary = distill(teacher, cfg, build_model, alpha=args.alpha, method=args.method,
                      notes=lambda line: print(f"posekit distill: warning: {line}", file=sys.stderr))
    print(report(summary, cfg).replace("trained", "distilled", 1))
    if summary.get("signal"):
        return 128 + int(getattr(signal, summary["signal"]))
    return 0


def effective_config(args: argparse.Namespace):
    from .train import effective_config as train_config

    return train_config(args, model=args.student)
