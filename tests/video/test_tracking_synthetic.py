"""The tracker on synthetic videos whose people walk, enter, leave and cross (ground-truth tracks).

Detections are the ground-truth poses with Gaussian noise, shuffled, some missed: the tracker
must keep identities. Stated bounds: with 2 px noise and 2% misses, MOTA >= 0.9 and no identity
switch in any video, crossings included; with 8 px noise and 10% misses (people as small as 140 px),
fewer than 100 joint-level switches over the 8 videos (about 6 person-level switches).
"""
from __future__ import annotations

import numpy as np
import pytest

from posekit.data.synthetic import make_video
from posekit.structures import PoseResult
from posekit.video.metrics import TrackFrame, clear_mot
from posekit.video.tracking import PoseTracker


def track_video(v: int, noise: float, miss: float):
    scenes = make_video(np.random.default_rng([7, v]), 640, 480, 60, num_people=3)
    rng = np.random.default_rng(v)
    gt, frames = [], []
    for t, s in enumerate(scenes):
        vis = s.visibility > 0
        head = 0.6 * np.hypot(s.boxes[:, 3] / 6, s.boxes[:, 3] / 6)
        gt.append(TrackFrame(s.track_ids, s.keypoints, vis, head))
        order = rng.permutation(np.flatnonzero(rng.random(len(s.track_ids)) > miss))
        kp = s.keypoints[order] + rng.normal(0, noise, (len(order), 17, 2))
        frames.append(PoseResult(t, kp, np.where(vis[order], 0.9, 0.1), np.full(len(order), 0.9),
                                 boxes=s.boxes[order]))
    out = PoseTracker().run(frames)
    pred = [TrackFrame(r.track_ids, r.keypoints, (r.track_ids >= 0)[:, None] & (r.keypoint_scores >= 0.3))
            for r in out]
    return clear_mot(gt, pred)


@pytest.mark.parametrize("v", range(4))
def test_clean_detections_keep_identities(v):
    mot = track_video(v, noise=2.0, miss=0.02)
    assert mot.switches.sum() == 0 and mot.mota >= 0.9


@pytest.mark.slow
def test_noisy_detections_bounded_switches():
    switches = sum(track_video(v, noise=8.0, miss=0.10).switches.sum() for v in range(8))
    assert switches < 100
