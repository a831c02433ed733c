"""``posekit train``: train a preset on COCO-format data.

    posekit train --model simplebaseline-r50-256x192 --train train.json --train-images imgs/ \\
        --val val.json --val-images imgs/ --epochs 140 --batch-size 32 --out runs/sb50

Every option of :class:`posekit.engine.config.TrainConfig` is a flag; ``--config run.yaml``
supplies them from a YAML file with the same names (flags given explicitly win), and
``--print-config`` prints the effective configuration as YAML without training. The preset's
family picks the training driver (:data:`DRIVERS`). Multi-GPU or multi-process:
``torchrun --nproc-per-node N -m posekit train ...``. RUN_DIR receives ``best.safetensors``,
``last.json`` + ``checkpoints/`` (for ``--resume``), ``log.csv``, ``steps.csv`` and
``curve.png`` (docs/training.md). Ctrl-C or SIGTERM saves a checkpoint and stops (exit
code 130 or 143); ``--resume`` continues exactly where it stopped.
"""
from __future__ import annotations

import argparse
import importlib
import signal
import sys

# preset family -> (training driver "module:function", its augmentation options "module:Class").
# The driver is called as driver(cfg, build_model, notes=print_line) and returns the Trainer's summary.
DRIVERS: dict[str, tuple[str, str]] = {
    "top-down": ("posekit.topdown.training:train_topdown", "posekit.topdown.transforms:RandomAugment"),
    "bottom-up": ("posekit.bottomup.training:train_bottomup", "posekit.topdown.transforms:RandomAugment"),
}
# the --augment-* flags: every driver's augmentation class has the same field names today
FLAGS_FROM = "top-down"


def _load(ref: str):
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..engine.config import add_config_arguments

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--config", metavar="YAML", help="options from a YAML file (keys = option names)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective configuration (defaults < YAML < flags) as YAML and exit")
    add_config_arguments(parser, _load(DRIVERS[FLAGS_FROM][1]))


def _family(name: str) -> tuple[str, tuple[str, str]]:
    from ..errors import DataError
    from ..zoo import PRESETS

    preset = PRESETS.get(name)
    if preset is None:
        raise DataError(f"unknown model preset; choose one of {', '.join(sorted(PRESETS))}", None, None, "model")
    driver = DRIVERS.get(preset.family)
    if driver is None:
        raise DataError(f"{name} is a {preset.family} model; posekit train has drivers for "
                        f"{', '.join(sorted(DRIVERS))} only", None, None, "model")
    return preset.family, driver


def _epochs(summary: dict) -> str:
    n, per = summary["steps"], summary["steps_per_epoch"]
    if n % per == 0:
        return f"{n // per} epoch{'' if n // per == 1 else 's'}"
    return f"{n / per:.2f} epochs"


def report(summary: dict, cfg) -> str:
    """The one-line summary: steps done of those planned, epochs, minutes, why it stopped, best score."""
    best = summary["best"]
    score = f"best {summary['metric']} {best:.4f}" if best is not None else "no validation"
    why = ""
    if summary.get("signal"):
        why = f"; stopped by {summary['signal']}, checkpoint saved: continue with --resume"
    elif summary.get("stopped_by_budget"):
        why = f"; stopped by the {cfg.max_minutes:g}-minute budget"
    return (f"trained {summary['steps']} of {summary['total_steps']} steps ({_epochs(summary)}) in "
            f"{summary['minutes']:.1f} min{why}; {score}; run directory {cfg.out}")


def effective_config(args: argparse.Namespace, model: str | None = None):
    """(the TrainConfig of defaults < YAML < flags, the preset's training driver "module:function");
    ``model``, given, is the preset whatever the flags and YAML say (``posekit distill --student``)."""
    from ..engine.config import config_from_args, load_config
    from ..errors import DataError

    raw = {}
    if args.config:
        import yaml

        try:
            with open(args.config, encoding="utf-8") as f:
                raw = yaml.safe_load(f) or {}
        except OSError as e:
            raise DataError(f"cannot read config file ({e.strerror})", args.config) from None
        except yaml.YAMLError:
            raw = {}  # load_config below says what is wrong
    name = model or args.model or (raw.get("model") if isinstance(raw, dict) else None) or "simplebaseline-r50-256x192"
    _, (driver, augment) = _family(str(name))
    augment_type = _load(augment)
    cfg = config_from_args(args, load_config(args.config, augment_type) if args.config else None, augment_type)
    if model is not None:
        from dataclasses import replace

        cfg = replace(cfg, model=model)
    return cfg, driver


def run(args: argparse.Namespace) -> int:
    from ..engine.config import config_yaml
    from ..errors import DataError
    from ..zoo import build_model

    cfg, driver = effective_config(args)
    if args.print_config:
        print(config_yaml(cfg), end="")
        return 0
    if not cfg.train or not cfg.train_images:
        raise DataError("--train and --train-images are required", None, None, "train")
    summary = _load(driver)(cfg, build_model, notes=lambda line: print(f"posekit train: warning: {line}",
                                                                           file=sys.stderr))
    print(report(summary, cfg))
    if summary.get("signal"):
        return 128 + int(getattr(signal, summary["signal"]))
    return 0
