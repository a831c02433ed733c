"""Training configuration: typed dataclasses, readable from YAML and from ``posekit train`` flags.

The YAML keys are the field names (``batch_size``, ``augment: {rotation_factor: 30}``);
the command-line flags are the same names with dashes (``--batch-size``,
``--augment-rotation-factor``). ``posekit train --help`` lists every field.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from dataclasses import dataclass, field

from ..errors import DataError
from ..topdown.transforms import RandomAugment

__all__ = ["TrainConfig", "load_config", "add_config_arguments", "config_from_args"]


@dataclass
class TrainConfig:
    """Everything a training run depends on. Paths are COCO-format keypoint files and image folders."""

    model: str = "simplebaseline-r50-256x192"   # preset from posekit.zoo.PRESETS
    train: str = ""                              # training annotations (COCO keypoints JSON)
    train_images: str = ""                       # folder the training file_names are relative to
    val: str = ""                                # validation annotations ("" = no validation)
    val_images: str = ""
    out: str = "runs/train"                      # run directory: checkpoints, log.csv, curve.png
    skeleton: str = ""                           # keypoint set override ("" = from the training file)
    epochs: int = 140
    max_minutes: float = 0.0                     # wall-clock budget; 0 = none
    batch_size: int = 32
    optimizer: str = "adam"                      # adam | adamw
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "step"                       # step | cosine
    milestones: tuple[int, ...] = (90, 120)      # epochs where step decay multiplies lr by gamma
    gamma: float = 0.1
    warmup_steps: int = 500                      # linear warm-up from warmup_ratio * lr
    warmup_ratio: float = 0.001
    min_lr: float = 0.0                          # cosine floor
    grad_clip: float = 0.0                       # max gradient norm; 0 = no clipping
    amp: str = "auto"                            # auto (bf16/fp16 on CUDA, none on CPU) | bf16 | fp16 | off
    device: str = "auto"                         # auto | cpu | cuda
    workers: int = 2                             # data-loading processes
    channels_last: bool = True                   # NHWC memory format (about 1.25x faster convolutions on CPU)
    sync_bn: bool = True                         # SyncBatchNorm across GPUs under torchrun
    seed: int = 0
    val_every: int = 1                           # epochs between validations
    val_metric: str = "ap"                       # ap | pck: picks the best checkpoint
    flip_test: bool = True
    resume: bool = False                         # continue from out/last.* if present
    log_every: int = 10                          # steps between rows of steps.csv
    augment: RandomAugment = field(default_factory=RandomAugment)

    def __post_init__(self) -> None:
        if isinstance(self.augment, dict):
            self.augment = RandomAugment(**self.augment)
        self.milestones = tuple(int(m) for m in self.milestones)
        for name, allowed in (("optimizer", ("adam", "adamw")), ("schedule", ("step", "cosine")),
                              ("amp", ("auto", "bf16", "fp16", "off")), ("val_metric", ("ap", "pck")),
                              ("device", ("auto", "cpu", "cuda"))):
            if getattr(self, name) not in allowed:
                raise DataError(f"must be one of {', '.join(allowed)}, not {getattr(self, name)!r}", None, None, name)


def load_config(path: str | os.PathLike) -> dict:
    """The keys of a YAML config file, checked against :class:`TrainConfig`'s fields."""
    import yaml

    with open(path, encoding="utf-8") as f:
        try:
            raw = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise DataError(f"not valid YAML: {str(e).splitlines()[0]}", path) from None
    if not isinstance(raw, dict):
        raise DataError("a config file must be a mapping of option names to values", path)
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    for key, value in raw.items():
        if key not in names:
            raise DataError(f"unknown option (known: {', '.join(sorted(names))})", path, None, key)
        if key == "augment":
            aug = {f.name for f in dataclasses.fields(RandomAugment)}
            bad = [k for k in (value or {}) if k not in aug]
            if bad:
                raise DataError(f"unknown augment option (known: {', '.join(sorted(aug))})", path, None, bad[0])
    return raw


def _flag_type(tp):
    origin = typing.get_origin(tp)
    if origin is tuple:
        return dict(type=int, nargs="*")
    if tp is bool:
        return dict(action=argparse.BooleanOptionalAction)
    return dict(type=tp)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`TrainConfig` field (and per augmentation field), defaulting to "not given"."""
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name == "augment":
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, default=None,
                            help=f"(default: {default})", **_flag_type(hints[f.name]))
    group = parser.add_argument_group("augmentation (Xiao et al. 2018 / Sun et al. 2019 defaults)")
    for f in dataclasses.fields(RandomAugment):
        group.add_argument("--augment-" + f.name.replace("_", "-"), dest="augment_" + f.name, default=None,
                           type=type(f.default), help=f"(default: {f.default})")


def config_from_args(args: argparse.Namespace, base: dict | None = None) -> TrainConfig:
    """Flags given on the command line override ``base`` (a YAML config), which overrides the defaults."""
    values = dict(base or {})
    augment = dict(values.pop("augment", None) or {})
    for f in dataclasses.fields(TrainConfig):
        v = getattr(args, f.name, None)
        if v is not None and f.name != "augment":
            values[f.name] = v
    for f in dataclasses.fields(RandomAugment):
        v = getattr(args, "augment_" + f.name, None)
        if v is not None:
            augment[f.name] = v
    return TrainConfig(**values, augment=RandomAugment(**augment))
