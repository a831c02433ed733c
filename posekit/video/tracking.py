"""Pose tracking by detection: per-frame poses become tracks with stable ids.

Survey section 1.3 ("pose tracking"): each frame's people are associated with the
live tracks by a similarity, here OKS between the track's predicted pose and the
detection (as in PoseFlow, Xiu et al. BMVC 2018, and the Simple Baselines tracker,
Xiao et al. ECCV 2018) or box IoU, solved greedily or optimally (Hungarian
assignment, Kuhn 1955, through SciPy). A track is confirmed after ``min_hits``
consecutive matches (SORT's birth rule, Bewley et al. 2016), survives ``max_age``
unmatched frames (its pose extrapolated at constant velocity), and can be
re-associated within that gap.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..geometry import box_iou
from ..oks import oks_matrix
from ..skeletons import get_skeleton
from ..structures import PoseResult

__all__ = ["TrackerConfig", "PoseTracker", "box_iou", "assign", "apply_backfill"]


@dataclass(frozen=True)
class TrackerConfig:
    """``similarity``: 'oks' or 'iou'; ``matching``: 'hungarian' or 'greedy'; a pair is
    associated only at ``threshold`` or above. ``min_hits`` consecutive matches confirm
    a track; ``max_age`` unmatched frames end it. Keypoints scoring below
    ``keypoint_threshold`` do not count in OKS."""

    similarity: Literal["oks", "iou"] = "oks"
    matching: Literal["hungarian", "greedy"] = "hungarian"
    threshold: float = 0.15
    min_hits: int = 2
    max_age: int = 10
    keypoint_threshold: float = 0.3


@dataclass
class _Track:
    id: int
    keypoints: np.ndarray  # (K, 2) last matched
    scores: np.ndarray  # (K,)
    box: np.ndarray  # (4,) x, y, w, h
    velocity: np.ndarray  # (2,) pixels per frame, of the person as a whole
    hits: int = 1
    age: int = 0  # frames since the last match
    confirmed: bool = False
    history: list = None  # type: ignore[assignment]  # (frame, detection) while tentative

    def __post_init__(self) -> None:
        self.history = list(self.history or [])

    def predicted(self) -> tuple[np.ndarray, np.ndarray]:
        shift = self.velocity * (self.age + 1)
        kp = self.keypoints + shift
        box = self.box.copy()
        box[:2] += shift
        return kp, box


def assign(similarity: np.ndarray, threshold: float, method: str = "hungarian") -> list[tuple[int, int]]:
    """Row-column pairs maximising similarity, each at least ``threshold``."""
    if similarity.size == 0:
        return []
    if method == "greedy":
        order = np.argsort(-similarity, axis=None, kind="stable")
        rows, cols = np.unravel_index(order, similarity.shape)
        used_r, used_c, out = set(), set(), []
        for r, c in zip(rows.tolist(), cols.tolist()):
            if similarity[r, c] < threshold:
                break
            if r not in used_r and c not in used_c:
                used_r.add(r)
                used_c.add(c)
                out.append((r, c))
        return out
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-similarity)
    return [(r, c) for r, c in zip(rows.tolist(), cols.tolist()) if similarity[r, c] >= threshold]


class PoseTracker:
    """Feed frames in order with :meth:`update`; each returned :class:`PoseResult` carries
    ``track_ids`` (-1 for people whose track is not confirmed yet).

    A track confirmed at frame t was tentative in the frames before: :meth:`pop_backfill`
    returns those (frame index, person index, track id) so a caller that keeps the earlier
    results can give them the id too (:meth:`run` does), and no frame loses its people."""

    def __init__(self, config: TrackerConfig | None = None, sigmas: np.ndarray | None = None):
        self.config = config or TrackerConfig()
        self._sigmas = sigmas
        self.tracks: list[_Track] = []
        self._next_id = 0
        self._frame = -1
        self._backfill: list[tuple[int, int, int]] = []

    def reset(self) -> None:
        self.tracks, self._next_id, self._frame, self._backfill = [], 0, -1, []

    def pop_backfill(self) -> list[tuple[int, int, int]]:
        """(frame, person, track id) of detections made before their track was confirmed."""
        out, self._backfill = self._backfill, []
        return out

    def _similarity(self, result: PoseResult) -> np.ndarray:
        if not self.tracks or len(result) == 0:
            return np.zeros((len(self.tracks), len(result)))
        predicted = [t.predicted() for t in self.tracks]
        boxes = np.stack([b for _, b in predicted])
        if self.config.similarity == "iou":
            return box_iou(boxes, result.boxes)
        sigmas = self._sigmas if self._sigmas is not None else get_skeleton(result.skeleton).sigma_array()
        dt = np.concatenate([result.keypoints, result.keypoint_scores[..., None]], axis=-1)
        out = np.zeros((len(self.tracks), len(result)))
        for i, (track, (kp, box)) in enumerate(zip(self.tracks, predicted)):
            vis = (track.scores >= self.config.keypoint_threshold).astype(np.float64) * 2
            gt = np.concatenate([kp, vis[:, None]], axis=-1)[None]
            area = np.array([max(box[2] * box[3], 1.0)])
            out[i] = oks_matrix(dt, gt, area, box[None], sigmas)[:, 0]
        return out

    def _confirm(self, track: _Track) -> None:
        """Ids are handed out at confirmation, so they count up without gaps."""
        track.confirmed, track.id = True, self._next_id
        self._next_id += 1
        self._backfill += [(f, d, track.id) for f, d in track.history if f < self._frame]
        track.history = []

    def update(self, result: PoseResult) -> PoseResult:
        cfg = self.config
        self._frame += 1
        pairs = assign(self._similarity(result), cfg.threshold, cfg.matching)
        matched_tracks = {r for r, _ in pairs}
        ids = np.full(len(result), -1, dtype=np.int64)
        for r, c in pairs:
            t = self.tracks[r]
            gap = t.age + 1
            # Constant velocity of the whole person (the mean keypoint): a per-keypoint
            # velocity would double the keypoints' noise into every prediction.
            step = (result.keypoints[c] - t.keypoints).mean(axis=0) / gap
            t.velocity = 0.5 * t.velocity + 0.5 * step
            t.keypoints, t.scores, t.box = result.keypoints[c].copy(), result.keypoint_scores[c].copy(), \
                result.boxes[c].copy()
            t.hits, t.age = t.hits + 1, 0
            if not t.confirmed:
                t.history.append((self._frame, c))
            if not t.confirmed and t.hits >= cfg.min_hits:
                self._confirm(t)
            if t.confirmed:
                ids[c] = t.id
        for i, t in enumerate(self.tracks):
            if i not in matched_tracks:
                t.age += 1
                if not t.confirmed:
                    t.hits, t.history = 0, []  # confirmation needs consecutive matches
        self.tracks = [t for t in self.tracks if t.age <= cfg.max_age and (t.confirmed or t.hits > 0)]
        matched_dets = {c for _, c in pairs}
        for c in range(len(result)):
            if c not in matched_dets:
                t = _Track(-1, result.keypoints[c].copy(), result.keypoint_scores[c].copy(),
                           result.boxes[c].copy(), np.zeros(2), history=[(self._frame, c)])
                if cfg.min_hits <= 1:
                    self._confirm(t)
                    ids[c] = t.id
                self.tracks.append(t)
        return replace(result, track_ids=ids)

    def run(self, frames: list[PoseResult]) -> list[PoseResult]:
        """Track a whole sequence from a fresh state (earlier frames get their ids once confirmed)."""
        self.reset()
        out = []
        for f in frames:
            out.append(self.update(f))
            apply_backfill(out, self.pop_backfill())
        return out


def apply_backfill(results: list[PoseResult], backfill: list[tuple[int, int, int]]) -> None:
    """Give earlier results the ids of tracks confirmed later (see :meth:`PoseTracker.pop_backfill`)."""
    for frame, person, tid in backfill:
        results[frame].track_ids[person] = tid
