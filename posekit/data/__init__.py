"""Datasets: readers and writers (COCO, MPII, CrowdPose, PoseTrack18), validation, synthetic people.

:func:`load_any_dataset` reads any ground truth posekit knows, recognised by its content.
"""
from .readers import load_any_dataset

__all__ = ["load_any_dataset"]
