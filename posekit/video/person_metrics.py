"""Person-level tracking figures: who was followed, how often identities switched, how many tracks.

What a user of ``posekit track`` looks at first, before PoseTrack's per-joint MOTA
(:mod:`posekit.video.metrics`): in each frame the annotated people are matched one to one
to the output poses by box IoU (Hungarian assignment, at ``iou`` or above), then

- *recall*: the fraction of annotated person-frames matched by a tracked pose;
- *switches*: per annotated person, the times its matched track id changes from one matched
  frame to its next (CLEAR MOT's identity switch, Bernardin & Stiefelhagen 2008, per person);
- *tracks*: the number of distinct track ids in the output (a person split in two is two).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import box_iou

__all__ = ["PersonTrackStats", "person_track_stats"]


@dataclass(frozen=True)
class PersonTrackStats:
    person_frames: int
    matched: int
    switches: dict
    tracks: int
    people: int

    @property
    def recall(self) -> float:
        return self.matched / self.person_frames if self.person_frames else float("nan")

    @property
    def max_switches(self) -> int:
        return max(self.switches.values(), default=0)

    def summary(self) -> dict:
        return {"recall": self.recall, "switches": int(sum(self.switches.values())), "max_switches_per_person":
                self.max_switches, "tracks": self.tracks, "people": self.people, "person_frames": self.person_frames}


def person_track_stats(gt: list[tuple[np.ndarray, np.ndarray]], pred: list[tuple[np.ndarray, np.ndarray]],
                       iou: float = 0.5) -> PersonTrackStats:
    """``gt`` and ``pred``: one ``(ids (N,), boxes (N, 4) x, y, w, h)`` per frame, in order.
    Predictions with a negative id (unconfirmed) are ignored."""
    from scipy.optimize import linear_sum_assignment

    person_frames = matched = 0
    last: dict[int, int] = {}
    switches: dict[int, int] = {}
    track_ids: set[int] = set()
    people: set[int] = set()
    for (gids, gboxes), (pids, pboxes) in zip(gt, pred):
        gids, pids = np.asarray(gids), np.asarray(pids)
        keep = pids >= 0
        pids, pboxes = pids[keep], np.asarray(pboxes).reshape(-1, 4)[keep]
        track_ids.update(int(t) for t in pids)
        people.update(int(g) for g in gids)
        person_frames += len(gids)
        if not len(gids) or not len(pids):
            continue
        sim = box_iou(np.asarray(gboxes).reshape(-1, 4), pboxes)
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows, cols):
            if sim[r, c] < iou:
                continue
            matched += 1
            g, t = int(gids[r]), int(pids[c])
            switches.setdefault(g, 0)
            if g in last and last[g] != t:
                switches[g] += 1
            last[g] = t
    return PersonTrackStats(person_frames, matched, switches, len(track_ids), len(people))
