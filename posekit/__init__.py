"""posekit: 2D human pose estimation, organised as the survey of Chen et al. (2023) is.

Importing posekit is cheap: it does not import torch. Model code is imported on use.
"""
from __future__ import annotations

import importlib
import os

__version__ = "0.1.0"

# torch 2.13's oneDNN bf16 kernels for Intel AMX turn CPU training under bf16 autocast into NaN
# within a few steps (SimpleBaseline-R18 at step 5 on an AMX Xeon; the same run without AMX matches
# the figures measured elsewhere to the last digit). Capping oneDNN at AVX-512 BF16 keeps bf16 and
# AVX-512 and leaves out the AMX tiles. oneDNN reads this when it first runs, so it must be set
# before any convolution; the user's own setting wins. tests/engine/test_learning_quick.py fails
# without it on an AMX machine.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")

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
