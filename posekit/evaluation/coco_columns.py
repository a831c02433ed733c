"""COCO keypoint records as :class:`KeypointTable` columns, with cocoapi's conventions (``loadRes``
areas and ids, ``_prepare`` ignore flags), built and checked with whole-array operations.

A failed check raises :class:`_Invalid`; :mod:`posekit.evaluation.coco` then runs the
record-by-record validator of :mod:`posekit.data.validate` to name every problem.
"""
from __future__ import annotations

import itertools
from typing import Mapping

import numpy as np

from ..data.validate import COORDINATE_LIMIT, plain_ints, plain_numbers
from .tables import KeypointTable

__all__ = ["gt_table", "dt_table"]


class _Invalid(Exception):
    """A whole-array check failed; the record-by-record validator will say where."""


def _repeats(values: np.ndarray) -> bool:
    """Whether some value occurs twice (``np.unique`` would import ``numpy.ma``: 10-40 ms)."""
    s = np.sort(values)
    return bool((s[1:] == s[:-1]).any())


def _within(values: np.ndarray, allowed: np.ndarray) -> bool:
    """``np.isin(values, allowed).all()`` by a binary search (allowed: any order)."""
    allowed = np.sort(np.asarray(allowed))
    if len(allowed) == 0:
        return len(values) == 0
    at = np.minimum(np.searchsorted(allowed, values), len(allowed) - 1)
    return bool((allowed[at] == values).all())


def _numbers(rows: list, width: int, plain: bool = False) -> np.ndarray:
    """(N, width) float64 from a list of equal-length number lists, or _Invalid.

    ``plain``: the parsed text held no ``true``/``false``, so no value is a boolean and NumPy's own
    conversion tells the rest: an array of kind int or float holds only numbers (a string, None,
    a list or a dict among them gives another kind, shape or an error). Otherwise, or when that
    conversion is refused, every value's type is checked as before.
    """
    if plain:
        try:
            out = np.array(rows) if rows else np.zeros((0, width))
        except (ValueError, TypeError, OverflowError):
            out = None
        # A row that is no list of ``width`` numbers (orjson gives lists, never tuples) changes the shape or kind.
        if out is not None and out.dtype.kind in "fi" and out.shape == (len(rows), width):
            out = out.astype(np.float64, copy=False)
            if not (np.abs(out) <= COORDINATE_LIMIT).all():
                raise _Invalid  # also NaN
            return out
    if any(type(r) is not list or len(r) != width for r in rows):
        raise _Invalid
    if not plain_numbers(itertools.chain.from_iterable(rows)):
        raise _Invalid  # a string, a boolean or null among the numbers
    out = np.fromiter(itertools.chain.from_iterable(rows), np.float64, count=len(rows) * width)
    if not (np.abs(out) <= COORDINATE_LIMIT).all():
        raise _Invalid  # also NaN
    return out.reshape(len(rows), width)


def _ints(values: list) -> np.ndarray:
    if not plain_ints(values):
        raise _Invalid
    return np.array(values, np.int64)


def gt_table(annotations: list[dict], category_id: int, k: int, plain: bool = False) -> KeypointTable:
    """Ground truth columns with cocoapi's ``_prepare`` rules: ``ignore`` is crowd, or no labelled keypoint."""
    try:
        anns = [a for a in annotations if a["category_id"] == category_id]
        n = len(anns)
        kp = _numbers([a["keypoints"] for a in anns], 3 * k, plain).reshape(n, k, 3)
        bbox = _numbers([a["bbox"] for a in anns], 4, plain)
        crowd = np.array([a.get("iscrowd", 0) for a in anns]) if n else np.zeros(0, np.int64)
        num = [a.get("num_keypoints", -1) for a in anns]
        area = [a["area"] if "area" in a else a["bbox"][2] * a["bbox"][3] for a in anns]
        if not (plain_ints(num) and plain_numbers(area)):
            raise _Invalid
        num, area = np.array(num, np.float64), np.array(area, np.float64)
        table = KeypointTable(
            image_id=_ints([a["image_id"] for a in anns]), keypoints=kp, area=area, bbox=bbox,
            iscrowd=crowd.astype(bool), ignore=np.zeros(n, bool), ann_id=_ints([a["id"] for a in anns]),
            score=np.zeros(n))
    except (KeyError, TypeError, ValueError, IndexError):
        raise _Invalid from None
    labelled = np.count_nonzero(kp[:, :, 2] > 0, axis=1)
    if not ((crowd == 0) | (crowd == 1)).all():
        raise _Invalid
    # cocoapi trusts the file's num_keypoints (CrowdPose and Halpe count differently from v > 0).
    table.ignore = table.iscrowd | (np.where(num >= 0, num, labelled) == 0)
    return table


def _check_gt(gt: Mapping, tables: dict, image_ids: np.ndarray, skeletons: dict) -> None:
    anns = gt["annotations"]
    try:
        cat_of = _ints([a["category_id"] for a in anns])
        ids = _ints([a["id"] for a in anns])
        on_image = _ints([a["image_id"] for a in anns])
    except (KeyError, TypeError):
        raise _Invalid from None
    counted = sum(len(t) for t in tables.values())
    cat_ids = [c.get("id") for c in gt["categories"]]
    if (counted != len(anns) or _repeats(ids) or not _within(on_image, image_ids)
            or len(set(cat_ids)) != len(cat_ids)
            or (len(cat_of) and not _within(cat_of, np.array(list(skeletons), np.int64)))):
        raise _Invalid
    for t in tables.values():
        v = t.keypoints[:, :, 2]
        if not (np.isfinite(t.keypoints).all() and np.isfinite(t.bbox).all() and np.isfinite(t.area).all()):
            raise _Invalid
        if (t.bbox[:, 2:] <= 0).any() or (t.area < 0).any() or not ((v == 0) | (v == 1) | (v == 2)).all():
            raise _Invalid


def dt_table(records: list[dict], category_id: int, k: int, plain: bool = False) -> KeypointTable:
    """Detection columns with cocoapi's ``loadRes`` rules: ids are 1-based file positions; the
    area is the box's when the file's first record has a box, else the keypoints' extent."""
    try:
        idx = [i for i, r in enumerate(records) if r["category_id"] == category_id]
        recs = records if len(idx) == len(records) else [records[i] for i in idx]
        n = len(recs)
        kp = _numbers([r["keypoints"] for r in recs], 3 * k, plain).reshape(n, k, 3)
        # cocoapi takes the area from the box when the file's first record has one.
        boxed = bool(records) and "bbox" in records[0] and records[0]["bbox"] != []
        lo, hi = kp[:, :, :2].min(axis=1, initial=np.inf), kp[:, :, :2].max(axis=1, initial=-np.inf)
        bbox = np.concatenate([lo, hi - lo], axis=1)
        area = (hi[:, 0] - lo[:, 0]) * (hi[:, 1] - lo[:, 1])
        given = [r.get("bbox") for r in recs]
        has = np.array([b is not None and b != [] for b in given], bool)
        if has.any():
            boxes = _numbers([b for b, h in zip(given, has) if h] if not has.all() else given, 4, plain)
            if not (np.isfinite(boxes).all() and (boxes[:, 2:] >= 0).all()):
                raise _Invalid
            if boxed:
                bbox[has], area[has] = boxes, boxes[:, 2] * boxes[:, 3]
        score = [r["score"] for r in recs]
        if not plain_numbers(score):
            raise _Invalid
        score = np.array(score, np.float64)
        return KeypointTable(
            image_id=_ints([r["image_id"] for r in recs]), keypoints=kp, area=area, bbox=bbox,
            iscrowd=np.zeros(n, bool), ignore=np.zeros(n, bool), ann_id=np.asarray(idx, np.int64) + 1,
            score=score.astype(np.float64))
    except (KeyError, TypeError, ValueError, IndexError):
        raise _Invalid from None


def _check_dt(records: list, tables: dict, image_ids: np.ndarray) -> None:
    if sum(len(t) for t in tables.values()) != len(records):
        raise _Invalid  # a record of an unknown category
    if not plain_ints(r["category_id"] for r in records):
        raise _Invalid
    for t in tables.values():
        if not (np.isfinite(t.keypoints).all() and np.isfinite(t.score).all() and np.isfinite(t.bbox).all()):
            raise _Invalid
        if (t.bbox[:, 2:] < 0).any() or not _within(t.image_id, image_ids):
            raise _Invalid
