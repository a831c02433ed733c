"""OKS of pairs equals cocoapi's ``computeOks`` bit for bit (a direct per-pair loop of its code)."""
import numpy as np
import pytest

from posekit.oks import _row_sums, oks_pairs


def _cocoapi_oks(d_kp, g_kp, area, box, sigmas):
    """cocoapi's computeOks for one (detection, ground truth) pair, operation for operation."""
    vars_ = (sigmas * 2) ** 2
    k = len(sigmas)
    xg, yg, vg = g_kp[:, 0], g_kp[:, 1], g_kp[:, 2]
    k1 = np.count_nonzero(vg > 0)
    x0, x1 = box[0] - box[2], box[0] + box[2] * 2
    y0, y1 = box[1] - box[3], box[1] + box[3] * 2
    xd, yd = d_kp[:, 0], d_kp[:, 1]
    if k1 > 0:
        dx, dy = xd - xg, yd - yg
    else:
        z = np.zeros(k)
        dx = np.max((z, x0 - xd), axis=0) + np.max((z, xd - x1), axis=0)
        dy = np.max((z, y0 - yd), axis=0) + np.max((z, yd - y1), axis=0)
    e = (dx ** 2 + dy ** 2) / vars_ / (area + np.spacing(1)) / 2
    if k1 > 0:
        e = e[vg > 0]
    return np.sum(np.exp(-e)) / e.shape[0]


@pytest.mark.parametrize("k", [5, 14, 17, 26])
def test_oks_pairs_equal_cocoapi_loop(k):
    rng = np.random.default_rng(k)
    g_n, d_n, p = 60, 80, 3000
    g = np.zeros((g_n, k, 3))
    g[..., :2] = rng.uniform(0, 200, (g_n, k, 2))
    g[..., 2] = rng.choice([0, 1, 2], (g_n, k), p=[0.4, 0.3, 0.3])
    g[:8, :, 2] = 0  # no labelled keypoint: the box rule
    g[8:12, :, 2] = 2  # all labelled
    box = np.c_[rng.uniform(0, 150, (g_n, 2)), rng.uniform(1, 80, (g_n, 2))]
    area = rng.uniform(10, 9000, g_n)
    d = np.zeros((d_n, k, 3))
    d[..., :2] = rng.uniform(-20, 220, (d_n, k, 2))
    d[..., 2] = rng.uniform(0, 1, (d_n, k))
    sigmas = rng.uniform(0.02, 0.1, k)
    di, gi = rng.integers(0, d_n, p), rng.integers(0, g_n, p)
    got = oks_pairs(d, g, area, box, sigmas, di, gi)
    want = np.array([_cocoapi_oks(d[a], g[b], area[b], box[b], sigmas) for a, b in zip(di, gi)])
    assert np.array_equal(got, want)  # bit for bit, not approximately
    assert (got > 0.5).any() and (got < 0.1).any()  # the test spans matches and misses


def test_row_sums_equal_numpy_sum_of_each_compact_row():
    rng = np.random.default_rng(0)
    for k in (3, 7, 8, 9, 15, 16, 17, 24, 26, 33):
        n = rng.integers(1, k + 1, 500)
        c = np.exp(-rng.exponential(3, (500, k))) * (np.arange(k)[None] < n[:, None])
        want = np.array([np.sum(row[:m]) for row, m in zip(c, n)])
        assert np.array_equal(_row_sums(c, n), want)
        # the order of additions matters: a plain left-to-right sum differs somewhere
    plain = np.array([sum(row[:m].tolist()) for row, m in zip(c, n)])
    assert not np.array_equal(plain, want)
