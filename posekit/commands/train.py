"""``posekit train``: train a preset on COCO-format data.

    posekit train --model simplebaseline-r50-256x192 --train train.json --train-images imgs/ \
        --val val.json --val-images imgs/ --epochs 140 --batch-size 32 --out runs/sb50

Every option of :class:`posekit.engine.config.TrainConfig` is a flag; ``--config run.yaml``
supplies them from a YAML file (flags given explicitly win). Multi-GPU or multi-process:
``torchrun --nproc-per-node N -m posekit train ...``. RUN_DIR receives ``best.safetensors``,
``last.safetensors`` (+ JSON and optimizer state, for ``--resume``), ``log.csv``,
``steps.csv`` and ``curve.png``.
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..engine.config import add_config_arguments

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--config", metavar="YAML", help="options from a YAML file (keys = option names)")
    add_config_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..engine.config import config_from_args, load_config
    from ..errors import DataError
    from ..zoo import PRESETS

    cfg = config_from_args(args, load_config(args.config) if args.config else None)
    if cfg.model not in PRESETS:
        raise DataError(f"unknown model preset; choose one of {', '.join(sorted(PRESETS))}", None, None, "model")
    if not cfg.train or not cfg.train_images:
        raise DataError("--train and --train-images are required", None, None, "train")
    from ..topdown.training import train_topdown

    summary = train_topdown(cfg)
    best = f"{summary['metric']} {summary['best']:.4f}" if summary["best"] > float("-inf") else "no validation"
    print(f"trained {summary['epochs']} epochs ({summary['steps']} steps) in {summary['minutes']:.1f} min; "
          f"best {best}; run directory {cfg.out}")
    return 0
