"""Training configuration: typed dataclasses, readable from YAML and from ``posekit train`` flags.

The YAML keys are the field names (``batch_size: 16``); the command-line flags are the same
names with dashes (``--batch-size 16``). Augmentation options belong to the training driver
(top-down crops have :class:`posekit.topdown.transforms.RandomAugment`), which the caller
names as ``augment_type``; in YAML they are written either nested (``augment: {flip_prob: 0}``)
or flat, as the flags spell them (``augment_flip_prob: 0``). ``posekit train --help`` lists
every field and ``posekit train --print-config`` prints the effective configuration.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from dataclasses import dataclass
from typing import Any

from ..errors import DataError

__all__ = ["TrainConfig", "load_config", "add_config_arguments", "config_from_args", "plain_config",
           "config_yaml"]


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
    loss: str = ""                               # the preset's loss by name ("" = its own): mse, ohkm, awing, focal,
    #                                              kl (heatmaps); l1, l2, wing, oks, limbs (DeepPose coordinates)
    epochs: int = 140
    max_steps: int = 0                           # stop after this many steps in all; 0 = epochs x steps per epoch
    max_minutes: float = 0.0                     # wall-clock budget of the whole run (validation included); 0 = none
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
    resume: bool = False                         # continue from out/last.json if present
    save_every: int = 0                          # steps between mid-epoch checkpoints; 0 = at epoch ends only
    log_every: int = 10                          # steps between rows of steps.csv
    multitask: str = ""                          # "" | seg: a person-segmentation head beside the keypoints
    #                                              (COCO polygons / RLE; top-down; docs/training.md)
    multitask_weighting: str = "fixed"           # fixed (L_k + seg_weight L_s) | uncertainty (Kendall et al. 2018)
    seg_weight: float = 0.01                     # the segmentation loss's weight under fixed weighting
    augment: Any = None                          # the driver's augmentation dataclass; None = its defaults

    def __post_init__(self) -> None:
        self.milestones = tuple(int(m) for m in self.milestones)
        for name, allowed in (("optimizer", ("adam", "adamw")), ("schedule", ("step", "cosine")),
                              ("amp", ("auto", "bf16", "fp16", "off")), ("val_metric", ("ap", "pck")),
                              ("device", ("auto", "cpu", "cuda")), ("multitask", ("", "seg")),
                              ("multitask_weighting", ("fixed", "uncertainty"))):
            if getattr(self, name) not in allowed:
                raise DataError(f"must be one of {', '.join(allowed)}, not {getattr(self, name)!r}", None, None, name)
        for name in ("epochs", "max_steps", "save_every", "log_every", "val_every", "batch_size", "warmup_steps"):
            if getattr(self, name) < (1 if name in ("log_every", "val_every", "batch_size") else 0):
                raise DataError(f"must not be {getattr(self, name)}", None, None, name)


def _fields(tp) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(tp)} if tp is not None else {}


def load_config(path: str | os.PathLike, augment_type: type | None = None) -> dict:
    """The keys of a YAML config file, checked against :class:`TrainConfig`'s fields and, nested
    under ``augment`` or flat as ``augment_NAME``, against ``augment_type``'s. Returns the keys
    with the augmentation options gathered under ``augment``."""
    import yaml

    with open(path, encoding="utf-8") as f:
        try:
            raw = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise DataError(f"not valid YAML: {str(e).splitlines()[0]}", path) from None
    if not isinstance(raw, dict):
        raise DataError("a config file must be a mapping of option names to values", path)
    names, aug = _fields(TrainConfig), _fields(augment_type)
    out: dict = {}
    augment: dict = {}
    for key, value in raw.items():
        key = str(key).replace("-", "_")
        if key == "augment":
            if not isinstance(value, dict):
                raise DataError("must be a mapping of augmentation options", path, None, "augment")
            for k, v in value.items():
                if str(k) not in aug:
                    raise DataError(f"unknown augment option (known: {', '.join(sorted(aug))})", path, None, str(k))
                augment[str(k)] = v
        elif key.startswith("augment_") and key[len("augment_"):] in aug:
            augment[key[len("augment_"):]] = value
        elif key in names:
            out[key] = value
        else:
            known = sorted([n for n in names if n != "augment"] + [f"augment_{a}" for a in aug])
            raise DataError(f"unknown option (known: {', '.join(known)})", path, None, key)
    if augment:
        out["augment"] = augment
    return out


def _flag_type(tp):
    origin = typing.get_origin(tp)
    if origin is tuple:
        return dict(type=int, nargs="*")
    if tp is bool:
        return dict(action=argparse.BooleanOptionalAction)
    return dict(type=tp)


def add_config_arguments(parser: argparse.ArgumentParser, augment_type: type | None = None) -> None:
    """One flag per :class:`TrainConfig` field (and per field of ``augment_type``), defaulting to "not given"."""
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name == "augment":
            continue
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, default=None,
                            help=f"(default: {f.default})", **_flag_type(hints[f.name]))
    if augment_type is None:
        return
    group = parser.add_argument_group(f"augmentation ({augment_type.__doc__.splitlines()[0]})")
    for f in dataclasses.fields(augment_type):
        group.add_argument("--augment-" + f.name.replace("_", "-"), dest="augment_" + f.name, default=None,
                           type=type(f.default), help=f"(default: {f.default})")


def config_from_args(args: argparse.Namespace, base: dict | None = None,
                     augment_type: type | None = None) -> TrainConfig:
    """Flags given on the command line override ``base`` (a YAML config), which overrides the defaults.
    With ``augment_type`` the augmentation options become an instance of it."""
    values = dict(base or {})
    augment = dict(values.pop("augment", None) or {})
    for f in dataclasses.fields(TrainConfig):
        v = getattr(args, f.name, None)
        if v is not None and f.name != "augment":
            values[f.name] = v
    for name in _fields(augment_type):
        v = getattr(args, "augment_" + name, None)
        if v is not None:
            augment[name] = v
    if augment_type is not None:
        try:
            values["augment"] = augment_type(**augment)
        except (TypeError, ValueError) as e:
            raise DataError(f"bad augmentation options: {e}", None, None, "augment") from None
    elif augment:
        values["augment"] = augment
    try:
        return TrainConfig(**values)
    except TypeError as e:
        raise DataError(f"bad configuration: {e}") from None


def plain_config(cfg: TrainConfig) -> dict:
    """``cfg`` as plain JSON/YAML values (the augmentation dataclass as a mapping)."""
    d = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    d["milestones"] = list(cfg.milestones)
    a = cfg.augment
    d["augment"] = dataclasses.asdict(a) if dataclasses.is_dataclass(a) else (dict(a) if a else {})
    return d


def config_yaml(cfg: TrainConfig) -> str:
    """The effective configuration as YAML that ``--config`` reads back."""
    import yaml

    return yaml.safe_dump(plain_config(cfg), sort_keys=False, default_flow_style=None)
