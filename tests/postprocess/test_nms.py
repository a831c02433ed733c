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
