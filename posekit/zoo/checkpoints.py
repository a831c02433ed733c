"""Models from files: a checkpoint (a ``.safetensors`` file or a run directory of ``posekit
train``) rebuilt from the spec it carries, or a preset by name. The zoo layer joins the engine's
checkpoints to its table of builders."""
from __future__ import annotations

import os

from ..errors import ModelError

__all__ = ["load_model", "resolve_model"]


def load_model(path: str | os.PathLike):
    """The model a weights file or run directory holds (its ``best.safetensors``, else its last
    checkpoint), rebuilt from the spec in the file, in eval mode."""
    from ..engine.checkpoint import load_model as load
    from . import build_from_spec

    return load(path, build_from_spec)


def resolve_model(name_or_path: str | os.PathLike):
    """A checkpoint (file or run directory) or, failing that, a preset name (randomly initialised)."""
    from . import PRESETS, build_model

    if os.path.exists(name_or_path):
        return load_model(name_or_path)
    if str(name_or_path) in PRESETS:
        return build_model(str(name_or_path)).eval()
    raise ModelError(f"{name_or_path}: neither a checkpoint file or run directory nor a preset "
                     f"(`posekit zoo list` shows the presets)")
