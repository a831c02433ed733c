"""Keypoint calibration: a known offset in each person's frame is recovered and undone."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.errors import DataError
from posekit.topdown.calibration import KeypointCalibration, fit_calibration, person_frames


def poses(n, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(-1, 1, (17, 2)) * [0.4, 1.0]
    base[[5, 6]] = [[-0.3, -1.0], [0.3, -1.0]]  # shoulders above
    base[[11, 12]] = [[-0.2, 0.0], [0.2, 0.0]]  # hips at the origin
    angle = rng.uniform(-np.pi, np.pi, n)
    scale = rng.uniform(50, 200, n)
    rot = np.stack([np.stack([np.cos(angle), -np.sin(angle)], 1), np.stack([np.sin(angle), np.cos(angle)], 1)], 1)
    kp = np.einsum("nij,kj->nki", rot, base) * scale[:, None, None] + rng.uniform(100, 500, (n, 1, 2))
    return kp


def test_person_frame_by_hand():
    kp = np.zeros((1, 17, 2))
    kp[0, [11, 12]] = [[0, 10], [2, 10]]
    kp[0, [5, 6]] = [[0, 0], [2, 0]]  # upright person, torso 10 px
    origin, axes, scale = person_frames(kp)
    np.testing.assert_allclose(origin, [[1, 10]])
    np.testing.assert_allclose(scale, [10])
    np.testing.assert_allclose(axes[0], [[1, 0], [0, 1]], atol=1e-12)  # x right, y down for an upright person


def test_recovers_a_known_offset(tmp_path):
    pred = poses(40)
    truth_offsets = np.random.default_rng(1).normal(0, 0.05, (17, 2))
    truth_offsets[[5, 6, 11, 12]] = 0  # the torso defines the frame
    cal = KeypointCalibration(truth_offsets)
    gt = cal.apply(pred)
    fitted = fit_calibration(pred, gt, np.ones((40, 17), bool))
    np.testing.assert_allclose(fitted.offsets, truth_offsets, atol=1e-9)
    np.testing.assert_allclose(fitted.apply(pred), gt, atol=1e-6)
    fitted.save(tmp_path / "c.json")
    np.testing.assert_allclose(KeypointCalibration.load(tmp_path / "c.json").offsets, truth_offsets, atol=1e-5)


def test_too_few_people():
    with pytest.raises(DataError, match="only 2 people"):
        fit_calibration(poses(2), poses(2), np.ones((2, 17), bool))


def test_bundled_coco_calibration_and_the_accurate_preset():
    import argparse

    from posekit.commands.infer import _calibration

    bundled = KeypointCalibration.load("coco")
    assert bundled.offsets.shape == (17, 2) and np.abs(bundled.offsets).max() < 0.5  # torso units
    ns = lambda **kw: argparse.Namespace(**{"accurate": False, "calibration": None, **kw})  # noqa: E731
    assert _calibration(ns()) is None
    assert _calibration(ns(accurate=True)) == "coco"
    assert _calibration(ns(accurate=True, calibration="none")) is None
    assert _calibration(ns(calibration="my.json")) == "my.json"
