"""Tracking, CLEAR MOT and smoothing on trajectories with known ground truth."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.structures import PoseResult
from posekit.video.metrics import TrackFrame, clear_mot
from posekit.video.smoothing import OneEuroFilter, jitter, one_euro, savgol, savgol_causal
from posekit.video.tracking import PoseTracker, TrackerConfig, assign, box_iou


def test_box_iou_by_hand():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 5, 10, 10], [20, 20, 1, 1], [0, 0, 10, 10]])
    np.testing.assert_allclose(box_iou(a, b), [[25 / 175, 0, 1]])


def test_greedy_and_hungarian_differ_where_they_should():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert sorted(assign(sim, 0.3, "greedy")) == [(0, 0)]  # greedy takes 0.9, then (1,1)=0.1 is below
    assert sorted(assign(sim, 0.3, "hungarian")) == [(0, 1), (1, 0)]  # 0.8 + 0.85 beats 0.9 + 0.1


def people_video(n_frames=40, seed=0, gap=(15, 18), late_start=10, noise=1.0):
    """Three people walking apart; person 1 vanishes during ``gap``; person 2 enters at ``late_start``."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(-30, 30, (17, 2)) * np.array([0.5, 1.5])
    starts = np.array([[100, 200], [300, 220], [500, 210]], float)
    vel = np.array([[2, 0.5], [1.5, -0.3], [-1, 0.2]])
    frames, truth = [], []
    for t in range(n_frames):
        ids, kps = [], []
        for p in range(3):
            if (p == 1 and gap[0] <= t < gap[1]) or (p == 2 and t < late_start):
                continue
            ids.append(p)
            kps.append(starts[p] + vel[p] * t + shape)
        kp = np.array(kps)
        truth.append(TrackFrame(np.array(ids), kp, np.ones(kp.shape[:2], bool), np.full(len(ids), 20.0)))
        order = rng.permutation(len(ids))
        noisy = kp[order] + rng.normal(0, noise, kp.shape)
        frames.append(PoseResult(t, noisy, np.full(kp.shape[:2], 0.9), np.full(len(ids), 0.9)))
    return frames, truth


@pytest.mark.parametrize("similarity", ["oks", "iou"])
@pytest.mark.parametrize("matching", ["hungarian", "greedy"])
def test_tracker_keeps_ids_across_a_gap(similarity, matching):
    frames, truth = people_video()
    tracker = PoseTracker(TrackerConfig(similarity=similarity, matching=matching, min_hits=2, max_age=5))
    out = tracker.run(frames)
    pred = [TrackFrame(r.track_ids, r.keypoints, (r.track_ids >= 0)[:, None].repeat(17, 1)) for r in out]
    mot = clear_mot(truth, pred)
    assert mot.switches.sum() == 0
    assert mot.mota >= 0.9
    assert len({int(i) for r in out for i in r.track_ids if i >= 0}) == 3  # the gap did not make a new id
    assert (out[0].track_ids >= 0).all() and (out[1].track_ids >= 0).all()  # frame 0 gets its ids once confirmed


def test_clear_mot_by_hand():
    kp = lambda *xs: np.array([[[x, 0.0]] for x in xs])  # one joint per person  # noqa: E731
    gt = [TrackFrame(np.array([1, 2]), kp(0, 100), np.ones((2, 1), bool), np.array([10.0, 10.0]))] * 3
    pred = [TrackFrame(np.array([7, 8]), kp(1, 101), np.ones((2, 1), bool)),
            TrackFrame(np.array([8, 7]), kp(1, 101), np.ones((2, 1), bool)),  # ids swapped: 2 switches
            TrackFrame(np.array([8]), kp(1), np.ones((1, 1), bool))]  # person 2 missed
    mot = clear_mot(gt, pred)
    assert (mot.objects, mot.switches, mot.misses, mot.false_positives) == ([6], [2], [1], [0])
    assert mot.mota == pytest.approx(1 - 3 / 6)
    far = [TrackFrame(np.array([7]), kp(50), np.ones((1, 1), bool))] + pred[1:]  # 50 px > 0.5 * 10
    assert clear_mot(gt, far).false_positives.sum() == 1


def test_one_euro_formula():
    """Casiez et al.: alpha = 1 / (1 + tau / Te), tau = 1 / (2 pi fc); with beta = 0 a plain low-pass."""
    f = OneEuroFilter(fps=30, min_cutoff=1.0, beta=0.0)
    f(np.array([0.0]))
    a = 1 / (1 + (1 / (2 * np.pi * 1.0)) / (1 / 30))
    np.testing.assert_allclose(f(np.array([10.0])), [a * 10])
    np.testing.assert_allclose(one_euro(np.full((5, 3), 4.0)), np.full((5, 3), 4.0))  # constants pass


def test_savgol_preserves_polynomials_and_causality():
    t = np.arange(30, dtype=float)[:, None]
    quad = 0.5 * t ** 2 - 3 * t + 1
    np.testing.assert_allclose(savgol(quad, 9, 2), quad, atol=1e-9)
    np.testing.assert_allclose(savgol_causal(quad, 9, 2), quad, atol=1e-8)
    x = np.random.default_rng(0).normal(size=(30, 1))
    y = savgol_causal(x, 7, 2)
    x2 = x.copy()
    x2[20:] += 100  # the future must not change the past
    np.testing.assert_allclose(savgol_causal(x2, 7, 2)[:20], y[:20])


@pytest.mark.parametrize("method", ["one_euro", "savgol", "savgol_causal"])
def test_smoothing_halves_jitter_without_raising_error(method):
    rng = np.random.default_rng(1)
    t = np.arange(120)[:, None, None]
    truth = np.concatenate([100 + 40 * np.sin(t / 15.0), 200 + 0.8 * t], axis=-1) + np.zeros((1, 17, 2))
    noisy = truth + rng.normal(0, 3.0, truth.shape)
    smooth = {"one_euro": lambda x: one_euro(x, fps=30),  # the defaults: min_cutoff 1 Hz, beta 0.05
              "savgol": lambda x: savgol(x, 11, 2), "savgol_causal": lambda x: savgol_causal(x, 11, 2)}[method](noisy)
    assert jitter(smooth) <= 0.5 * jitter(noisy)
    err = lambda x: np.linalg.norm(x - truth, axis=-1).mean()  # noqa: E731
    assert err(smooth) <= err(noisy)
