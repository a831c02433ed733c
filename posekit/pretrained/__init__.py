"""Pretrained models that work offline: weights read from local files, converted once, cached.

``posekit.load("blazepose-full")`` returns a ready estimator (see :mod:`posekit.topdown.blazepose`).
"""
from __future__ import annotations

from ..errors import ModelError

__all__ = ["load", "PRETRAINED"]

# name -> (what it is, its paper, published figure). The one table of pretrained presets.
PRETRAINED = {
    "blazepose-full": ("BlazePose detector + full landmark model (33 keypoints), MediaPipe 0.10.14 weights",
                       "Bazarevsky et al., BlazePose: On-device Real-time Body Pose tracking, CVPRW 2020"),
}


def load(name: str = "blazepose-full", backend: str = "torch", **options):
    """A pretrained estimator: ``estimator(image)`` -> list of :class:`PoseResult` (one per person)."""
    if name not in PRETRAINED:
        raise ModelError(f"unknown pretrained model {name!r}; available: {', '.join(PRETRAINED)}")
    from ..topdown.blazepose import BlazePose, BlazePoseConfig

    wheel = options.pop("wheel", None)
    return BlazePose(BlazePoseConfig(**options), backend=backend, wheel=wheel)
