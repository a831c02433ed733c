"""PoseFix (posekit.topdown.posefix, posekit.zoo.learning_posefix, posekit train-posefix, infer --refine):
the input-pose rendering against hand-computed Gaussians, the crop -> refine -> image chain through an
identity refiner, the error model's rates measured, run folders and their bad inputs, a short
deterministic training run that beats its own input poses, and the CLI on a real run folder."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from posekit.errors import InputError
from posekit.skeletons import COCO17
from posekit.structures import PoseResult
from posekit.topdown.posefix import (PoseFix, PoseFixConfig, Refined, load_posefix, posefix_input, refine_poses,
                                     refine_result, render_pose, save_posefix)
from posekit.zoo.learning_posefix import POSEFIX_ERRORS, perturb_poses
from tests.conftest import run_cli

SMALL = PoseFixConfig(input_size=(32, 64), pose_sigma=2.0)


@pytest.fixture()
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_input_pose_is_rendered_as_hand_computed_gaussians():
    kp = np.array([[[3.3, 4.6], [np.nan, 2.0], [1.0, 1.0]]])
    maps = render_pose(kp, np.array([[True, True, False]]), (8, 10), 1.5)
    assert maps.shape == (1, 3, 10, 8) and maps.dtype == np.float32
    ys, xs = np.mgrid[0:10, 0:8]
    expected = np.exp(-((xs - 3.3) ** 2 + (ys - 4.6) ** 2) / (2 * 1.5 ** 2))
    expected[(np.abs(xs - 3.3) > 4.5) | (np.abs(ys - 4.6) > 4.5)] = 0  # cut at 3 sigma along each axis
    assert np.allclose(maps[0, 0], expected, atol=1e-6)
    assert maps[0, 0].max() < 1 and maps[0, 0, 5, 3] == pytest.approx(np.exp(-(0.09 + 0.16) / 4.5), abs=1e-6)
    assert not maps[0, 1].any() and not maps[0, 2].any()  # not finite; not valid
    x = posefix_input(np.full((1, 3, 64, 32), 0.5, np.float32), kp[:, :1].repeat(17, 1), np.ones((1, 17), bool), SMALL)
    assert x.shape == (1, 20, 64, 32) and np.all(x[0, :3] == 0.5) and x[0, 3:].max() == pytest.approx(
        render_pose(kp[:, :1], np.ones((1, 1), bool), (32, 64), 2.0).max())


def _identity(model: PoseFix) -> PoseFix:
    """A refiner whose heatmaps are its input pose sampled on the heatmap grid: it gives back its input."""
    model.forward = lambda x: x[:, 3:, ::4, ::4]  # heatmap pixel j <-> crop pixel 4j, the codec's convention
    return model


def test_crop_refine_and_back_to_image_pixels():
    model = _identity(PoseFix(SMALL))
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (300, 400, 3), np.uint8)
    # boxes whose 1.25-padded crops are 1x and 2x the 32x64 input: crop pixels of 1 and 2 image pixels
    boxes = np.array([[50.0, 40.0, 25.6, 51.2], [200.0, 60.0, 51.2, 102.4]])
    kp = boxes[:, None, :2] + rng.uniform(0.15, 0.85, (2, 17, 2)) * boxes[:, None, 2:]
    got, scores = refine_poses(model, image, kp, boxes)
    err = np.linalg.norm(got - kp, axis=-1)
    # the arg-max lands on the heatmap pixel nearest the point (half a stride of 4 crop pixels each way)
    # and the quarter-pixel shift moves it 1 crop pixel: within 2.83 + 1 crop pixels
    assert err[0].max() < 3.9 and err[1].max() < 2 * 3.9, err
    assert np.all(scores > np.exp(-8 / 8) - 1e-3)  # the Gaussian (sigma 2) 2.83 crop pixels off its centre
    miss = kp.copy()
    miss[0, 5] = np.nan
    _, s = refine_poses(model, image, miss, boxes)
    assert s[0, 5] == 0 and s[0, 4] > 0.36  # a keypoint that is not finite renders nothing


def test_refine_result_main_keypoints_a_view_or_neither():
    model = _identity(PoseFix(SMALL))
    image = np.zeros((200, 200, 3), np.uint8)
    box = np.array([[40.0, 30.0, 25.6, 51.2]])
    kp = box[:, None, :2] + np.linspace(0.2, 0.8, 34).reshape(1, 17, 2) * box[:, None, 2:]
    plain = PoseResult(1, kp, np.full((1, 17), 0.9), np.ones(1), box)
    out = refine_result(model, image, plain)
    assert out.keypoints.shape == (1, 17, 2) and np.abs(out.keypoints - kp).max() < 3.9
    assert not np.array_equal(out.keypoint_scores, plain.keypoint_scores)
    estimator = type("Estimator", (), {"detector": "gt", "predict": lambda self, image, image_id=0: plain})()
    wrapped = Refined(estimator, model)  # what infer --refine runs: any estimator, then PoseFix
    assert wrapped.detector == "gt" and np.array_equal(wrapped.predict(image, image_id=1).keypoints, out.keypoints)
    blaze = PoseResult(1, np.zeros((1, 33, 2)), np.zeros((1, 33)), np.ones(1), box, skeleton="blazepose33",
                       views={"coco17": (kp, np.full((1, 17), 0.9))})
    out = refine_result(model, image, blaze)
    assert np.array_equal(out.keypoints, blaze.keypoints) and np.abs(out.views["coco17"][0] - kp).max() < 3.9
    with pytest.raises(InputError, match="refines coco17 poses; this model gives mpii16"):
        refine_result(model, image, PoseResult(1, np.zeros((1, 16, 2)), np.zeros((1, 16)), np.ones(1), box,
                                               skeleton="mpii16"))


def test_error_model_rates_measured():
    """perturb_poses draws each kind at POSEFIX_ERRORS' rates (one frame of posekit.video.track_errors)."""
    rng = np.random.default_rng(3)
    n = 6000
    gt = rng.uniform(0, 100, (n, 17, 2))
    vis = np.full((n, 17), 2)
    boxes = np.tile([0.0, 0.0, 100.0, 100.0], (n, 1))  # s = 100 pixels
    quiet = replace(POSEFIX_ERRORS, noise=0.0, drift=0.0, outlier_rate=0.0, swap_rate=0.0, drop_rate=0.0)
    pairs = np.array(COCO17.flip_pairs)
    est, _ = perturb_poses(rng, gt, vis, boxes, replace(quiet, swap_rate=POSEFIX_ERRORS.swap_rate))
    swapped = np.isclose(est[:, pairs[:, 0]], gt[:, pairs[:, 1]]).all(-1)
    assert swapped.mean() == pytest.approx(POSEFIX_ERRORS.swap_rate, abs=0.004)
    assert np.array_equal(np.isclose(est, gt).all(-1)[:, pairs[:, 0]], ~swapped)  # nothing else moved
    est, score = perturb_poses(rng, gt, vis, boxes, replace(quiet, drop_rate=POSEFIX_ERRORS.drop_rate))
    err = np.linalg.norm(est - gt, axis=-1)
    dropped = err > 1e-9
    assert dropped.mean() == pytest.approx(POSEFIX_ERRORS.drop_rate, abs=0.003)
    assert np.all(score[dropped] < 0.2) and np.all(score[~dropped] > 0.7)
    assert err[dropped].min() >= 20 - 1e-6 and err[dropped].max() <= 80 + 1e-6  # twice outlier_size of s
    est, _ = perturb_poses(rng, gt, vis, boxes, replace(quiet, outlier_rate=POSEFIX_ERRORS.outlier_rate))
    err = np.linalg.norm(est - gt, axis=-1)
    outlier = err > 1e-9
    assert outlier.mean() == pytest.approx(POSEFIX_ERRORS.outlier_rate, abs=0.004)
    assert err[outlier].min() >= 10 - 1e-6 and err[outlier].max() <= 40 + 1e-6  # outlier_size (0.1, 0.4) of s
    jitter = replace(POSEFIX_ERRORS, outlier_rate=0.0, swap_rate=0.0, drop_rate=0.0)
    est, _ = perturb_poses(rng, gt, vis, boxes, jitter)
    unit = 2 * COCO17.sigma_array()[None, :, None] * 100
    spread = np.std((est - gt) / unit)
    assert spread == pytest.approx(np.hypot(jitter.noise, jitter.drift), rel=0.03)  # white + drift: one draw each


def test_run_folder_round_trip_and_bad_folders(tmp_path):
    torch.manual_seed(0)
    model = PoseFix(SMALL).eval()
    save_posefix(model, tmp_path / "run", {"note": 1})
    loaded = load_posefix(tmp_path / "run")
    assert loaded.config == SMALL and not loaded.training
    x = torch.randn(2, 20, 64, 32)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert json.loads((tmp_path / "run" / "posefix.json").read_text())["spec"]["kind"] == "posefix"
    with pytest.raises(InputError, match="nothere: not a PoseFix run .no posefix.safetensors"):
        load_posefix(tmp_path / "nothere")
    (tmp_path / "junk.safetensors").write_bytes(b"not weights")
    with pytest.raises(InputError, match="junk.safetensors"):
        load_posefix(tmp_path / "junk.safetensors")
    from posekit.video.tracklet_refine import TrackletRefiner, save_refiner

    save_refiner(TrackletRefiner(), tmp_path / "tr")
    with pytest.raises(InputError, match="not a PoseFix refiner .its model is tracklet-refiner"):
        load_posefix(tmp_path / "tr" / "refiner.safetensors")


def test_short_training_beats_its_own_input_poses(one_thread):
    """80 steps on 640 synthetic 32x64 crops (seed 0, about 30 s on one core): on 200 held-out crops the
    refined poses score higher than the perturbed true poses they were given.
    Measured: PCK@0.1 0.421 -> 0.468, PCK@0.2 0.738 -> 0.906, AP 0.012 -> 0.026 (tiny crops: small OKS areas)."""
    from posekit.zoo.learning_posefix import posefix_scorer, train_posefix
    from posekit.zoo.learning_proof import synthetic_instances

    train, held = synthetic_instances(640, SMALL.input_size, seed=1), synthetic_instances(200, SMALL.input_size, seed=2)
    score, before = posefix_scorer(held)
    _, summary = train_posefix(train, 80, 0, SMALL, score=score, log_every=10**6)
    after = summary["metrics"]
    assert summary["steps"] == 80
    assert after["PCK@0.1"] > before["PCK@0.1"] + 0.02, (before, after)
    assert after["PCK@0.2"] > before["PCK@0.2"] + 0.1, (before, after)
    assert after["AP"] > before["AP"], (before, after)


def test_cli_trains_a_run_folder_that_infer_refine_applies(shared_data, tmp_path):
    import posekit
    from posekit.data.coco import load_coco
    from posekit.data.images import read_image
    from posekit.engine.checkpoint import save_weights
    from posekit.engine.trainer import seed_everything
    from posekit.zoo import build_model

    proc = run_cli("train-posefix", "--out", tmp_path / "pf", "--steps", "2", "--crops", "16", "--input-size", "32x64")
    assert proc.returncode == 0, proc.stderr
    assert "held-out synthetic crops, perturbed poses -> refined" in proc.stderr
    info = json.loads((tmp_path / "pf" / "posefix.json").read_text())
    assert info["training"]["steps"] == 2 and set(info["held_out"]) == {"crops", "input", "refined"}
    seed_everything(0)
    ckpt = tmp_path / "model.safetensors"
    save_weights(build_model("simplebaseline-r18-128x96").eval(), ckpt)
    images, gt_path = shared_data / "mmpose_tests" / "coco", shared_data / "mmpose_tests" / "coco" / "test_coco.json"
    proc = run_cli("infer", images / "000000000785.jpg", "--model", ckpt, "--detector", "gt", "--gt", gt_path,
                   "--out", tmp_path / "out", "--no-overlays", "--refine", tmp_path / "pf")
    assert proc.returncode == 0, proc.stderr
    got = json.loads((tmp_path / "out" / "results.json").read_text())
    assert json.loads((tmp_path / "out" / "info.json").read_text())["refine"] == f"PoseFix ({tmp_path / 'pf'})"
    image = read_image(images / "000000000785.jpg")
    raw = posekit.load(str(ckpt), detector="gt", gt=load_coco(gt_path)).predict(image, image_id=785)
    want = refine_result(load_posefix(tmp_path / "pf"), image, raw)
    assert len(got) == len(raw) >= 1
    trip = np.array([r["keypoints"] for r in got]).reshape(len(got), 17, 3)
    assert np.allclose(trip[..., :2], want.keypoints, atol=0.01) and np.allclose(trip[..., 2], want.keypoint_scores,
                                                                                 atol=0.01)
    assert not np.allclose(want.keypoints, raw.keypoints, atol=0.5)  # the refiner moved them
    proc = run_cli("infer", images / "000000000785.jpg", "--out", tmp_path / "out2", "--refine", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"posekit infer: error: {tmp_path / 'out' / 'posefix.safetensors'}: not a PoseFix run"), last
    assert not (tmp_path / "out2").exists()
