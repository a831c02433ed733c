"""PCK, PCKh (MPII protocol), AUC and EPE against values computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.data.mpii import load_mpii
from posekit.evaluation import pck as P
from posekit.skeletons import COCO17, MPII16


def test_pck_by_hand():
    gt = np.zeros((2, 3, 2))
    pred = gt.copy()
    pred[0, :, 0] = [1.0, 2.0, 5.0]  # person 0, box side 10: errors 0.1, 0.2, 0.5 of the size
    pred[1, :, 1] = [3.0, 3.0, 3.0]  # person 1, box side 20: errors 0.15 each
    vis = np.array([[True, True, True], [True, True, False]])
    size = P.box_size(np.array([[0, 0, 10, 4], [0, 0, 5, 20]]))
    assert list(size) == [10, 20]
    # alpha 0.1: person 0 keypoint 0 (0.1 <= 0.1) -> 1 of 5 visible
    assert P.pck(pred, gt, vis, size, 0.1) == pytest.approx(1 / 5)
    # alpha 0.2: person 0 kp 0, 1 and person 1 kp 0, 1 -> 4 of 5
    assert P.pck(pred, gt, vis, size, 0.2) == pytest.approx(4 / 5)
    np.testing.assert_allclose(P.pck_per_keypoint(pred, gt, vis, size, 0.2), [1.0, 1.0, 0.0])
    assert P.epe(pred, gt, vis) == pytest.approx((1 + 2 + 5 + 3 + 3) / 5)
    # AUC over alphas 0, 0.25, 0.5, 0.75 (max 1, 4 steps): PCK 0, 4/5, 1, 1
    assert P.auc(pred, gt, vis, size, 1.0, 4) == pytest.approx((0 + 0.8 + 1 + 1) / 4)


def test_torso_size():
    gt = np.zeros((1, 17, 2))
    gt[0, COCO17.index("left_shoulder")] = [0, 0]
    gt[0, COCO17.index("right_hip")] = [3, 4]
    assert P.torso_size(gt, COCO17)[0] == pytest.approx(5.0)


def test_mpii_pckh_on_the_mpii_sample(shared_data):
    """Predictions displaced by known fractions of each person's head size, counted by hand."""
    samples = load_mpii(shared_data / "mmpose_tests" / "mpii" / "test_mpii.json")
    gt = np.concatenate([s.keypoints for s in samples])
    vis = np.concatenate([s.visibility for s in samples]) > 0
    boxes = np.array([[100, 100, 150, 140]] * len(samples), float)  # head size 0.6 * sqrt(50^2 + 40^2)
    head = 0.6 * np.hypot(50, 40)
    pred = gt.copy()
    # joint j of person i is displaced by (0.1 * (j % 8)) head sizes: <= 0.5 for j % 8 in 0..5
    frac = 0.1 * (np.arange(16) % 8)
    pred[:, :, 0] += frac[None, :] * head
    res = P.mpii_pckh(pred, gt, vis, boxes, 0.5)
    ok = (frac <= 0.5 + 1e-12)[None, :] & vis
    expected_joint = 100 * ok.sum(0) / vis.sum(0)
    np.testing.assert_allclose(res.per_joint, expected_joint)
    # joints: r_ankle 0 (0.0), r_knee 1 (.1), r_hip 2 (.2), l_hip 3 (.3), l_knee 4 (.4), l_ankle 5 (.5),
    # pelvis 6 (.6), thorax 7 (.7), upper_neck 8 (0), head_top 9 (.1), r_wrist 10 (.2), r_elbow 11 (.3),
    # r_shoulder 12 (.4), l_shoulder 13 (.5), l_elbow 14 (.6), l_wrist 15 (.7)
    assert res.groups["Head"] == pytest.approx(100.0)
    assert res.groups["Ankle"] == pytest.approx(100.0)
    assert res.groups["Elbow"] == pytest.approx(50.0)      # right elbow in, left elbow out
    assert res.groups["Wrist"] == pytest.approx(50.0)
    counted = [j for j in range(16) if MPII16.names[j] not in ("pelvis", "thorax")]
    assert res.mean == pytest.approx(100 * ok[:, counted].sum() / vis[:, counted].sum())


def test_unpaired_people_count_as_wrong():
    gt = np.zeros((2, 2, 2))
    pred = np.full((2, 2, 2), np.inf)
    pred[0] = 0
    assert P.pck(pred, gt, np.ones((2, 2), bool), np.array([10.0, 10.0]), 0.1) == pytest.approx(0.5)
