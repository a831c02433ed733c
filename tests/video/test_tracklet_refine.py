"""Tracklet refinement: the synthetic trajectories, the error model, the network's edge cases, and a
short deterministic training that steadies held-out tracks without raising their error."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posekit.data.synthetic.background import background, draw_clutter
from posekit.data.synthetic.video import make_video, video_tracks
from posekit.errors import InputError
from posekit.skeletons import COCO17
from posekit.structures import PoseResult
from posekit.video.refiner_training import TrainingConfig, noisy_tracks, synthetic_tracks, train_refiner
from posekit.video.smoothing import jitter
from posekit.video.track_errors import EstimatorErrors, simulate_estimates
from posekit.video.tracklet_refine import (RefinerConfig, TrackletRefiner, load_refiner, refine_results,
                                           refine_track, save_refiner)

QUIET = EstimatorErrors(noise=0.0, drift=0.0, outlier_rate=0.0, swap_rate=0.0, drop_rate=0.0, box_noise=0.0)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_video_tracks_are_the_rendered_ground_truth():
    """Drawing the same background first puts the rng where make_video has it: the trajectories are
    then the keypoints of the rendered scenes (which round to 0.01 px)."""
    scenes = make_video(np.random.default_rng(4), 320, 240, 10, num_people=3)
    rng = np.random.default_rng(4)
    draw_clutter(rng, background(rng, 240, 320), int(rng.integers(2, 10)), 0.3 * 240)
    kp, vis, boxes = video_tracks(rng, 320, 240, 10, 3)
    assert kp.shape == (10, 3, 17, 2) and vis.shape == (10, 3, 17) and boxes.shape == (10, 3, 4)
    seen = 0
    for t, scene in enumerate(scenes):
        for i, tid in enumerate(scene.track_ids):
            np.testing.assert_allclose(kp[t, tid], scene.keypoints[i], atol=0.006)
            assert ((scene.visibility[i] > 0) == (vis[t, tid] > 0)).all()  # inside the frame or not
            seen += 1
    assert seen > 10


def test_error_model_noise_scale_and_swaps():
    """White noise alone has the standard deviation 2 sigma_k s (OKS's spread); a swap rate of 1
    swaps every flip pair; scores fall as errors grow."""
    t = 4000
    gt = np.zeros((t, 17, 2))
    boxes = np.tile([0.0, 0.0, 50.0, 200.0], (t, 1))  # s = 100
    vis = np.full((t, 17), 2)
    kp, scores, out_boxes = simulate_estimates(np.random.default_rng(0), gt, vis, boxes,
                                               EstimatorErrors(**{**QUIET.__dict__, "noise": 1.0}))
    expected = 2 * COCO17.sigma_array() * 100
    np.testing.assert_allclose(kp.std(axis=(0, 2)), expected, rtol=0.05)
    np.testing.assert_array_equal(out_boxes, boxes)
    err = np.linalg.norm(kp, axis=-1) / expected
    assert np.corrcoef(err.ravel(), scores.ravel())[0, 1] < -0.5
    gt = np.random.default_rng(1).normal(0, 10, (5, 17, 2))
    swapped, _, _ = simulate_estimates(np.random.default_rng(0), gt, vis[:5], boxes[:5],
                                       EstimatorErrors(**{**QUIET.__dict__, "swap_rate": 1.0}))
    np.testing.assert_allclose(swapped, gt[:, COCO17.flip_index()])


def test_untrained_refiner_is_the_identity_on_any_length():
    model = TrackletRefiner().eval()
    rng = np.random.default_rng(0)
    for t in (1, 2, 5, 40):
        kp = rng.uniform(0, 300, (t, 17, 2))
        boxes = np.tile([50.0, 20.0, 100.0, 250.0], (t, 1))
        np.testing.assert_allclose(refine_track(model, kp, rng.random((t, 17)), boxes), kp, atol=1e-4)


def test_edge_padding_keeps_a_still_pose_still_and_missing_keypoints_are_filled():
    """A pose held still is the same in every frame of any window; the edge frames repeat the
    edge, so the refined track is constant too. A missing (NaN) keypoint comes back finite."""
    torch.manual_seed(0)
    model = TrackletRefiner(RefinerConfig(channels=16))
    for p in model.parameters():
        torch.nn.init.normal_(p, 0, 0.1)
    pose = np.random.default_rng(0).uniform(0, 200, (17, 2))
    kp = np.repeat(pose[None], 12, 0)
    boxes = np.tile([0.0, 0.0, 200.0, 200.0], (12, 1))
    out = refine_track(model, kp, np.full((12, 17), 0.9), boxes)
    np.testing.assert_allclose(out, np.repeat(out[:1], 12, 0), atol=1e-4)
    assert np.abs(out - kp).max() > 1.0  # the random net does correct
    kp[3:6, 9] = np.nan
    filled = refine_track(model, kp, np.full((12, 17), 0.9), boxes)
    assert np.isfinite(filled).all() and filled.shape == (12, 17, 2)
    one = refine_track(model, kp[:1], np.full((1, 17), 0.9), boxes[:1])
    np.testing.assert_allclose(one, out[:1], atol=1e-4)


def test_refine_results_per_run_of_frames(tmp_path):
    """Each track's run of consecutive frames is refined alone: the results equal refine_track on
    that run; untracked people stay as they are. Save and load give the same refiner."""
    torch.manual_seed(1)
    model = TrackletRefiner(RefinerConfig(channels=16))
    for p in model.parameters():
        torch.nn.init.normal_(p, 0, 0.05)
    save_refiner(model, tmp_path / "run")
    loaded = load_refiner(tmp_path / "run")
    rng = np.random.default_rng(2)
    results = []
    for t in range(8):
        ids = np.array([0, -1]) if t != 4 else np.array([-1, -1])  # track 0 is lost at frame 4
        results.append(PoseResult(t, rng.uniform(0, 100, (2, 17, 2)), rng.random((2, 17)), np.ones(2),
                                  np.tile([0.0, 0.0, 100.0, 120.0], (2, 1)), track_ids=ids))
    out = refine_results(results, loaded)
    for run in (range(0, 4), range(5, 8)):
        want = refine_track(model, np.stack([results[t].keypoints[0] for t in run]),
                            np.stack([results[t].keypoint_scores[0] for t in run]),
                            np.stack([results[t].boxes[0] for t in run]))
        np.testing.assert_allclose(np.stack([out[t].keypoints[0] for t in run]), want, atol=1e-5)
    for t in range(8):
        np.testing.assert_array_equal(out[t].keypoints[1], results[t].keypoints[1])
    np.testing.assert_array_equal(out[4].keypoints, results[4].keypoints)


def test_load_refiner_refuses_other_folders(tmp_path):
    from safetensors.torch import save_file

    with pytest.raises(InputError, match="not a tracklet refiner run"):
        load_refiner(tmp_path)
    save_file({"w": torch.zeros(2)}, str(tmp_path / "refiner.safetensors"), metadata={"posekit.spec": '{"kind": "x"}'})
    with pytest.raises(InputError, match="not a tracklet refiner .its model is x"):
        load_refiner(tmp_path)
    (tmp_path / "refiner.safetensors").write_bytes(b"junk")
    with pytest.raises(InputError, match="not a safetensors file"):
        load_refiner(tmp_path)


def test_short_training_cuts_jitter_without_raising_error():
    """300 steps (seconds, seed 0): on held-out tracks with fresh errors, jitter (smoothing.jitter,
    px/frame^2) falls by more than half and the keypoint error falls too. Measured: jitter 0.20 ->
    0.056 and error 0.095 -> 0.050 box sizes (bench/tracklet_refine.py has the full run)."""
    model, losses = train_refiner(TrainingConfig(steps=300, clips=40, seed=0))
    assert np.mean(losses[-30:]) < 0.6 * np.mean(losses[:30])
    held = synthetic_tracks(1000, 12)
    est = noisy_tracks(held, 7)
    raw_j, ref_j, raw_e, ref_e = [], [], [], []
    for tr, (kp, ks, boxes) in zip(held, est):
        refined = refine_track(model, kp, ks, boxes)
        vis = tr.visibility > 0
        raw_j.append(jitter(kp, vis))
        ref_j.append(jitter(refined, vis))
        raw_e.append(np.linalg.norm(kp - tr.keypoints, axis=-1)[vis].mean())
        ref_e.append(np.linalg.norm(refined - tr.keypoints, axis=-1)[vis].mean())
    assert np.nanmean(ref_j) < 0.5 * np.nanmean(raw_j)
    assert np.mean(ref_e) < np.mean(raw_e)


@pytest.mark.slow
def test_full_training_beats_both_smoothers():
    """1500 steps, seed 0 (bench/tracklet_refine.py's setting): on held-out tracks the refiner has a
    lower error and a lower jitter than centred Savitzky-Golay, the better smoother. Measured over
    seeds 0-2: error 0.0357 +- 0.0003 against 0.0665, jitter 0.0261 +- 0.0006 against 0.0317."""
    from posekit.video.refiner_training import track_metrics
    from posekit.video.smoothing import savgol

    model, _ = train_refiner(TrainingConfig(steps=1500, seed=0))
    held = synthetic_tracks(5000, 40)
    est = noisy_tracks(held, 5000)
    refined = track_metrics([refine_track(model, *e) for e in est], held)
    smoothed = track_metrics([savgol(e[0], 9, 2) for e in est], held)
    assert refined["error"] < 0.7 * smoothed["error"]
    assert refined["jitter"] < 0.95 * smoothed["jitter"]
