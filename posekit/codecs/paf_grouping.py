"""OpenPose's grouping: keypoint peaks + part affinity fields -> people.

Cao, Simon, Wei, Sheikh, "Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields" (CVPR 2017), Section 2.4 ("multi-person parsing using PAFs"):

1. **Peaks.** Local maxima of each keypoint's confidence map above ``peak_threshold``
   (3x3 neighbourhood), refined to sub-pixel by a parabola through the peak and its
   neighbours along each axis.
2. **Limb candidates.** For every limb (a, b) and every pair of an ``a`` peak and a ``b``
   peak, the line integral of the limb's field along the segment (Eq. 10), approximated by
   ``samples`` equally spaced points: the mean of ``PAF . unit(b - a)``. A pair is a
   candidate when at least ``min_fraction`` of the samples exceed ``paf_threshold`` and the
   mean, with the penalty ``min(0, 0.5 * H / |b - a| - 1)`` against limbs longer than half
   the map's height, is positive.
3. **Assembly** limb by limb (greedy bipartite matching per limb, Section 2.4, "we
   decompose the matching problem into a set of bipartite matching subproblems"), in the
   skeleton's tree order from its best-connected joint: a candidate joins the person that
   already holds one of its ends, starts a new person if none does (tree limbs only: a limb
   closing a cycle, such as OpenPose's shoulder-ear links, only adds to people), and merges
   two partial people that share a joint when their parts are disjoint.
4. **Removal** of people with fewer than ``min_parts`` keypoints or a mean score (keypoint
   peaks and limb scores together, per keypoint) under ``min_mean_score``.

Defaults: ``peak_threshold=0.1``, ``paf_threshold=0.05``, ``samples=10``,
``min_fraction=0.8`` are OpenPose's (``thre1``, ``thre2``, ``mid_num`` and the 80% criterion
of the CVPR 2017 release) and Lightweight OpenPose's (Osokin 2019, ``extract_keypoints`` /
``group_keypoints``); ``min_parts=3`` and ``min_mean_score=0.2`` are Lightweight OpenPose's
(OpenPose used 4 and 0.4 with its larger network). Everything runs on maps of any resolution;
coordinates come back in map pixels (x, y), pixel centres at integers.
"""
from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np

__all__ = ["find_peaks", "score_limbs", "group_people", "assembly_order"]


def find_peaks(heatmaps: np.ndarray, threshold: float = 0.1) -> list[np.ndarray]:
    """Per keypoint, the (n, 3) array of (x, y, score) of its local maxima above ``threshold``."""
    k, h, w = heatmaps.shape
    hm = np.ascontiguousarray(heatmaps, dtype=np.float32)
    # a 3x3 local maximum (ties count, outside the map counts as -inf) among the few cells above the
    # threshold: the same cells as comparing the whole map with its maximum filter, at a fraction of the cost
    flat = hm.reshape(-1)
    at = np.flatnonzero(flat > threshold)
    ch, rest = np.divmod(at, h * w)
    ys, xs = np.divmod(rest, w)
    score = flat[at]

    def neighbour(dy: int, dx: int) -> np.ndarray:
        inside = (ys + dy >= 0) & (ys + dy < h) & (xs + dx >= 0) & (xs + dx < w)
        return np.where(inside, flat[np.where(inside, at + dy * w + dx, at)], -np.inf)

    near = {(dy, dx): neighbour(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx}
    peak = np.logical_and.reduce([score >= v for v in near.values()]) if len(score) else np.zeros(0, bool)
    ch, ys, xs, score = ch[peak], ys[peak], xs[peak], score[peak]
    # the parabola's neighbours, the border replicated ("edge") where one lies outside the map
    c = score
    l, r = (np.where(np.isneginf(v[peak]), c, v[peak]) for v in (near[(0, -1)], near[(0, 1)]))
    u, d = (np.where(np.isneginf(v[peak]), c, v[peak]) for v in (near[(-1, 0)], near[(1, 0)]))

    def offset(lo, mid, hi):
        den = lo - 2 * mid + hi
        safe = np.where(den < 0, den, -1.0)
        return np.where(den < 0, np.clip(0.5 * (lo - hi) / safe, -0.5, 0.5), 0.0)

    x = xs + offset(l, c, r)
    y = ys + offset(u, c, d)
    out = np.stack([x, y, score], axis=1).astype(np.float64)
    # several equal maxima on a plateau: keep the first of each 3x3 group
    result = []
    for j in range(k):
        pts = out[ch == j]
        if len(pts) > 1:
            order = np.argsort(-pts[:, 2], kind="stable")
            pts = pts[order]
            keep = np.ones(len(pts), bool)
            for i in range(len(pts)):
                if keep[i]:
                    near = (np.abs(pts[i + 1:, 0] - pts[i, 0]) < 1.5) & (np.abs(pts[i + 1:, 1] - pts[i, 1]) < 1.5)
                    keep[i + 1:] &= ~near
            pts = pts[keep]
        result.append(pts)
    return result


def score_limbs(a: np.ndarray, b: np.ndarray, paf_x: np.ndarray, paf_y: np.ndarray, samples: int = 10,
                paf_threshold: float = 0.05, min_fraction: float = 0.8) -> np.ndarray:
    """Candidate limbs between peaks ``a`` (na, >=2) and ``b`` (nb, >=2): rows (i, j, score), best first,
    each peak used at most once (greedy, as the paper's per-limb bipartite matching)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((0, 3))
    h, w = paf_x.shape
    d = b[None, :, :2] - a[:, None, :2]  # (na, nb, 2)
    norm = np.linalg.norm(d, axis=2)
    unit = d / np.maximum(norm, 1e-6)[..., None]
    t = np.linspace(0.0, 1.0, samples)
    pts = a[:, None, None, :2] + t[None, None, :, None] * d[:, :, None, :]  # (na, nb, s, 2)
    xi = np.clip(np.rint(pts[..., 0]).astype(int), 0, w - 1)
    yi = np.clip(np.rint(pts[..., 1]).astype(int), 0, h - 1)
    s = paf_x[yi, xi] * unit[:, :, None, 0] + paf_y[yi, xi] * unit[:, :, None, 1]
    fraction = (s > paf_threshold).mean(axis=2)
    score = s.mean(axis=2) + np.minimum(0.0, 0.5 * h / np.maximum(norm, 1e-6) - 1.0)
    ok = (fraction >= min_fraction) & (score > 0) & (norm > 0)
    i, j = np.nonzero(ok)
    order = np.argsort(-score[i, j], kind="stable")
    i, j, sc = i[order], j[order], score[i, j][order]
    used_a, used_b, rows = set(), set(), []
    for ii, jj, ss in zip(i.tolist(), j.tolist(), sc.tolist()):
        if ii not in used_a and jj not in used_b:
            used_a.add(ii)
            used_b.add(jj)
            rows.append((ii, jj, ss))
            if len(rows) == min(len(a), len(b)):
                break
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def assembly_order(limbs: Sequence[tuple[int, int]], num_keypoints: int,
                   order: Sequence[int] | None = None) -> tuple[list[int], set[int]]:
    """The order limbs are assembled in and the set of limbs that close cycles (both ends reached
    by earlier limbs: they add to people but never start one). ``order`` given (e.g. OpenPose's own
    for its COCO layout) is kept; otherwise breadth-first from the best-connected joint (lowest
    index on ties), the cycle-closing limbs last."""
    if order is None:
        degree = np.bincount(np.asarray(limbs, int).ravel(), minlength=num_keypoints)
        order, late, seen, done = [], [], set(), set()
        for root in np.argsort(-degree, kind="stable"):
            if int(root) in seen or degree[root] == 0:
                continue
            seen.add(int(root))
            queue = deque([int(root)])
            while queue:
                j = queue.popleft()
                for li, (a, b) in enumerate(limbs):
                    if li in done or j not in (a, b):
                        continue
                    other = b if a == j else a
                    done.add(li)
                    (late if other in seen else order).append(li)
                    if other not in seen:
                        seen.add(other)
                        queue.append(other)
        order = order + sorted(late)
    reached, closing = set(), set()
    for li in order:
        a, b = limbs[li]
        if a in reached and b in reached:
            closing.add(li)
        reached.update((a, b))
    return list(order), closing


def group_people(heatmaps: np.ndarray, pafs: np.ndarray, limbs: Sequence[tuple[int, int]], *,
                 peak_threshold: float = 0.1, paf_threshold: float = 0.05, samples: int = 10,
                 min_fraction: float = 0.8, min_parts: int = 3, min_mean_score: float = 0.2,
                 order: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group peaks of ``heatmaps`` (K, H, W; no background channel) into people with ``pafs``
    (2L, H, W; limb ``i`` is channels ``2i`` (x) and ``2i+1`` (y), pointing from ``limbs[i][0]`` to
    ``limbs[i][1]``; an array, or any object indexed the same way, ``pafs[c][yi, xi]``, such as
    :class:`posekit.bottomup.fields.ResampledMaps`, which computes only the pixels sampled).
    Returns keypoints (M, K, 2) in map pixels, their scores (M, K) (0 where a person has no such
    keypoint) and person scores (M,): the sum of the person's keypoint scores (mean keypoint score
    times the number of keypoints), best first. ``order``: see
    :func:`assembly_order`."""
    k = heatmaps.shape[0]
    if pafs.shape[0] != 2 * len(limbs):
        raise ValueError(f"{pafs.shape[0]} PAF channels for {len(limbs)} limbs (expects {2 * len(limbs)})")
    peaks = find_peaks(heatmaps, peak_threshold)
    order, closing = assembly_order(limbs, k, order)
    people: list[np.ndarray] = []  # each: (K,) peak index per keypoint, -1 if none
    totals: list[float] = []
    for li in order:
        a, b = limbs[li]
        cands = score_limbs(peaks[a], peaks[b], pafs[2 * li], pafs[2 * li + 1], samples, paf_threshold,
                            min_fraction)
        for i, j, s in cands:
            i, j = int(i), int(j)
            owners = [p for p, person in enumerate(people) if person[a] == i or person[b] == j]
            if len(owners) == 1:
                person = people[owners[0]]
                if person[b] == -1 and person[a] == i:
                    person[b] = j
                    totals[owners[0]] += peaks[b][j, 2] + s
                elif person[a] == -1 and person[b] == j:
                    person[a] = i
                    totals[owners[0]] += peaks[a][i, 2] + s
            elif len(owners) == 2:
                p, q = owners
                if np.all((people[p] == -1) | (people[q] == -1)):  # disjoint: one person
                    people[p] = np.maximum(people[p], people[q])
                    totals[p] += totals[q] + s
                    del people[q], totals[q]
            elif not owners and li not in closing:
                person = np.full(k, -1, int)
                person[a], person[b] = i, j
                people.append(person)
                totals.append(peaks[a][i, 2] + peaks[b][j, 2] + s)
    kps, scores, person_scores = [], [], []
    for person, total in zip(people, totals):
        count = int((person >= 0).sum())
        if count < min_parts or total / count < min_mean_score:
            continue
        xy = np.zeros((k, 2))
        sc = np.zeros(k)
        for j in np.nonzero(person >= 0)[0]:
            xy[j] = peaks[j][person[j], :2]
            sc[j] = peaks[j][person[j], 2]
        kps.append(xy)
        scores.append(sc)
        person_scores.append(sc.sum())
    if not kps:
        return np.zeros((0, k, 2)), np.zeros((0, k)), np.zeros(0)
    order_ = np.argsort(-np.asarray(person_scores), kind="stable")
    return np.asarray(kps)[order_], np.asarray(scores)[order_], np.asarray(person_scores)[order_]
