"""One reader for every ground-truth format posekit knows, chosen by the file's content.

``posekit validate`` recognises a file by :func:`~posekit.data.validate.file_kind`; every
command that takes a ground truth (``eval --gt``, ``infer --gt``, ``calibrate --gt``) reads it
through :func:`load_any_dataset`, so a file that validates is a file they can read.
"""
from __future__ import annotations

import os

from ..errors import DataError
from ..fileio import read_json
from ..skeletons import MPII16, Skeleton
from .coco import CocoDataset
from .validate import file_kind

__all__ = ["load_any_dataset", "GROUND_TRUTH_KINDS"]

GROUND_TRUTH_KINDS = ("dataset", "mpii")  # COCO keypoints (CrowdPose, PoseTrack18, ...), MMPose MPII


def load_any_dataset(path: str | os.PathLike, skeleton: Skeleton | str | None = None) -> CocoDataset:
    """A validated :class:`CocoDataset` from a COCO-format keypoint file or an MMPose MPII list.

    MPII records become one image and one annotation each (MPII is annotated per person), with
    MPII-16 keypoints and each record's head box as the annotation's ``bbox_head`` (x, y, w, h),
    the normaliser of PCKh. Results and detections files are refused by name.
    """
    obj = read_json(path)
    kind = file_kind(obj)
    if kind == "dataset":
        return CocoDataset(obj, path, skeleton)
    if kind == "mpii":
        from .mpii import head_boxes, mpii_samples

        samples = mpii_samples(obj, path)
        ds = CocoDataset.from_samples(samples, MPII16, path=path)
        for ann, (x1, y1, x2, y2) in zip(ds.annotations, head_boxes(samples)):
            ann["bbox_head"] = [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]
        return ds
    if kind in ("results", "detections"):
        raise DataError(f"is a {kind} file (a list of {'poses' if kind == 'results' else 'boxes'}), "
                        "not a ground-truth dataset", path)
    raise DataError("neither a COCO keypoint dataset (images, annotations, categories) nor MPII annotations "
                    f"(a list of records with joints and image), got a JSON {type(obj).__name__}", path)
