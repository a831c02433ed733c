"""Following new tracks backwards: people the detector found late, recovered in the frames before.

A detect-then-follow tracker (MediaPipe's tracking mode, Xiao et al. 2018's detect-and-track loop)
finds a person only at a detection frame whose detector sees them; people turned away or small are
often found a few detections late, and the frames before are lost. On a file the past frames are
still at hand: when a track is born, its first pose is followed backwards through the last frames
(the same crop-from-previous-pose step, run in reverse time), as offline annotation tools and
bidirectional trackers do (e.g. the forward-backward propagation of Girdhar et al., *Detect-and-
Track*, CVPR 2018, and of PoseFlow's offline pass, Xiu et al. BMVC 2018). It stops at the first frame
where the person is lost (the estimator's own presence test), where the pose overlaps someone
already there (box IoU above ``overlap``), or at the end of the kept frames.
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Callable

import numpy as np

from ..geometry import box_iou
from ..structures import PoseResult

__all__ = ["Backtracker"]


class Backtracker:
    """Keeps the last ``frames`` frames; :meth:`recover` follows each track first seen in the
    newest of them back in time with ``follow(frame, t, previous) -> PoseResult``."""

    def __init__(self, follow: Callable[[np.ndarray, int, PoseResult], PoseResult], frames: int = 24,
                 overlap: float = 0.3):
        self.follow, self.overlap = follow, overlap
        self._frames: deque[tuple[int, np.ndarray]] = deque(maxlen=max(frames, 0) + 1)
        self._seen: set[int] = set()
        self.runs = 0

    def push(self, t: int, frame: np.ndarray) -> None:
        self._frames.append((t, frame))

    def recover(self, out: list[PoseResult]) -> None:
        """Adds, in place, the earlier frames of the tracks that ``out`` holds for the first time."""
        if not self._frames:
            return
        oldest, newest = self._frames[0][0], self._frames[-1][0]
        for t in range(oldest, newest + 1):
            ids = out[t].track_ids
            for i, tid in enumerate([] if ids is None else ids.tolist()):
                if tid < 0 or tid in self._seen:
                    continue
                self._seen.add(tid)
                self._back(out, t, out[t].person(i), tid, oldest)

    def _back(self, out, t0: int, person: PoseResult, tid: int, oldest: int) -> None:
        for t in range(t0 - 1, oldest - 1, -1):
            found = self.follow(self._frames[t - oldest][1], t, person)
            self.runs += 1
            if not len(found):
                return
            found = found.person(int(np.argmax(found.scores)))
            if len(out[t]) and box_iou(found.boxes, out[t].boxes).max() > self.overlap:
                return  # someone is there already: the same person under another id, or a neighbour
            out[t] = out[t].join(replace(found, track_ids=np.array([tid])))
            person = found
