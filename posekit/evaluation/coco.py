"""``evaluate_coco``: COCO keypoint AP/AR of results against a COCO-format ground truth.

Reads the files, turns records into :class:`KeypointTable` columns with cocoapi's
conventions (:mod:`posekit.evaluation.coco_columns`) and runs the vectorised
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
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..data.validate import dataset_problems, plain_ints, results_problems
from ..errors import DataError, ValidationError
from ..fileio import read_json
from ..skeletons import Skeleton, get_skeleton, skeleton_from_category
from .coco_eval import CocoEvalParams, CocoKeypointEval, evaluate_tables
from .coco_columns import _check_dt, _check_gt, _Invalid, _repeats, dt_table, gt_table
from .tables import KeypointTable

if TYPE_CHECKING:
    from ..data.coco import CocoDataset

__all__ = ["evaluate_coco", "gt_table", "dt_table"]


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
    ``true``/``false`` (see :func:`posekit.evaluation.coco_columns._numbers`)."""
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
