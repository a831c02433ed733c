"""Evaluating tracked poses of a video against ground truth with track ids.

Ground truth: a PoseTrack18 file or any COCO-format file whose annotations carry
``track_id``; its frames are its images in ``frame_id`` order (else ``id`` order).
Results: ``tracks.json`` records, each with a 0-based ``frame_id`` (or the frame's
``image_id``), ``track_id``, ``keypoints`` x, y, score triplets, ``bbox`` and ``score``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..data.coco import CocoDataset
from ..errors import DataError
from ..fileio import read_json
from .metrics import MotResult, TrackFrame, clear_mot

__all__ = ["TrackEvaluation", "evaluate_tracks", "head_size_or_proxy"]

HEAD_FRACTION = 1 / 6  # without head boxes: a head side of a sixth of the person's height


@dataclass
class TrackEvaluation:
    mot: MotResult
    coco: dict[str, float]

    def summary(self) -> dict[str, float]:
        return {**self.mot.summary(), **self.coco}


def head_size_or_proxy(ann: dict) -> float:
    """PCKh's head size: 0.6 x the head box diagonal; a proxy box from the person's height otherwise."""
    from ..oks import MPII_HEAD_SCALE

    if ann.get("bbox_head"):
        w, h = ann["bbox_head"][2:4]
    else:
        w = h = ann["bbox"][3] * HEAD_FRACTION
    return float(MPII_HEAD_SCALE * np.hypot(w, h))


def _frames(gt: CocoDataset) -> list[dict]:
    key = "frame_id" if all("frame_id" in img for img in gt.images) else "id"
    return sorted(gt.images, key=lambda img: img[key])


def evaluate_tracks(gt_path: str | os.PathLike, results: str | os.PathLike | list,
                    keypoint_threshold: float = 0.3, pckh: float = 0.5) -> TrackEvaluation:
    """MOTA, ID switches, joint precision/recall (CLEAR MOT at PCKh ``pckh``) and per-frame OKS AP."""
    from ..evaluation import evaluate_coco

    from ..data.validate import tracks_problems
    from ..errors import ValidationError

    gt = CocoDataset.load(gt_path)
    res_path = str(results) if not isinstance(results, list) else None
    records = read_json(results) if res_path else results
    frames = _frames(gt)
    untracked = [a["id"] for a in gt.annotations if not a.get("iscrowd") and type(a.get("track_id")) is not int]
    if untracked:
        raise DataError(f"{len(untracked)} annotations have no integer 'track_id' (first: annotation {untracked[0]}); "
                        "eval-track needs ground truth with track ids", gt.path, None, "track_id")
    index = {img["id"]: i for i, img in enumerate(frames)}
    k = gt.skeleton().num_keypoints
    problems = tracks_problems(records, res_path, k, len(frames), index)
    if problems:
        raise ValidationError(problems)
    per_frame: list[list[dict]] = [[] for _ in frames]
    for r in records:
        per_frame[r["frame_id"] if "frame_id" in r else index[r["image_id"]]].append(r)
    gt_frames, pred_frames, coco_records = [], [], []
    for img, recs in zip(frames, per_frame):
        anns = [a for a in gt.annotations_of(img["id"]) if not a.get("iscrowd")]
        kp = np.array([a["keypoints"] for a in anns], np.float64).reshape(len(anns), k, 3)
        ids = np.array([a.get("track_id", -1) for a in anns], np.int64)
        gt_frames.append(TrackFrame(ids, kp[..., :2], kp[..., 2] > 0,
                                    np.array([head_size_or_proxy(a) for a in anns], np.float64)))
        pk = np.array([r["keypoints"] for r in recs], np.float64).reshape(len(recs), k, 3)
        pred_frames.append(TrackFrame(np.array([r["track_id"] for r in recs], np.int64), pk[..., :2],
                                      pk[..., 2] >= keypoint_threshold))
        coco_records += [{"image_id": img["id"], "category_id": 1, "keypoints": r["keypoints"],
                          "score": float(r.get("score", 1.0))} for r in recs]
    mot = clear_mot(gt_frames, pred_frames, pckh)
    mot.names = gt.skeleton().names
    coco = evaluate_coco(gt, coco_records).summary() if coco_records else {}
    return TrackEvaluation(mot, {"AP": coco["AP"], "AP50": coco["AP50"]} if coco else {})
