"""Pairing predictions with ground-truth people, for the distance metrics (PCK, EPE).

COCO AP matches greedily at each OKS threshold; PCK needs one prediction per
annotated person. Each image's people and predictions are paired by maximum total
OKS (Hungarian assignment, Kuhn 1955, via SciPy); a person left without a
prediction has every keypoint wrong.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..data.coco import CocoDataset
from .coco_columns import dt_table, gt_table
from ..oks import oks_matrix

__all__ = ["Pairs", "pair_with_ground_truth"]


@dataclass
class Pairs:
    """Row ``i`` is annotated person ``ann_id[i]``: ``gt`` and ``pred`` (N, K, 2),
    ``visible`` (N, K) labelled keypoints, ``matched`` (N,) whether a prediction was
    paired (unpaired rows hold ``pred = inf``), ``boxes`` (N, 4) ground-truth boxes."""

    ann_id: np.ndarray
    gt: np.ndarray
    pred: np.ndarray
    visible: np.ndarray
    matched: np.ndarray
    boxes: np.ndarray


def pair_with_ground_truth(gt: CocoDataset, records: list[dict], category_id: int | None = None,
                           sigmas: np.ndarray | None = None) -> Pairs:
    """Pair every non-crowd person with labelled keypoints with at most one prediction."""
    cat = category_id if category_id is not None else gt.keypoint_category_ids()[0]
    skel = gt.skeleton(cat)
    k = skel.num_keypoints
    sig = np.asarray(sigmas, np.float64) if sigmas is not None else skel.sigma_array()
    g = gt_table(gt.annotations, cat, k)
    g = g.select(~g.ignore)
    d = dt_table(records, cat, k)
    pred = np.full((len(g), k, 2), np.inf)
    matched = np.zeros(len(g), bool)
    g_order = np.argsort(g.image_id, kind="stable")
    d_order = np.argsort(d.image_id, kind="stable")
    g_ids, d_ids = g.image_id[g_order], d.image_id[d_order]
    for image_id in np.unique(g_ids):
        gi = g_order[np.searchsorted(g_ids, image_id):np.searchsorted(g_ids, image_id, "right")]
        di = d_order[np.searchsorted(d_ids, image_id):np.searchsorted(d_ids, image_id, "right")]
        if len(di) == 0:
            continue
        sim = oks_matrix(d.keypoints[di], g.keypoints[gi], g.area[gi], g.bbox[gi], sig)
        rows, cols = linear_sum_assignment(-sim)
        pred[gi[cols]] = d.keypoints[di[rows], :, :2]
        matched[gi[cols]] = True
    return Pairs(g.ann_id, g.keypoints[:, :, :2], pred, g.keypoints[:, :, 2] > 0, matched, g.bbox)
