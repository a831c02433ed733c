"""OKS-NMS and soft-OKS-NMS against hand-computed OKS."""
import numpy as np
import pytest

from posekit.postprocess import oks_between, oks_nms, soft_oks_nms

SIGMAS = np.array([0.5, 0.5])


def _oks(a, b, area, sigmas=SIGMAS):
    d2 = ((a - b) ** 2).sum(-1)
    return np.mean(np.exp(-d2 / (2 * area * (2 * sigmas) ** 2)))


def test_oks_between_by_hand():
    kp = np.array([[[0, 0], [10, 0]], [[1, 0], [10, 2]], [[50, 50], [60, 50]]], float)
    areas = np.array([100.0, 100.0, 100.0])
    got = oks_between(kp, np.ones((3, 2)), areas, SIGMAS)
    for i in range(3):
        for j in range(3):
            assert got[i, j] == pytest.approx(_oks(kp[i], kp[j], areas[j]))


def test_oks_nms_drops_duplicates_and_keeps_distinct_people():
    a = np.array([[0, 0], [10, 0]], float)
    kp = np.stack([a, a + 0.1, a + 40, a + 0.2])
    scores = np.array([0.5, 0.9, 0.8, 0.7])
    keep = oks_nms(kp, np.ones((4, 2)), scores, np.full(4, 100.0), SIGMAS, threshold=0.9)
    assert keep.tolist() == [1, 2]


def test_soft_oks_nms_decays_by_hand():
    a = np.array([[0, 0], [10, 0]], float)
    kp = np.stack([a, a + 3.0, a + 40])
    scores = np.array([0.9, 0.8, 0.7])
    areas = np.full(3, 100.0)
    o = _oks(kp[1], kp[0], 100.0)
    kept, new = soft_oks_nms(kp, np.ones((3, 2)), scores, areas, SIGMAS, method="gaussian", sigma=0.5)
    decayed = 0.8 * np.exp(-o ** 2 / 0.5)
    far = 0.7 * np.exp(-_oks(kp[2], kp[0], 100.0) ** 2 / 0.5)
    far *= np.exp(-_oks(kp[2], kp[1], 100.0) ** 2 / 0.5) if decayed > far else 1.0
    want = sorted([(0, 0.9), (1, decayed), (2, far)], key=lambda t: -t[1])
    assert kept.tolist() == [w[0] for w in want]
    assert np.allclose(new, [w[1] for w in want])
    kept, new = soft_oks_nms(kp, np.ones((3, 2)), scores, areas, SIGMAS, threshold=0.3, method="linear")
    assert new[kept.tolist().index(1)] == pytest.approx(0.8 * (1 - o) if o > 0.3 else 0.8)


def test_oks_uses_the_mean_of_both_areas_as_hrnet_does():
    """HRNet's oks_iou scales by (a_kept + a_other) / 2: one keypoint 5 px away, sigma 0.5
    (variance 1): OKS = exp(-25 / (2 * A)). With the kept pose's area alone (A = 100) it is
    exp(-0.125) = 0.8825 <= 0.9 and both poses stay; with the mean (100 + 400) / 2 = 250 it is
    exp(-0.05) = 0.9512 > 0.9 and the second goes."""
    kp = np.array([[[0.0, 0.0]], [[3.0, 4.0]]])
    sig = np.array([0.5])
    got = oks_between(kp, np.ones((2, 1)), np.array([100.0, 400.0]), sig)
    assert got[1, 0] == pytest.approx(np.exp(-0.05)) and got[0, 1] == pytest.approx(np.exp(-0.05))
    assert oks_nms(kp, np.ones((2, 1)), np.array([0.9, 0.8]), np.array([100.0, 400.0]), sig).tolist() == [0]


def test_keypoint_threshold_keeps_the_other_poses_keypoints_as_hrnet_does():
    """in_vis_thre masks with the other (candidate) pose's scores; none above it: OKS 0."""
    kp = np.array([[[0, 0], [10, 0], [0, 10]], [[0, 0], [10, 2], [40, 40]], [[5, 5], [5, 5], [5, 5]]], float)
    scores = np.array([[0.9, 0.9, 0.1], [0.9, 0.9, 0.1], [0.1, 0.1, 0.1]])
    sig = np.array([0.5, 0.5, 0.5])
    got = oks_between(kp, scores, np.array([100.0, 100.0, 100.0]), sig, keypoint_threshold=0.2)
    # pose 1 against pose 0: keypoints 0 and 1 of pose 1 count: d^2 = 0 and 4, variance 1, area 100
    assert got[1, 0] == pytest.approx((1 + np.exp(-4 / 200)) / 2)
    assert got[2, 0] == 0.0 and got[2, 1] == 0.0  # no keypoint of pose 2 above 0.2
    assert got[0, 2] == pytest.approx(np.mean(np.exp(-np.array([50, 50]) / 200)))
