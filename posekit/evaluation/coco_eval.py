"""COCO keypoint AP/AR, identical to cocoapi's ``COCOeval(iouType='keypoints')``.

The protocol (Lin et al., COCO 2014; the keypoint challenge since 2016): per image
and category, detections sorted by score (at most ``maxDets``) are greedily matched
to ground truth by OKS at ten thresholds 0.50:0.05:0.95; crowd regions and people
without labelled keypoints are "ignore" ground truth that can absorb detections
without counting; area ranges select medium (32^2..96^2) and large people.
Precision is interpolated at 101 recall points and averaged.

cocoapi loops in Python over images, thresholds, detections and ground truth.
Here the greedy matching advances over *detection rank* instead: step ``r`` takes
the r-th detection of every image at once, for all thresholds and area ranges, so
the Python loop runs ``maxDets`` times whatever the number of images. Ties, the
"ignore" rules and every quirk of cocoapi are kept, so the precision and recall
arrays come out equal to cocoapi's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..oks import oks_pairs
from .tables import KeypointTable

__all__ = ["CocoEvalParams", "CocoKeypointEval", "evaluate_tables", "STAT_NAMES"]

STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


@dataclass(frozen=True)
class CocoEvalParams:
    """cocoapi's ``Params(iouType='keypoints')``."""

    iou_thrs: np.ndarray = field(default_factory=lambda: np.linspace(
        .5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True))
    rec_thrs: np.ndarray = field(default_factory=lambda: np.linspace(
        .0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True))
    max_dets: tuple[int, ...] = (20,)
    area_rngs: tuple[tuple[float, float], ...] = ((0 ** 2, 1e5 ** 2), (32 ** 2, 96 ** 2), (96 ** 2, 1e5 ** 2))
    area_labels: tuple[str, ...] = ("all", "medium", "large")


@dataclass
class CocoKeypointEval:
    """The outcome: ``precision`` (T, R, K, A, M), ``recall`` (T, K, A, M) and
    ``scores`` as cocoapi's ``eval`` dict; ``stats`` the 10 summary numbers."""

    params: CocoEvalParams
    category_ids: list
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    stats: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.stats is None:
            self.stats = _summarize(self)

    def summary(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(STAT_NAMES, self.stats)}

    def table(self) -> str:
        """The 10-line table cocoapi's ``summarize()`` prints."""
        lines = []
        for i, (name, v) in enumerate(zip(STAT_NAMES, self.stats)):
            ap = i < 5
            title, kind = ("Average Precision", "(AP)") if ap else ("Average Recall", "(AR)")
            iou = {1: "0.50", 2: "0.75"}.get(i % 5, "0.50:0.95")
            area = {3: "medium", 4: "large"}.get(i % 5, "all")
            lines.append(f" {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6} | maxDets={20:>3} ] = {v:0.3f}")
        return "\n".join(lines)


def evaluate_tables(tables: dict, image_ids: np.ndarray, sigmas: dict,
                    params: CocoEvalParams | None = None) -> CocoKeypointEval:
    """Evaluate over ``image_ids`` (sorted). ``tables[category_id]`` is the pair
    (ground truth, detections) of that category, ``sigmas[category_id]`` its OKS sigmas."""
    category_ids = sorted(tables)
    p = params or CocoEvalParams()
    t, r, k, a, m = len(p.iou_thrs), len(p.rec_thrs), len(category_ids), len(p.area_rngs), len(p.max_dets)
    precision = -np.ones((t, r, k, a, m))
    recall = -np.ones((t, k, a, m))
    scores = -np.ones((t, r, k, a, m))
    for ki, cat in enumerate(category_ids):
        g, d = tables[cat]
        _evaluate_category(g, d, image_ids, sigmas.get(cat), p, precision[:, :, ki], recall[:, ki], scores[:, :, ki])
    return CocoKeypointEval(p, list(category_ids), precision, recall, scores)


def _evaluate_category(g: KeypointTable, d: KeypointTable, image_ids: np.ndarray, sigmas,
                       p: CocoEvalParams, precision: np.ndarray, recall: np.ndarray, scores: np.ndarray) -> None:
    n_img = len(image_ids)
    max_det = p.max_dets[-1]
    # Ground truth grouped by image, file order within an image (cocoapi's imgToAnns).
    # (A table is copied only when the order or the selection changes it: files are often in order.)
    g_img = np.searchsorted(image_ids, g.image_id)
    if (g_img[1:] < g_img[:-1]).any():
        order = np.argsort(g_img, kind="stable")
        g, g_img = g.select(order), g_img[order]
    g_start = np.searchsorted(g_img, np.arange(n_img + 1))
    g_count = np.diff(g_start)
    # Detections: by image, then score descending (stable), truncated to max_det.
    d_img = np.searchsorted(image_ids, d.image_id)
    order = np.lexsort((np.arange(len(d)), -d.score, d_img))
    if (order != np.arange(len(d))).any():
        d, d_img = d.select(order), d_img[order]
    d_start = np.searchsorted(d_img, np.arange(n_img + 1))
    rank = np.arange(len(d)) - d_start[d_img]
    keep = rank < max_det
    if not keep.all():
        d, d_img, rank = d.select(keep), d_img[keep], rank[keep]

    matched = _greedy_match(g, d, d_img, rank, g_start, g_count, sigmas, p)  # (A, T, D) gt index or -1
    for ai, (lo, hi) in enumerate(p.area_rngs):
        g_ig = g.ignore | (g.area < lo) | (g.area > hi)
        npig = np.count_nonzero(~g_ig)
        mt = matched[ai]
        hit = mt >= 0
        gt_of = np.where(hit, mt, 0)
        # cocoapi stores the matched ground truth's id and tests it for truth: an id of 0 reads as unmatched.
        dtm = hit & (g.ann_id[gt_of] != 0) if len(g) else hit
        d_out = (d.area < lo) | (d.area > hi)
        dt_ig = (hit & g_ig[gt_of]) if len(g) else np.zeros_like(hit)
        dt_ig = dt_ig | (~dtm & d_out[None, :])
        for mi, md in enumerate(p.max_dets):
            sel = rank < md
            if npig == 0:
                continue
            _accumulate(d.score[sel], dtm[:, sel], dt_ig[:, sel], npig, p,
                        precision[:, :, ai, mi], recall[:, ai, mi], scores[:, :, ai, mi])


def _greedy_match(g: KeypointTable, d: KeypointTable, d_img, rank, g_start, g_count, sigmas,
                  p: CocoEvalParams) -> np.ndarray:
    """For each area range, threshold and detection, the matched ground truth (or -1)."""
    a, t, n_d = len(p.area_rngs), len(p.iou_thrs), len(d)
    matched = np.full((a, t, n_d), -1, dtype=np.int64)
    if n_d == 0 or len(g) == 0:
        return matched
    # Every (detection, ground truth) pair of the same image, in (detection, gt) order.
    per_det = g_count[d_img]
    pair_d = np.repeat(np.arange(n_d), per_det)
    first = np.repeat(np.cumsum(per_det) - per_det, per_det)
    pair_g = g_start[d_img][pair_d] + (np.arange(len(pair_d)) - first)
    thr = np.minimum(p.iou_thrs, 1 - 1e-10)
    # cocoapi requires oks >= thr, so pairs below the lowest threshold can never match:
    # drop the pairs whose boxes alone prove it, then keep those whose exact OKS passes.
    near = _may_reach(d, g, pair_d, pair_g, sigmas, thr.min())
    pair_d, pair_g = pair_d[near], pair_g[near]
    ious = oks_pairs(d.keypoints, g.keypoints, g.area, g.bbox, sigmas, pair_d, pair_g)
    cand = ious >= thr.min()
    c_d, c_g, c_oks = pair_d[cand], pair_g[cand], ious[cand]
    c_rank = rank[c_d]
    for ai, (lo, hi) in enumerate(p.area_rngs):
        g_ig = g.ignore | (g.area < lo) | (g.area > hi)
        # Within one detection, the winner is the last valid candidate in the order
        # (not ignored, oks, gt position): cocoapi scans non-ignored gt first, keeps the
        # best oks seen so far (a tie goes to the later gt), and stops at ignored gt
        # once it holds a non-ignored match.
        order = np.lexsort((c_g, c_oks, ~g_ig[c_g], c_d, c_rank))
        o_d, o_g, o_oks, o_rank = c_d[order], c_g[order], c_oks[order], c_rank[order]
        crowd = g.iscrowd[o_g]
        bounds = np.searchsorted(o_rank, np.arange(rank.max() + 2))
        taken = np.zeros((t, len(g)), dtype=bool)
        for r in range(len(bounds) - 1):
            lo_b, hi_b = bounds[r], bounds[r + 1]
            if lo_b == hi_b:
                continue
            bd, bg = o_d[lo_b:hi_b], o_g[lo_b:hi_b]
            valid = (o_oks[lo_b:hi_b][None, :] >= thr[:, None]) & (~taken[:, bg] | crowd[lo_b:hi_b][None, :])
            seg = np.flatnonzero(np.r_[True, bd[1:] != bd[:-1]])
            pos = np.where(valid, np.arange(hi_b - lo_b)[None, :], -1)
            best = np.maximum.reduceat(pos, seg, axis=1)  # (T, segments)
            ti, si = np.nonzero(best >= 0)
            win = best[ti, si]
            taken[ti, bg[win]] = True
            matched[ai, ti, bd[seg[si]]] = bg[win]
    return matched


def _may_reach(d: KeypointTable, g: KeypointTable, pair_d, pair_g, sigmas, oks_min: float) -> np.ndarray:
    """False for pairs whose OKS is certainly below ``oks_min``.

    OKS is a mean of per-keypoint terms ``exp(-d^2 / (2 area k^2))``; it reaches
    ``oks_min`` only if some labelled keypoint's term does, i.e. lies within
    ``r = sqrt(2 ln(1/oks_min) k_max^2 area)`` of its ground truth. Every keypoint
    distance is at least the gap between the detection's keypoint box and the box of
    the ground truth's labelled keypoints, so a gap beyond ``r`` rules the pair out.
    Ground truth without labelled keypoints is always kept (its OKS uses its box).
    """
    vis = g.keypoints[:, :, 2] > 0
    gx, gy = g.keypoints[:, :, 0], g.keypoints[:, :, 1]
    g_x0, g_x1 = np.where(vis, gx, np.inf).min(axis=1), np.where(vis, gx, -np.inf).max(axis=1)
    g_y0, g_y1 = np.where(vis, gy, np.inf).min(axis=1), np.where(vis, gy, -np.inf).max(axis=1)
    dx, dy = d.keypoints[:, :, 0], d.keypoints[:, :, 1]
    d_x0, d_x1, d_y0, d_y1 = dx.min(axis=1), dx.max(axis=1), dy.min(axis=1), dy.max(axis=1)
    var_max = float(((np.asarray(sigmas, np.float64) * 2) ** 2).max())
    r2 = 2 * np.log(1 / oks_min) * var_max * (g.area + np.spacing(1)) * (1 + 1e-6) + 1e-9
    gap_x = np.maximum(np.maximum(d_x0[pair_d] - g_x1[pair_g], g_x0[pair_g] - d_x1[pair_d]), 0)
    gap_y = np.maximum(np.maximum(d_y0[pair_d] - g_y1[pair_g], g_y0[pair_g] - d_y1[pair_d]), 0)
    reach = gap_x * gap_x + gap_y * gap_y <= r2[pair_g]
    return reach | ~vis.any(axis=1)[pair_g]


def _accumulate(d_score, dtm, dt_ig, npig, p: CocoEvalParams, precision, recall, scores) -> None:
    """cocoapi's ``accumulate`` for one category, area range and maxDets."""
    inds = np.argsort(-d_score, kind="mergesort")
    s_sorted = d_score[inds]
    dtm, dt_ig = dtm[:, inds], dt_ig[:, inds]
    tps = np.logical_and(dtm, np.logical_not(dt_ig))
    fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
    tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
    fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
    nd = tp_sum.shape[1]
    r = len(p.rec_thrs)
    for ti in range(len(p.iou_thrs)):
        tp, fp = tp_sum[ti], fp_sum[ti]
        rc = tp / npig
        pr = tp / (fp + tp + np.spacing(1))
        recall[ti] = rc[-1] if nd else 0
        q, ss = np.zeros(r), np.zeros(r)
        if nd:
            pr = np.maximum.accumulate(pr[::-1])[::-1]
            idx = np.searchsorted(rc, p.rec_thrs, side="left")
            ok = idx < nd
            q[ok] = pr[idx[ok]]
            ss[ok] = s_sorted[idx[ok]]
        precision[ti] = q
        scores[ti] = ss


def _summarize(ev: CocoKeypointEval) -> np.ndarray:
    """cocoapi's ``summarize`` for keypoints (maxDets=20)."""
    p = ev.params

    def one(ap: bool, iou: float | None = None, area: str = "all") -> float:
        aind = [i for i, a in enumerate(p.area_labels) if a == area]
        mind = [i for i, md in enumerate(p.max_dets) if md == 20]
        s = ev.precision if ap else ev.recall
        if iou is not None:
            s = s[np.where(iou == p.iou_thrs)[0]]
        s = s[:, :, :, aind, mind] if ap else s[:, :, aind, mind]
        return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    return np.array([
        one(True), one(True, .5), one(True, .75), one(True, area="medium"), one(True, area="large"),
        one(False), one(False, .5), one(False, .75), one(False, area="medium"), one(False, area="large"),
    ])
