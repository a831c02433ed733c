"""posekit.video.metrics' CLEAR MOT counts against motmetrics (py-motmetrics, Heindl et al.), an
independent implementation of Bernardin & Stiefelhagen's CLEAR MOT, run joint by joint as
PoseTrack does: objects, matches, misses, false positives and identity switches, on multi-frame
cases with swaps, misses, false positives and joints that come and go."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.video.metrics import TrackFrame, clear_mot

import motmetrics as mm  # noqa: E402 - the test reference (dev extras)

THRESHOLD = 0.5


def scenario(seed: int, frames: int = 15, people: int = 4, k: int = 5):
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 400, (people, 1, 2)) + rng.uniform(0, 30, (people, k, 2))
    velocity = rng.normal(0, 4, (people, 1, 2))
    scale = rng.uniform(15, 40, people)
    ids = np.arange(people) + 10
    hyp_ids = ids.copy() + 100
    gt, pred = [], []
    for f in range(frames):
        kp = start + velocity * f
        present = rng.random((people, k)) > 0.15
        gt.append(TrackFrame(ids.copy(), kp, present, scale))
        if rng.random() < 0.4:  # two tracks swap their ids from here on
            a, b = rng.choice(people, 2, replace=False)
            hyp_ids[[a, b]] = hyp_ids[[b, a]]
        if rng.random() < 0.2:  # a track gets a new id
            hyp_ids[rng.integers(people)] = 1000 + f
        noise = rng.normal(0, 0.25, (people, k, 2)) * scale[:, None, None]  # some joints beyond 0.5 x scale
        seen = rng.random(people) > 0.2  # misses: people the tracker lost in this frame
        p_kp, p_ids = (kp + noise)[seen], hyp_ids[seen]
        p_present = (rng.random((people, k)) > 0.1)[seen]
        extra = rng.integers(0, 3)  # false positives
        p_kp = np.concatenate([p_kp, rng.uniform(0, 450, (extra, k, 2))])
        p_ids = np.concatenate([p_ids, 5000 + 10 * f + np.arange(extra)])
        p_present = np.concatenate([p_present, np.ones((extra, k), bool)])
        pred.append(TrackFrame(p_ids, p_kp, p_present))
    return gt, pred


def motmetrics_counts(gt, pred, k):
    mh = mm.metrics.create()
    out = {n: np.zeros(k, np.int64) for n in ("objects", "matches", "misses", "fp", "switches")}
    for j in range(k):
        acc = mm.MOTAccumulator(auto_id=True)
        for g, p in zip(gt, pred):
            gi, pi = np.flatnonzero(g.present[:, j]), np.flatnonzero(p.present[:, j])
            d = np.linalg.norm(g.keypoints[gi, None, j] - p.keypoints[None, pi, j], axis=-1) / g.scale[gi, None]
            d = np.where(d <= THRESHOLD, d, np.nan)
            acc.update(g.ids[gi].tolist(), p.ids[pi].tolist(), d)
        s = mh.compute(acc, metrics=["num_objects", "num_matches", "num_misses", "num_false_positives",
                                     "num_switches"], name="j")
        for ours, theirs in (("objects", "num_objects"), ("matches", "num_matches"), ("misses", "num_misses"),
                             ("fp", "num_false_positives"), ("switches", "num_switches")):
            out[ours][j] = int(s[theirs].iloc[0])
    return out


@pytest.mark.parametrize("seed", range(6))
def test_clear_mot_counts_equal_motmetrics(seed):
    gt, pred = scenario(seed)
    k = gt[0].keypoints.shape[1]
    ours = clear_mot(gt, pred, THRESHOLD)
    ref = motmetrics_counts(gt, pred, k)
    assert ref["switches"].sum() > 0 and ref["misses"].sum() > 0 and ref["fp"].sum() > 0  # the case exercises each
    np.testing.assert_array_equal(ours.objects, ref["objects"])
    # motmetrics' num_matches leaves out the matches that are switches; ours counts every matched pair
    np.testing.assert_array_equal(ours.matches, ref["matches"] + ref["switches"])
    np.testing.assert_array_equal(ours.misses, ref["misses"])
    np.testing.assert_array_equal(ours.false_positives, ref["fp"])
    np.testing.assert_array_equal(ours.switches, ref["switches"])
    mota = 1 - (ref["misses"].sum() + ref["fp"].sum() + ref["switches"].sum()) / ref["objects"].sum()
    assert ours.mota == pytest.approx(mota)
