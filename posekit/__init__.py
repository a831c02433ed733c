"""posekit: 2D human pose estimation, organised as the survey of Chen et al. (2023) is.

Importing posekit is cheap: it does not import torch. Model code is imported on use.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public names resolved on first use, so `import posekit` stays light.
_LAZY = {
    "PoseSample": "posekit.structures",
    "PoseResult": "posekit.structures",
    "Skeleton": "posekit.skeletons",
    "get_skeleton": "posekit.skeletons",
    "evaluate_coco": "posekit.evaluation",
    "PosekitError": "posekit.errors",
    "load": "posekit.estimators",
    "build_model": "posekit.zoo",
    "PRESETS": "posekit.zoo",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'posekit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
