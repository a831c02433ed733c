"""``evaluate_coco``: COCO keypoint AP/AR of results against a COCO-format ground truth.

Turns records into :class:`KeypointTable` columns with cocoapi's conventions
(``loadRes`` areas and ids, ``_prepare`` ignore flags) and runs the vectorised
evaluator of :mod:`posekit.evaluation.coco_eval`.

The columns are built and checked with whole-array operations. When any check
fails, the record-by-record validator of :mod:`posekit.data.validate` runs to name
every problem, so errors are as precise as ``posekit validate``'s.

Speed: files are parsed by orjson with the garbage collector paused; when the text holds
no ``true``/``false``, NumPy converts each number column at once (its shape and kind
vouch for the values), else every value's type is checked. A NumPy-only parser (regex
plus ``np.fromstring`` or vectorised digit arithmetic) was measured slower than orjson.
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..data.validate import COORDINATE_LIMIT, dataset_problems, plain_ints, plain_numbers, results_problems
from ..errors import DataError, ValidationError
from ..fileio import read_json
from ..skeletons import Skeleton, get_skeleton, skeleton_from_category
from .coco_eval import CocoEvalParams, CocoKeypointEval, evaluate_tables
from .tables import KeypointTable

if TYPE_CHECKING:
    from ..data.coco import CocoDataset

__all__ = ["evaluate_coco", "gt_table", "dt_table"]


class _Invalid(Exception):
    """A whole-array check failed; the record-by-record validator will say where."""


def _is_dataset(obj: Any) -> bool:
    """``isinstance(obj, CocoDataset)`` without importing the readers (no instance exists before)."""
    module = sys.modules.get("posekit.data.coco")
    return module is not None and isinstance(obj, module.CocoDataset)


@contextlib.contextmanager
def _gc_paused():
    """The cyclic garbage collector off: with a million parsed values alive, each of its passes over
    the heap cost more than the work that set it off (about 40% of a parse). The evaluator makes no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _loads(data: bytes) -> tuple[Any, bool]:
    """orjson's parse with the garbage collector paused, and whether the text holds no
    ``true``/``false`` (see :func:`_numbers`)."""
    import orjson

    with _gc_paused():
        return orjson.loads(data), b"true" not in data and b"false" not in data


def _read_results(path: str | os.PathLike) -> tuple[Any, bool]:
    try:
        return _loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return read_json(path), False  # names the file and the problem


def evaluate_coco(gt: CocoDataset | str | os.PathLike | Mapping, results: Any,
                  sigmas: Sequence[float] | None = None, params: CocoEvalParams | None = None,
                  skeleton: Skeleton | str | None = None) -> CocoKeypointEval:
    """COCO keypoint evaluation, equal to pycocotools' ``COCOeval(gt, dt, 'keypoints')``.

    ``gt``: a :class:`CocoDataset`, a dataset object or a path. ``results``: a path, a
    list of COCO result records, or a list of :class:`PoseResult`. ``sigmas`` overrides
    the OKS sigmas of every keypoint category (by default: the category's skeleton's).
    ``skeleton`` names the keypoints of categories whose record lists none.
    """
    with _gc_paused():
        return _evaluate_coco(gt, results, sigmas, params, skeleton)


def _evaluate_coco(gt, results, sigmas, params, skeleton) -> CocoKeypointEval:
    given = get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton
    gt_path = str(gt) if isinstance(gt, (str, os.PathLike)) else getattr(gt, "path", None)
    pending = None
    if isinstance(gt, (str, os.PathLike)) and isinstance(results, (str, os.PathLike)):
        pending = _start_ground_truth(str(gt), given, os.path.getsize(results) if os.path.exists(results) else 0)
    if pending is None:
        image_ids, skeletons, gt_tables = ground_truth_columns(gt, given)
    res_path, plain = None, False
    if isinstance(results, (str, os.PathLike)):
        res_path = str(results)
        results, plain = _read_results(res_path)
    early = None
    if pending is not None:
        early = _early_detections(results, plain)  # built while the worker still reads the ground truth
        image_ids, skeletons, gt_tables = _finish_ground_truth(pending, gt, given)
    if isinstance(results, (list, tuple)) and results and not isinstance(results[0], Mapping):
        from ..data.results import results_to_records

        results = results_to_records(results)
    try:
        if not isinstance(results, list):
            raise _Invalid
        dt_tables = {cat: early[1][cat] if early and early[0] == skel.num_keypoints and cat in early[1]
                     else dt_table(results, cat, skel.num_keypoints, plain) for cat, skel in skeletons.items()}
        _check_dt(results, dt_tables, image_ids)
    except _Invalid:
        # What the results validator needs of the ground truth.
        gt = {"images": [{"id": i} for i in image_ids.tolist()],
              "categories": [{"id": c, "keypoints": list(s.names)} for c, s in skeletons.items()]}
        _raise(results_problems(results, res_path, gt), res_path)
    del results

    sig = {}
    for cat, skel in skeletons.items():
        s = np.asarray(sigmas, np.float64) if sigmas is not None else (
            skel.sigma_array() if skel.sigmas is not None else None)
        if s is None:
            raise DataError(f"no OKS sigmas known for keypoints {list(skel.names[:3])}...; pass sigmas",
                            gt_path, f"category {cat}", "keypoints")
        if len(s) != skel.num_keypoints:
            raise DataError(f"{len(s)} sigmas given for {skel.num_keypoints} keypoints", gt_path,
                            f"category {cat}", "keypoints")
        sig[cat] = s
    tables = {cat: (gt_tables[cat], dt_tables[cat]) for cat in skeletons}
    return evaluate_tables(tables, np.sort(image_ids), sig, params)


def ground_truth_columns(gt: CocoDataset | str | os.PathLike | Mapping, given: Skeleton | None = None
                         ) -> tuple[np.ndarray, dict[int, Skeleton], dict[int, KeypointTable]]:
    """Image ids, the skeleton of each keypoint category, and its ground-truth columns."""
    with _gc_paused():
        return _ground_truth_columns(gt, given)


def _ground_truth_columns(gt, given: Skeleton | None):
    gt_path, plain = None, False
    if _is_dataset(gt):
        gt_path, given, gt = gt.path, given or gt._given, gt.raw
    elif isinstance(gt, (str, os.PathLike)):
        gt_path, (gt, plain) = str(gt), _read_ground_truth(gt)
    try:
        image_ids, skeletons = _gt_index(gt, given)
        tables = {cat: gt_table(gt["annotations"], cat, skel.num_keypoints, plain)
                  for cat, skel in skeletons.items()}
        _check_gt(gt, tables, image_ids, skeletons)
    except _Invalid:
        _raise(dataset_problems(gt, gt_path, given.num_keypoints if given else None), gt_path)
    return image_ids, skeletons, tables


# Keypoint evaluation never reads the masks, and in COCO files they are most of the bytes:
# each annotation's "segmentation" value (polygons or an RLE object) is replaced by 0 before
# parsing. A value this pattern does not recognise is simply parsed as usual.
_SEGMENTATION = re.compile(rb'"segmentation"\s*:\s*(?:\[\s*\]|\[\s*\[[^\]]*\](?:\s*,\s*\[[^\]]*\])*\s*\]|\{[^{}]*\})')


def _read_without_segmentation(path: str | os.PathLike) -> Any:
    return _read_ground_truth(path)[0]


def _read_ground_truth(path: str | os.PathLike) -> tuple[Any, bool]:
    """The parsed file without masks, and whether it holds no ``true``/``false`` (:func:`_loads`)."""
    try:
        return _loads(_SEGMENTATION.sub(b'"segmentation":0', Path(path).read_bytes()))
    except (OSError, ValueError):
        return read_json(path), False  # names the file and the problem


# Large files: the ground truth is parsed in a forked process while this one parses the
# results (JSON parsing holds the GIL, so threads would not overlap). Both files take
# about the same time, so this halves the loading time on two idle cores. On busy cores the
# worker only adds its start and the transfer of the columns (one process was the faster on
# this project's shared 2-core machine), so it runs only when the load average leaves a core free.
_PARALLEL_BYTES = 4 << 20


def _spare_core() -> bool:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return cores - os.getloadavg()[0] >= 1


def _start_ground_truth(gt_path: str, given: Skeleton | None, results_bytes: int):
    if results_bytes < _PARALLEL_BYTES or not _spare_core():
        return None
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_ground_truth_worker, args=(gt_path, given, send), daemon=True)
    proc.start()
    send.close()
    return proc, receive


def _ground_truth_worker(gt_path: str, given: Skeleton | None, send) -> None:
    try:
        send.send(ground_truth_columns(gt_path, given))
    except Exception:  # noqa: BLE001 - the parent redoes the work and raises the real error
        send.send(None)
    finally:
        send.close()


def _early_detections(results: Any, plain: bool = False) -> tuple[int, dict] | None:
    """Detection columns for the categories and K the results themselves suggest (checked later)."""
    try:
        k = len(results[0]["keypoints"]) // 3
        return k, {c: dt_table(results, c, k, plain) for c in {r["category_id"] for r in results}}
    except (_Invalid, KeyError, TypeError, IndexError):
        return None


def _finish_ground_truth(pending, gt_path, given: Skeleton | None):
    proc, receive = pending
    try:
        columns = receive.recv()
    except EOFError:
        columns = None
    proc.join()
    receive.close()
    # The worker's failures (a missing or malformed file) are reported from this process.
    return columns if columns is not None else ground_truth_columns(gt_path, given)


def _raise(problems: list, path: str | None) -> None:
    if problems:
        raise ValidationError(problems)
    raise DataError("malformed file", path)  # pragma: no cover - the validator names every failure


def _gt_index(gt: Any, given: Skeleton | None) -> tuple[np.ndarray, dict[int, Skeleton]]:
    if not isinstance(gt, Mapping) or not all(isinstance(gt.get(k), list) for k in ("images", "annotations",
                                                                                   "categories")):
        raise _Invalid
    try:
        image_ids = np.array([img["id"] for img in gt["images"]])
        wh = np.array([[img.get("width", 1), img.get("height", 1)] for img in gt["images"]], np.float64)
        skeletons = {}
        for cat in gt["categories"]:
            if cat.get("keypoints"):
                skeletons[cat["id"]] = skeleton_from_category(cat)
            elif given is not None:
                skeletons[cat["id"]] = given
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _Invalid from None
    if (not plain_ints(img["id"] for img in gt["images"]) or _repeats(image_ids)
            or not all(isinstance(img.get("file_name"), str) and img["file_name"] for img in gt["images"])
            or not plain_ints(c.get("id") for c in gt["categories"])):
        raise _Invalid
    if len(wh) and not (np.isfinite(wh).all() and (wh > 0).all()):
        raise _Invalid
    return image_ids.astype(np.int64), skeletons


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
