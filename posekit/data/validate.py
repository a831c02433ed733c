"""Validation of COCO-format keypoint datasets and results files.

Every check collects *all* problems in a file rather than stopping at the first,
each one a :class:`~posekit.errors.DataError` naming the file, the record and the
field. ``posekit validate FILE.json`` prints them; loaders raise
:class:`~posekit.errors.ValidationError` carrying the list.

These are the one set of rules: :mod:`posekit.evaluation.coco` checks the same rules with
whole-array operations (:func:`plain_numbers`, :func:`plain_ints`, :data:`COORDINATE_LIMIT`) and
falls back to these functions to name the problem.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import DataError

__all__ = ["dataset_problems", "results_problems", "detections_problems", "mpii_problems", "image_problems",
           "tracks_problems",
           "file_kind", "plain_numbers", "plain_ints", "COORDINATE_LIMIT"]

_NUMBER = (int, float)
# No camera gives an image a million pixels wide: a coordinate beyond this is a unit or
# encoding error (a 1e12 box made eval report an EPE of 6.3e9 before this rule).
COORDINATE_LIMIT = 1e6


def plain_numbers(values: Iterable) -> bool:
    """The whole-array face of the number rule: every value a JSON number (int or float), none a
    boolean or a string. Finiteness and the coordinate limit are checked on the array."""
    return set(map(type, values)) <= {int, float}


def plain_ints(values: Iterable) -> bool:
    """The whole-array face of the id rule: every value a JSON integer (not a boolean, not 1.0)."""
    return set(map(type, values)) <= {int}


def file_kind(obj: Any) -> str:
    """'dataset' (COCO keypoints), 'results' (COCO keypoint results), 'detections' (COCO person
    boxes: results without keypoints), 'tracks' (``posekit track``'s tracks.json), 'mpii' (MMPose
    MPII list) or 'unknown'."""
    if isinstance(obj, Mapping) and "annotations" in obj and "images" in obj:
        return "dataset"
    if isinstance(obj, list):
        if not obj:
            return "results"
        first = obj[0]
        if isinstance(first, Mapping) and "joints" in first and "image" in first:
            return "mpii"
        if isinstance(first, Mapping) and "frame_id" in first and "track_id" in first:
            return "tracks"
        if isinstance(first, Mapping) and "image_id" in first:
            return "detections" if "keypoints" not in first and "bbox" in first else "results"
    return "unknown"


def _is_number(x: Any) -> bool:
    return isinstance(x, _NUMBER) and not isinstance(x, bool)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _finite(x: Any) -> bool:
    return _is_number(x) and math.isfinite(x)


class _Collector:
    def __init__(self, path: str | None):
        self.path, self.items = path, []

    def add(self, message: str, record: object = None, field: str | None = None) -> None:
        self.items.append(DataError(message, self.path, record, field))


def _check_numbers(c: _Collector, values: Any, n: int | None, record: str, field: str, what: str,
                   limit: float | None = None) -> bool:
    """A list of ``n`` finite numbers (of magnitude at most ``limit``); reports and returns False otherwise."""
    if not isinstance(values, list):
        c.add(f"must be a list of numbers, got {type(values).__name__}", record, field)
        return False
    if n is not None and len(values) != n:
        c.add(f"has {len(values)} values, expected {n} ({what})", record, field)
        return False
    bad = [i for i, v in enumerate(values) if not _finite(v)]
    if bad:
        shown = ", ".join(f"[{i}]={values[i]!r}" for i in bad[:3])
        c.add(f"non-finite or non-numeric values at {shown}", record, field)
        return False
    if limit is not None:
        far = [i for i, v in enumerate(values) if abs(v) > limit]
        if far:
            c.add(f"value {values[far[0]]!r} at [{far[0]}] is beyond {limit:g} pixels: not an image coordinate",
                  record, field)
            return False
    return True


def _check_box(c: _Collector, box: Any, record: str, allow_empty: bool = True) -> None:
    """x, y, width, height; ``allow_empty=False`` also refuses a zero width or height (a box that
    is used as a crop or a size normaliser, as the ground truth's and the detections' are)."""
    if not _check_numbers(c, box, 4, record, "bbox", "x, y, width, height", COORDINATE_LIMIT):
        return
    if box[2] < 0 or box[3] < 0:
        c.add(f"negative width or height ({box[2]}, {box[3]})", record, "bbox")
    elif not allow_empty and (box[2] == 0 or box[3] == 0):
        c.add(f"degenerate box: zero width or height ({box[2]}, {box[3]})", record, "bbox")


def _keypoint_categories(c: _Collector, categories: Any) -> dict[Any, int | None]:
    """category id -> number of keypoints (None when the category names none)."""
    out: dict[Any, int | None] = {}
    if not isinstance(categories, list):
        c.add("must be a list", None, "categories")
        return out
    for i, cat in enumerate(categories):
        if not isinstance(cat, Mapping) or not _is_int(cat.get("id")):
            c.add("category without an integer 'id'", f"categories[{i}]", "id")
            continue
        rec = f"category {cat['id']}"
        if cat["id"] in out:
            c.add("duplicate category id", rec, "id")
        names = cat.get("keypoints")
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            c.add("must be a list of keypoint names", rec, "keypoints")
            names = None
        out[cat["id"]] = len(names) if names else None
    return out


def dataset_problems(obj: Any, path: str | None = None, num_keypoints: int | None = None) -> list[DataError]:
    """Every problem in a COCO keypoint dataset (``images``, ``annotations``, ``categories``).

    ``num_keypoints`` supplies K for categories that name no keypoints (e.g. a Halpe
    file read with an explicit skeleton); without it such a category is a problem.
    """
    c = _Collector(path)
    if not isinstance(obj, Mapping):
        c.add(f"a dataset must be a JSON object, got {type(obj).__name__}")
        return c.items
    for key in ("images", "annotations", "categories"):
        if key not in obj:
            c.add("missing key", None, key)
    if c.items:
        return c.items
    cats = _keypoint_categories(c, obj["categories"])
    image_ids: set = set()
    images = obj["images"] if isinstance(obj["images"], list) else []
    if not isinstance(obj["images"], list):
        c.add("must be a list", None, "images")
    for i, img in enumerate(images):
        if not isinstance(img, Mapping) or not _is_int(img.get("id")):
            c.add("image without an integer 'id'", f"images[{i}]", "id")
            continue
        rec = f"image {img['id']}"
        if img["id"] in image_ids:
            c.add("duplicate image id", rec, "id")
        image_ids.add(img["id"])
        for key in ("width", "height"):
            if key in img and not (_finite(img[key]) and img[key] > 0):
                c.add(f"must be a positive number, got {img[key]!r}", rec, key)
        if "file_name" not in img:
            c.add("missing key", rec, "file_name")
        elif not (isinstance(img["file_name"], str) and img["file_name"]):
            c.add("must be a non-empty string", rec, "file_name")
    ann_ids: set = set()
    used_cats_without_names: set = set()
    anns = obj["annotations"] if isinstance(obj["annotations"], list) else []
    if not isinstance(obj["annotations"], list):
        c.add("must be a list", None, "annotations")
    for i, ann in enumerate(anns):
        if not isinstance(ann, Mapping):
            c.add("annotation is not an object", f"annotations[{i}]")
            continue
        rec = f"annotation {ann['id']} (annotations[{i}])" if _is_int(ann.get("id")) else f"annotations[{i}]"
        if not _is_int(ann.get("id")):
            c.add("missing or non-integer id", rec, "id")
        elif ann["id"] in ann_ids:
            c.add("duplicate annotation id", rec, "id")
        else:
            ann_ids.add(ann["id"])
        if "image_id" not in ann:
            c.add("missing key", rec, "image_id")
        elif not _is_int(ann["image_id"]):
            c.add(f"must be an integer, got {ann['image_id']!r}", rec, "image_id")
        elif ann["image_id"] not in image_ids:
            c.add(f"unknown image_id {ann['image_id']!r}", rec, "image_id")
        cat = ann.get("category_id")
        if not _is_int(cat):
            c.add(f"must be an integer, got {cat!r}", rec, "category_id")
            k = None
        elif cat not in cats:
            c.add(f"unknown category_id {cat!r}", rec, "category_id")
            k = None
        else:
            k = cats[cat] or num_keypoints
            if cats[cat] is None and num_keypoints is None:
                used_cats_without_names.add(cat)
        if "keypoints" not in ann:
            c.add("missing key", rec, "keypoints")
        elif _check_numbers(c, ann["keypoints"], None, rec, "keypoints", "", COORDINATE_LIMIT):
            n = len(ann["keypoints"])
            if k is not None and n != 3 * k:
                c.add(f"has {n} values, expected 3*K = {3 * k} for category {cat}", rec, "keypoints")
            elif n % 3:
                c.add(f"has {n} values, not a multiple of 3", rec, "keypoints")
            elif any(v not in (0, 1, 2) for v in ann["keypoints"][2::3]):
                c.add("visibility flags must be 0, 1 or 2", rec, "keypoints")
        if "num_keypoints" in ann and not (_is_int(ann["num_keypoints"]) and ann["num_keypoints"] >= 0):
            c.add(f"must be an integer >= 0, got {ann['num_keypoints']!r}", rec, "num_keypoints")
        if "bbox" not in ann:
            c.add("missing key", rec, "bbox")
        else:
            _check_box(c, ann["bbox"], rec, allow_empty=False)
        if "area" in ann and not (_finite(ann["area"]) and ann["area"] >= 0):
            c.add(f"must be a finite number >= 0, got {ann['area']!r}", rec, "area")
        if "iscrowd" in ann and ann["iscrowd"] not in (0, 1):
            c.add(f"must be 0 or 1, got {ann['iscrowd']!r}", rec, "iscrowd")
    for cat in sorted(used_cats_without_names, key=str):
        c.add("category without keypoint names (give the skeleton explicitly)", f"category {cat}", "keypoints")
    return c.items


def results_problems(records: Any, path: str | None = None, gt: Any = None) -> list[DataError]:
    """Every problem in a COCO keypoint results list. With ``gt`` (a dataset object or
    :class:`~posekit.data.coco.CocoDataset`), image and category ids and K are checked against it."""
    c = _Collector(path)
    if not isinstance(records, list):
        c.add(f"a results file must be a JSON list of records, got {type(records).__name__}")
        return c.items
    image_ids = cats = None
    if gt is not None:
        raw = getattr(gt, "raw", gt)
        image_ids = {img["id"] for img in raw["images"]}
        cats = {cat["id"]: len(cat.get("keypoints") or ()) or None for cat in raw["categories"]}
    ks: set[int] = set()
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            c.add("record is not an object", f"result #{i}")
            continue
        rec = f"result #{i} (image_id {r.get('image_id')!r})"
        for key in ("image_id", "category_id", "keypoints", "score"):
            if key not in r:
                c.add("missing key", rec, key)
            elif key.endswith("_id") and not _is_int(r[key]):
                c.add(f"must be an integer, got {r[key]!r}", rec, key)
        if image_ids is not None and _is_int(r.get("image_id")) and r["image_id"] not in image_ids:
            c.add(f"unknown image_id {r['image_id']!r} (not in the ground truth)", rec, "image_id")
        k = None
        if cats is not None and _is_int(r.get("category_id")):
            if r["category_id"] not in cats:
                c.add(f"category {r['category_id']!r} does not exist in the ground truth", rec, "category_id")
            else:
                k = cats[r["category_id"]]
        if "keypoints" in r and _check_numbers(c, r["keypoints"], None, rec, "keypoints", "", COORDINATE_LIMIT):
            n = len(r["keypoints"])
            if k is not None and n != 3 * k:
                c.add(f"has {n} values, expected 3*K = {3 * k}", rec, "keypoints")
            elif n == 0 or n % 3:
                c.add(f"has {n} values, not 3*K", rec, "keypoints")
            else:
                ks.add(n)
        if "score" in r and not _finite(r["score"]):
            c.add(f"must be a finite number, got {r['score']!r}", rec, "score")
        if "bbox" in r and r["bbox"] != []:
            _check_box(c, r["bbox"], rec)
    if cats is None and len(ks) > 1:
        c.add(f"records disagree on the number of keypoints: {sorted(n // 3 for n in ks)}", None, "keypoints")
    return c.items


def detections_problems(records: Any, path: str | None = None, gt: Any = None) -> list[DataError]:
    """Every problem in a COCO detections file (person boxes with scores, for top-down inference)."""
    c = _Collector(path)
    if not isinstance(records, list):
        c.add(f"a detections file must be a JSON list of records, got {type(records).__name__}")
        return c.items
    image_ids = {img["id"] for img in getattr(gt, "raw", gt)["images"]} if gt is not None else None
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            c.add("record is not an object", f"detection #{i}")
            continue
        rec = f"detection #{i} (image_id {r.get('image_id')!r})"
        for key in ("image_id", "bbox", "score"):
            if key not in r:
                c.add("missing key", rec, key)
        if "image_id" in r and not _is_int(r["image_id"]):
            c.add(f"must be an integer, got {r['image_id']!r}", rec, "image_id")
        elif image_ids is not None and "image_id" in r and r["image_id"] not in image_ids:
            c.add(f"unknown image_id {r['image_id']!r} (not in the ground truth)", rec, "image_id")
        if "bbox" in r:
            _check_box(c, r["bbox"], rec, allow_empty=False)
        if "score" in r and not _finite(r["score"]):
            c.add(f"must be a finite number, got {r['score']!r}", rec, "score")
    return c.items


def tracks_problems(records: Any, path: str | None, num_keypoints: int, num_frames: float,
                    image_index: Mapping[int, int] | None = None) -> list[DataError]:
    """Every problem in a tracks file (``posekit track``'s tracks.json): records with a 0-based
    integer ``frame_id`` below ``num_frames`` (or a ground-truth ``image_id`` in ``image_index``),
    an integer ``track_id``, 3 * ``num_keypoints`` keypoint values and an optional finite score."""
    c = _Collector(path)
    if not isinstance(records, list):
        c.add(f"a tracks file must be a JSON list of records, got {type(records).__name__}")
        return c.items
    for i, r in enumerate(records):
        rec = f"track #{i}"
        if not isinstance(r, Mapping):
            c.add("record is not an object", rec)
            continue
        if "frame_id" in r:
            if not _is_int(r["frame_id"]):
                c.add(f"must be an integer, got {r['frame_id']!r}", rec, "frame_id")
            elif not 0 <= r["frame_id"] < num_frames:
                c.add(f"frame {r['frame_id']} is outside the video's {num_frames} frames", rec, "frame_id")
        elif not (_is_int(r.get("image_id")) and image_index is not None and r["image_id"] in image_index):
            c.add("needs a 0-based 'frame_id' or a ground-truth 'image_id'", rec, "frame_id")
        if "track_id" not in r:
            c.add("missing key", rec, "track_id")
        elif not _is_int(r["track_id"]):
            c.add(f"must be an integer, got {r['track_id']!r}", rec, "track_id")
        if "keypoints" not in r:
            c.add("missing key", rec, "keypoints")
        else:
            _check_numbers(c, r["keypoints"], 3 * num_keypoints, rec, "keypoints", f"x, y, score of {num_keypoints}",
                           COORDINATE_LIMIT)
        if "score" in r and not _finite(r["score"]):
            c.add(f"must be a finite number, got {r['score']!r}", rec, "score")
    return c.items


def mpii_problems(records: Any, path: str | None = None, num_joints: int = 16) -> list[DataError]:
    """Every problem in an MMPose-style MPII annotation list (joints, joints_vis, center, scale, image)."""
    c = _Collector(path)
    if not isinstance(records, list):
        c.add(f"an MPII file must be a JSON list, got {type(records).__name__}")
        return c.items
    for i, r in enumerate(records):
        rec = f"record #{i} ({r.get('image')!r})" if isinstance(r, Mapping) else f"record #{i}"
        if not isinstance(r, Mapping):
            c.add("record is not an object", rec)
            continue
        for key in ("image", "joints", "joints_vis", "center", "scale"):
            if key not in r:
                c.add("missing key", rec, key)
        joints = r.get("joints")
        if isinstance(joints, list):
            flat = [v for j in joints for v in (j if isinstance(j, list) else [j])]
            if len(joints) != num_joints or any(not isinstance(j, list) or len(j) != 2 for j in joints):
                c.add(f"must be {num_joints} [x, y] pairs", rec, "joints")
            else:
                _check_numbers(c, flat, 2 * num_joints, rec, "joints", "x, y per joint", COORDINATE_LIMIT)
        if "joints_vis" in r and (not isinstance(r["joints_vis"], list) or len(r["joints_vis"]) != num_joints):
            c.add(f"must be a list of {num_joints} flags", rec, "joints_vis")
        if "image" in r and not (isinstance(r["image"], str) and r["image"]):
            c.add("must be a non-empty string", rec, "image")
        if "center" in r:
            _check_numbers(c, r["center"], 2, rec, "center", "x, y", COORDINATE_LIMIT)
        if "scale" in r and not (_finite(r["scale"]) and r["scale"] > 0):
            c.add(f"must be a positive number, got {r['scale']!r}", rec, "scale")
    return c.items



def image_problems(files: Iterable[tuple[object, str]], root: str | os.PathLike, path: str | None = None,
                   sizes: Mapping[object, tuple] | None = None) -> list[DataError]:
    """Every image that is missing under ``root``, does not open, or whose size differs from the
    file's ``width`` and ``height``. ``files``: (record, file_name) pairs; ``sizes``: record ->
    (width, height) where the file states it. Reads each image's header, not its pixels."""
    from PIL import Image

    c = _Collector(path)
    root = Path(root)
    for record, name in files:
        target = root / name
        if not target.is_file():
            c.add(f"image {str(target)!r} does not exist" if not target.exists() else
                  f"image {str(target)!r} is not a file", record, "file_name")
            continue
        try:
            with Image.open(target) as im:
                size = im.size
                im.verify()
        except Exception as e:  # noqa: BLE001 - PIL raises many types for a file it cannot read
            c.add(f"image {str(target)!r} does not open ({type(e).__name__}: {str(e).splitlines()[0][:80]})",
                  record, "file_name")
            continue
        want = (sizes or {}).get(record)
        if want and all(want) and tuple(int(v) for v in want) != size:
            c.add(f"image {str(target)!r} is {size[0]}x{size[1]}, the file says {want[0]}x{want[1]}",
                  record, "width")
    return c.items
