"""COCO keypoint results files: ``[{image_id, category_id, keypoints, score, bbox?}, ...]``.

The format every COCO-style evaluator reads (cocoapi's ``loadRes``). Keypoints are
x, y, confidence triplets in image pixels.
"""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from ..errors import ValidationError
from ..fileio import read_json, write_json
from ..structures import PoseResult
from .validate import results_problems

__all__ = ["load_results", "save_results", "results_to_records", "records_to_results", "keypoints_as"]


def load_results(source: str | os.PathLike | list, gt: Any = None, path: str | None = None) -> list[dict]:
    """Read and validate a results file (or an in-memory list) against optional ground truth."""
    if isinstance(source, (str, os.PathLike)):
        path, records = str(source), read_json(source)
    else:
        records = source
    problems = results_problems(records, path, gt)
    if problems:
        raise ValidationError(problems)
    return records


def keypoints_as(result: PoseResult, skeleton) -> tuple[np.ndarray, np.ndarray]:
    """``result``'s keypoints (N, K, 2) and scores (N, K) in keypoint set ``skeleton``.

    The model's own set, one of ``result.views``, or else mapped by keypoint name from the
    model's set (:func:`posekit.skeletons.mapping`); keypoints the model does not have are
    (0, 0) with score 0, which COCO-style evaluation reads as not predicted.
    """
    name = getattr(skeleton, "name", skeleton)
    if name in (None, result.skeleton) and getattr(skeleton, "names", None) in (None, _names(result.skeleton)):
        return result.keypoints, result.keypoint_scores
    if name in result.views:
        return result.views[name]
    from ..skeletons import mapping

    m = mapping(result.skeleton, skeleton)
    if not m.available.any():
        from ..errors import SkeletonError

        raise SkeletonError(f"the model's keypoints ({result.skeleton}) share no names with {name}")
    return m.apply(result.keypoints), m.apply(result.keypoint_scores[..., None])[..., 0]


def _names(skeleton: str):
    from ..skeletons import SKELETONS

    known = SKELETONS.get(skeleton)
    return known.names if known is not None else None


def results_to_records(results: Iterable[PoseResult], view: str | None = None) -> list[dict]:
    """One record per person. ``view`` picks another keypoint set (see :func:`keypoints_as`)."""
    records = []
    for r in results:
        kp, ks = keypoints_as(r, view)
        if len(kp) == 0:
            continue
        trip = np.concatenate([kp, ks[..., None]], axis=-1).reshape(len(kp), -1)
        for i in range(len(kp)):
            rec = {"image_id": int(r.image_id), "category_id": int(r.category_id),
                   "keypoints": [round(float(v), 3) for v in trip[i]], "score": float(r.scores[i]),
                   "bbox": [round(float(v), 3) for v in r.boxes[i]]}
            if r.track_ids is not None:
                rec["track_id"] = int(r.track_ids[i])
            records.append(rec)
    return records


def records_to_results(records: Iterable[dict], skeleton: str = "coco17") -> list[PoseResult]:
    """Group records by image into :class:`PoseResult` objects (images in first-seen order)."""
    by_image: dict[Any, list[dict]] = defaultdict(list)
    for rec in records:
        by_image[rec["image_id"]].append(rec)
    out = []
    for image_id, recs in by_image.items():
        trip = np.array([r["keypoints"] for r in recs], dtype=np.float64).reshape(len(recs), -1, 3)
        boxes = None
        if all(r.get("bbox") for r in recs):
            boxes = np.array([r["bbox"] for r in recs], dtype=np.float64)
        tracks = [r.get("track_id") for r in recs]
        out.append(PoseResult(
            image_id=image_id, keypoints=trip[..., :2], keypoint_scores=trip[..., 2],
            scores=np.array([r["score"] for r in recs], dtype=np.float64), boxes=boxes,
            track_ids=np.array(tracks) if all(t is not None for t in tracks) else None,
            skeleton=skeleton, category_id=int(recs[0]["category_id"])))
    return out


def save_results(results: Iterable[PoseResult] | list[dict], path: str | os.PathLike,
                 view: str | None = None) -> None:
    """Write a COCO results file atomically (records, or PoseResults converted)."""
    results = list(results)
    records = results if results and isinstance(results[0], dict) else results_to_records(results, view)
    write_json(path, records)
