"""``evaluate_coco``: COCO keypoint AP/AR of results against a COCO-format ground truth.

Reads the files, turns records into :class:`KeypointTable` columns with cocoapi's
conventions (``loadRes`` areas, ``_prepare`` ignore flags) and runs the vectorised
evaluator of :mod:`posekit.evaluation.coco_eval`.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ..data.coco import CocoDataset
from ..data.results import load_results, results_to_records
from ..errors import DataError
from .coco_eval import CocoEvalParams, CocoKeypointEval, evaluate_tables
from .tables import KeypointTable

__all__ = ["evaluate_coco"]


def evaluate_coco(gt: CocoDataset | str | os.PathLike, results: Any, sigmas: Sequence[float] | None = None,
                  params: CocoEvalParams | None = None) -> CocoKeypointEval:
    """COCO keypoint evaluation, equal to pycocotools' ``COCOeval(gt, dt, 'keypoints')``.

    ``gt``: a :class:`CocoDataset` or a path. ``results``: a path, a list of COCO result
    records, or a list of :class:`PoseResult`. ``sigmas`` overrides the OKS sigmas of
    every keypoint category (by default they come from the category's skeleton).
    """
    if not isinstance(gt, CocoDataset):
        gt = CocoDataset.load(gt)
    if isinstance(results, (list, tuple)) and results and not isinstance(results[0], dict):
        results = results_to_records(results)
    records = load_results(results if not isinstance(results, tuple) else list(results), gt)
    cats = gt.keypoint_category_ids()
    sig = {}
    for cat in cats:
        skel = gt.skeleton(cat)
        s = np.asarray(sigmas, dtype=np.float64) if sigmas is not None else (
            skel.sigma_array() if skel.sigmas is not None else None)
        if s is None:
            raise DataError(f"no OKS sigmas known for keypoints {list(skel.names)[:4]}...; pass sigmas",
                            gt.path, f"category {cat}", "keypoints")
        if len(s) != skel.num_keypoints:
            raise DataError(f"{len(s)} sigmas given for {skel.num_keypoints} keypoints", gt.path,
                            f"category {cat}", "keypoints")
        sig[cat] = s
    tables = {cat: (gt_table(gt.annotations, cat, gt.skeleton(cat).num_keypoints),
                    dt_table(records, cat, gt.skeleton(cat).num_keypoints)) for cat in cats}
    return evaluate_tables(tables, np.array(gt.image_ids, dtype=np.int64), sig, params)


def gt_table(annotations: list[dict], category_id: int, k: int) -> KeypointTable:
    """Ground truth columns with cocoapi's ``_prepare`` rules: ``ignore`` is crowd, or no labelled keypoint."""
    anns = [a for a in annotations if a["category_id"] == category_id]
    n = len(anns)
    if n == 0:
        return KeypointTable.empty(k)
    kp = np.array([a["keypoints"] for a in anns], dtype=np.float64).reshape(n, k, 3)
    crowd = np.array([bool(a.get("iscrowd", 0)) for a in anns])
    num = np.array([a["num_keypoints"] if "num_keypoints" in a else -1 for a in anns])
    num = np.where(num < 0, np.count_nonzero(kp[:, :, 2] > 0, axis=1), num)
    area = np.array([a["area"] if "area" in a else a["bbox"][2] * a["bbox"][3] for a in anns], dtype=np.float64)
    return KeypointTable(
        image_id=np.array([a["image_id"] for a in anns], dtype=np.int64), keypoints=kp, area=area,
        bbox=np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(n, 4), iscrowd=crowd,
        ignore=crowd | (num == 0), ann_id=np.array([a["id"] for a in anns], dtype=np.int64), score=np.zeros(n))


def dt_table(records: list[dict], category_id: int, k: int) -> KeypointTable:
    """Detection columns with cocoapi's ``loadRes`` rules: ids are 1-based file positions; the
    area is the box's when the file's first record has a box, else the keypoints' extent."""
    idx = [i for i, r in enumerate(records) if r["category_id"] == category_id]
    n = len(idx)
    if n == 0:
        return KeypointTable.empty(k)
    recs = [records[i] for i in idx]
    kp = np.array([r["keypoints"] for r in recs], dtype=np.float64).reshape(n, k, 3)
    boxed = "bbox" in records[0] and records[0]["bbox"] != []
    if boxed:
        bbox = np.array([r["bbox"] for r in recs], dtype=np.float64).reshape(n, 4)
        area = bbox[:, 2] * bbox[:, 3]
    else:
        lo, hi = kp[:, :, :2].min(axis=1), kp[:, :, :2].max(axis=1)
        bbox = np.concatenate([lo, hi - lo], axis=1)
        area = (hi[:, 0] - lo[:, 0]) * (hi[:, 1] - lo[:, 1])
    return KeypointTable(
        image_id=np.array([r["image_id"] for r in recs], dtype=np.int64), keypoints=kp, area=area, bbox=bbox,
        iscrowd=np.zeros(n, bool), ignore=np.zeros(n, bool), ann_id=np.array(idx, dtype=np.int64) + 1,
        score=np.array([r["score"] for r in recs], dtype=np.float64))
