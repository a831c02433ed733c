"""Multi-person pose tracking metrics: CLEAR MOT per joint, in the form PoseTrack reports.

CLEAR MOT (Bernardin & Stiefelhagen, "Evaluating Multiple Object Tracking
Performance: the CLEAR MOT Metrics", 2008) applied per joint, as PoseTrack does
(Andriluka et al., CVPR 2018): in each frame, each joint of each annotated person is
an object and each predicted joint a hypothesis; they correspond when the distance
is at most ``threshold`` (0.5) times the person's head size (PCKh). Correspondences
from the previous frame are kept while still valid; the rest are assigned by the
Hungarian method; a person whose hypothesis track changes counts an identity switch.
``MOTA = 1 - (misses + false positives + switches) / objects``, per joint and in total.

Tested equal, count for count, to ``motmetrics`` (py-motmetrics) run joint by joint
(tests/video/test_metrics_motmetrics.py); ``matches`` here includes the matches that are
switches, which motmetrics' ``num_matches`` leaves out. Not compared with ``poseval`` itself:
its own keypoint selection and frame handling may give different figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["TrackFrame", "MotResult", "clear_mot"]


@dataclass
class TrackFrame:
    """One frame: ``ids`` (N,), ``keypoints`` (N, K, 2), ``present`` (N, K) bool; for
    ground truth also ``scale`` (N,), the distance normaliser (head size)."""

    ids: np.ndarray
    keypoints: np.ndarray
    present: np.ndarray
    scale: np.ndarray | None = None


@dataclass
class MotResult:
    """Counts per joint (K,) and the derived figures."""

    objects: np.ndarray
    misses: np.ndarray
    false_positives: np.ndarray
    switches: np.ndarray
    matches: np.ndarray
    names: tuple = field(default=())

    @property
    def mota_per_joint(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1 - (self.misses + self.false_positives + self.switches) / self.objects

    @property
    def mota(self) -> float:
        total = self.objects.sum()
        return float(1 - (self.misses.sum() + self.false_positives.sum() + self.switches.sum()) / total) \
            if total else float("nan")

    @property
    def precision(self) -> float:
        found = self.matches.sum() + self.false_positives.sum()
        return float(self.matches.sum() / found) if found else float("nan")

    @property
    def recall(self) -> float:
        return float(self.matches.sum() / self.objects.sum()) if self.objects.sum() else float("nan")

    def summary(self) -> dict[str, float]:
        return {"MOTA": self.mota, "IDSW": int(self.switches.sum()), "precision": self.precision,
                "recall": self.recall, "misses": int(self.misses.sum()),
                "false_positives": int(self.false_positives.sum())}


def clear_mot(gt: list[TrackFrame], pred: list[TrackFrame], threshold: float = 0.5) -> MotResult:
    """CLEAR MOT counts per joint over aligned frame lists."""
    from scipy.optimize import linear_sum_assignment

    if len(gt) != len(pred):
        raise ValueError(f"{len(gt)} ground-truth frames but {len(pred)} predicted frames")
    k = next((f.keypoints.shape[1] for f in gt if len(f.ids)), 0)
    counts = {n: np.zeros(k, np.int64) for n in ("objects", "misses", "fp", "sw", "matches")}
    last: list[dict] = [dict() for _ in range(k)]  # per joint: gt id -> hypothesis id
    for g, p in zip(gt, pred):
        for j in range(k):
            gi = np.flatnonzero(g.present[:, j]) if len(g.ids) else np.zeros(0, int)
            pi = np.flatnonzero(p.present[:, j]) if len(p.ids) else np.zeros(0, int)
            counts["objects"][j] += len(gi)
            if len(gi) == 0 or len(pi) == 0:
                counts["misses"][j] += len(gi)
                counts["fp"][j] += len(pi)
                continue
            d = np.linalg.norm(g.keypoints[gi, None, j] - p.keypoints[None, pi, j], axis=-1)
            d = d / g.scale[gi, None]
            valid = d <= threshold
            g_ids, p_ids = g.ids[gi].tolist(), p.ids[pi].tolist()
            pairs, used_g, used_p = [], set(), set()
            for a, gid in enumerate(g_ids):  # keep last frame's correspondences that still hold
                hid = last[j].get(gid)
                if hid is not None and hid in p_ids:
                    b = p_ids.index(hid)
                    if valid[a, b] and b not in used_p:
                        pairs.append((a, b))
                        used_g.add(a)
                        used_p.add(b)
            free_g = [a for a in range(len(gi)) if a not in used_g]
            free_p = [b for b in range(len(pi)) if b not in used_p]
            if free_g and free_p:
                cost = np.where(valid[np.ix_(free_g, free_p)], d[np.ix_(free_g, free_p)], 1e6)
                rows, cols = linear_sum_assignment(cost)
                for r, c in zip(rows, cols):
                    if cost[r, c] < 1e6:
                        a, b = free_g[r], free_p[c]
                        if g_ids[a] in last[j] and last[j][g_ids[a]] != p_ids[b]:
                            counts["sw"][j] += 1
                        pairs.append((a, b))
            for a, b in pairs:
                last[j][g_ids[a]] = p_ids[b]
            counts["matches"][j] += len(pairs)
            counts["misses"][j] += len(gi) - len(pairs)
            counts["fp"][j] += len(pi) - len(pairs)
    return MotResult(counts["objects"], counts["misses"], counts["fp"], counts["sw"], counts["matches"])
