"""Grouping by associative embedding tags (Newell, Huang, Deng, NIPS 2017, Section 3; the procedure and
defaults of HigherHRNet's released code, ``lib/core/group.py``, Cheng et al. CVPR 2020).

1. **Heatmap NMS**: a pixel survives when it equals the maximum of its ``nms_kernel`` x ``nms_kernel``
   neighbourhood (``TEST.NMS_KERNEL: 5``, a max-pool with -inf padding).
2. **Top-k**: per keypoint type the ``max_people`` (30) highest survivors, with their tags; those above
   ``detection_threshold`` (``TEST.DETECTION_THRESHOLD: 0.1``) are the candidates.
3. **Matching**, the keypoint types visited in ``joint_order``: the first type's candidates each start a
   person; every later type's candidates are matched to the people so far (their mean tag) by the
   Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment`) on the cost
   ``round(|tag - person tag|) * 100 - heat`` (``TEST.USE_DETECTION_VAL: True``; plain tag distance
   otherwise); a match counts when its tag distance is below ``tag_threshold``
   (``TEST.TAG_THRESHOLD: 1``), otherwise the candidate starts a new person. Only the first
   ``max_people`` people are matched against, as in the code.
4. **Adjust** (``TEST.ADJUST: True``): each joint moves a quarter cell towards its higher neighbour,
   in x and in y.
5. **Refine** (``TEST.REFINE: True``): for each person, each keypoint type it lacks is looked for again
   over the whole map, at the maximum of ``heat - round(|tag - the person's mean tag|)``, and taken
   (with the quarter-cell adjustment) when its heat there is above 0.

The person score is the mean heat of its K joints (0 for a missing one) before refinement, as
HigherHRNet scores people. Differences from the code: people are kept in a list, where the code keys
a dict by the first tag value (two new people with exactly equal tags overwrite each other there);
coordinates come back in grid cells with cell centres at integers (the code adds 0.5).
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["group_by_tags", "top_k", "match_by_tag", "quarter_offset", "refine"]


def top_k(heatmaps: np.ndarray, tags: np.ndarray, k: int, nms_kernel: int = 5
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """After NMS, per keypoint type the ``k`` highest pixels: positions (K, k, 2) as integer (x, y),
    heat values (K, k) (descending) and tags (K, k, D); ``heatmaps`` (K, H, W), ``tags`` (K, H, W, D)."""
    n, h, w = heatmaps.shape
    kernel = np.ones((nms_kernel, nms_kernel), np.uint8)        # dilation pads with -inf, as max-pooling does
    peak = np.stack([cv2.dilate(m, kernel) for m in heatmaps])
    kept = np.where(peak == heatmaps, heatmaps, 0.0).reshape(n, -1)
    k = min(k, h * w)
    idx = np.argpartition(-kept, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(kept, idx, 1)
    order = np.argsort(-values, axis=1, kind="stable")
    idx, values = np.take_along_axis(idx, order, 1), np.take_along_axis(values, order, 1)
    tag = np.take_along_axis(tags.reshape(n, h * w, -1), idx[..., None], 1)
    return np.stack([idx % w, idx // w], -1), values, tag


def match_by_tag(positions: np.ndarray, values: np.ndarray, tags: np.ndarray, joint_order, max_people: int = 30,
                 detection_threshold: float = 0.1, tag_threshold: float = 1.0, use_detection_val: bool = True
                 ) -> np.ndarray:
    """People (M, K, 3 + D): per keypoint (x, y, heat, tag...), zeros where missing; inputs from :func:`top_k`."""
    n, _, d = tags.shape
    people: list[np.ndarray] = []
    tag_sum = np.zeros((0, d))
    count = np.zeros(0)
    for j in joint_order:
        keep = values[j] > detection_threshold
        joints = np.concatenate([positions[j][keep], values[j][keep, None], tags[j][keep]], 1)
        if not len(joints):
            continue
        rows_to_new = np.arange(len(joints))
        if people:
            grouped = min(len(people), max_people)
            mean_tags = tag_sum[:grouped] / count[:grouped, None]
            diff = np.linalg.norm(joints[:, None, 3:] - mean_tags[None], axis=2)      # (J, G)
            cost = np.round(diff) * 100 - joints[:, 2:3] if use_detection_val else diff.copy()
            if len(joints) > grouped:
                cost = np.concatenate([cost, np.full((len(joints), len(joints) - grouped), 1e10)], 1)
            rows, cols = linear_sum_assignment(cost)
            ok = cols < grouped
            ok[ok] = diff[rows[ok], cols[ok]] < tag_threshold
            for r, c in zip(rows[ok], cols[ok]):
                people[c][j] = joints[r]
            tag_sum[cols[ok]] += joints[rows[ok], 3:]
            count[cols[ok]] += 1
            rows_to_new = np.setdiff1d(np.arange(len(joints)), rows[ok])
        for r in rows_to_new:
            person = np.zeros((n, 3 + d))
            person[j] = joints[r]
            people.append(person)
        tag_sum = np.concatenate([tag_sum, joints[rows_to_new, 3:]])
        count = np.concatenate([count, np.ones(len(rows_to_new))])
    return np.stack(people) if people else np.zeros((0, n, 3 + d))


def quarter_offset(heatmaps: np.ndarray, joint: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(..., 2): integer cells (x, y) of keypoint types ``joint`` moved a quarter cell towards the higher
    neighbour in each direction (HigherHRNet's ``adjust``: ties go to the lower side)."""
    _, h, w = heatmaps.shape
    right = heatmaps[joint, y, np.minimum(x + 1, w - 1)] > heatmaps[joint, y, np.maximum(x - 1, 0)]
    down = heatmaps[joint, np.minimum(y + 1, h - 1), x] > heatmaps[joint, np.maximum(y - 1, 0), x]
    return np.stack([x + np.where(right, 0.25, -0.25), y + np.where(down, 0.25, -0.25)], -1)


def refine(heatmaps: np.ndarray, tags: np.ndarray, person: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``person`` (K, 3 + D) with its missing keypoints looked for again by tag (step 5); ``cells`` (K, 2)
    the integer cells of its found joints, whose tags give the person's mean tag."""
    n, h, w = heatmaps.shape
    found = person[:, 2] > 0
    if not found.any() or found.all():
        return person
    cx, cy = cells[found, 0], cells[found, 1]
    mean_tag = tags[np.flatnonzero(found), cy, cx].mean(axis=0)                       # (D,)
    missing = np.flatnonzero(~found)
    distance = np.sqrt(((tags[missing] - mean_tag) ** 2).sum(-1))                     # (m, H, W)
    best = (heatmaps[missing] - np.round(distance)).reshape(len(missing), -1).argmax(axis=1)
    y, x = best // w, best % w
    value = heatmaps[missing, y, x]
    out = person.copy()
    take = value > 0
    out[missing[take], :2] = quarter_offset(heatmaps, missing, x, y)[take]
    out[missing[take], 2] = value[take]
    return out


def group_by_tags(heatmaps: np.ndarray, tags: np.ndarray, joint_order=None, max_people: int = 30,
                  detection_threshold: float = 0.1, tag_threshold: float = 1.0, nms_kernel: int = 5,
                  use_detection_val: bool = True, adjust: bool = True, refine_missing: bool = True
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People of one image from ``heatmaps`` (K, H, W) and ``tags`` (K, H, W) or (K, H, W, D) on the same
    grid: keypoints (M, K, 2) in grid cells, scores (M, K) (0 where missing), person scores (M,), best first."""
    heatmaps = np.asarray(heatmaps, np.float64)
    tags = np.asarray(tags, np.float64)
    tags = tags[..., None] if tags.ndim == 3 else tags
    n = heatmaps.shape[0]
    order = tuple(range(n)) if joint_order is None else tuple(joint_order)
    positions, values, tag_k = top_k(heatmaps, tags, max_people, nms_kernel)
    people = match_by_tag(positions, values, tag_k, order, max_people, detection_threshold, tag_threshold,
                          use_detection_val)
    if not len(people):
        return np.zeros((0, n, 2)), np.zeros((0, n)), np.zeros(0)
    cells = people[..., :2].astype(np.int64)
    found = people[..., 2] > 0
    if adjust:
        joint = np.broadcast_to(np.arange(n), found.shape)
        moved = quarter_offset(heatmaps, joint[found], cells[..., 0][found], cells[..., 1][found])
        people[..., :2][found] = moved
    person_scores = people[..., 2].mean(axis=1)
    if refine_missing:
        people = np.stack([refine(heatmaps, tags, p, c) for p, c in zip(people, cells)])
    order = np.argsort(-person_scores, kind="stable")
    return people[order, :, :2], people[order, :, 2], person_scores[order]
