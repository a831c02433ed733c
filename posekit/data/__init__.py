"""Datasets: readers and writers (COCO, MPII, CrowdPose, PoseTrack18), validation, synthetic people.

:func:`load_any_dataset` reads any ground truth posekit knows, recognised by its content. It is
imported on first use, so a submodule (``posekit.data.validate``: ``posekit eval``'s checks)
loads without the readers.
"""
from __future__ import annotations

__all__ = ["load_any_dataset"]


def __getattr__(name: str):
    if name == "load_any_dataset":
        from .readers import load_any_dataset

        return load_any_dataset
    raise AttributeError(f"module 'posekit.data' has no attribute {name!r}")
