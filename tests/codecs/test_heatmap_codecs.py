"""Heatmap codecs against hand-computed values and the formulas of their papers."""
import numpy as np
import pytest

from posekit.codecs import DARKHeatmap, MSRAHeatmap, UDPHeatmap, heatmap_argmax, refine_dark, refine_quarter, render_gaussians


def _interior_points(rng, n, k, size, margin):
    w, h = size
    return rng.uniform([margin, margin], [w - 1 - margin, h - 1 - margin], size=(n, k, 2))


@pytest.mark.parametrize("codec", [DARKHeatmap(input_size=(192, 256), heatmap_size=(48, 64)),
                                   UDPHeatmap(input_size=(192, 256), heatmap_size=(48, 64))])
def test_round_trip_sub_pixel_at_64x48(codec):
    # Random sub-pixel points at least 3 sigma from the border (nearer the border,
    # DARK's modulation blur reflects the Gaussian and biases every decoder that uses it).
    rng = np.random.default_rng(0)
    hm = _interior_points(rng, 300, 17, codec.heatmap_size, 3 * codec.sigma)
    keypoints = hm * codec.stride
    target, weight = codec.encode(keypoints, np.full((300, 17), 2))
    assert target.shape == (300, 17, 64, 48) and weight.min() == 1
    decoded, scores = codec.decode(target)
    err_hm = np.linalg.norm(decoded / codec.stride - hm, axis=-1)
    assert err_hm.max() <= 0.02
    assert np.allclose(scores, target.max(axis=(2, 3)))


def test_udp_stride_measures_unit_lengths():
    codec = UDPHeatmap(input_size=(192, 256), heatmap_size=(48, 64))
    assert np.allclose(codec.stride, [191 / 47, 255 / 63])
    # the last input pixel centre maps onto the last heatmap pixel centre
    target, _ = codec.encode(np.array([[[191.0, 255.0]]]), np.ones((1, 1)))
    assert target[0, 0, 63, 47] == pytest.approx(1.0)


def test_msra_encoding_is_the_rounded_gaussian():
    codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
    # input (41.0, 90.3) -> heatmap (10.25, 22.575) -> rounded centre (10, 23)
    target, weight = codec.encode(np.array([[[41.0, 90.3]]]), np.ones((1, 1)))
    t = target[0, 0]
    assert t[23, 10] == pytest.approx(1.0)
    assert t[23, 12] == pytest.approx(np.exp(-4 / 8), rel=1e-6)
    assert t[25, 11] == pytest.approx(np.exp(-(1 + 4) / 8), rel=1e-6)
    assert t[23, 17] == 0.0  # beyond 3 sigma
    assert weight[0, 0] == 1


def test_weights_zero_for_unlabelled_and_off_map_points():
    codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64))
    kp = np.array([[[50, 50], [50, 50], [-100, 50], [300, 900]]], float)
    target, weight = codec.encode(kp, np.array([[2, 0, 2, 1]]))
    assert weight.tolist() == [[1, 0, 0, 0]]
    assert target[0, 1:].max() == 0


def test_quarter_shift_by_hand():
    hm = np.zeros((1, 2, 5, 5), np.float32)
    hm[0, 0, 2, 2], hm[0, 0, 2, 3], hm[0, 0, 1, 2] = 1.0, 0.5, 0.2   # right > left, up > down
    hm[0, 1, 0, 0] = 1.0                                               # on the border: no shift
    locs, vals = heatmap_argmax(hm)
    assert locs.tolist() == [[[2, 2], [0, 0]]] and vals.tolist() == [[1.0, 1.0]]
    assert refine_quarter(hm, locs).tolist() == [[[2.25, 1.75], [0, 0]]]


def test_argmax_of_an_empty_map_is_minus_one():
    locs, vals = heatmap_argmax(np.zeros((1, 1, 4, 4)))
    assert locs.tolist() == [[[-1, -1]]] and vals[0, 0] == 0


def _dark_reference(heatmap, x, y):
    """Zhang et al. (2020) eq. (7), one keypoint at a time: mu = m - H^-1 D of log P."""
    p = np.log(np.maximum(heatmap.astype(np.float64), 1e-10))
    d = np.array([(p[y, x + 1] - p[y, x - 1]) / 2, (p[y + 1, x] - p[y - 1, x]) / 2])
    dxx = p[y, x + 1] - 2 * p[y, x] + p[y, x - 1]
    dyy = p[y + 1, x] - 2 * p[y, x] + p[y - 1, x]
    dxy = (p[y + 1, x + 1] - p[y - 1, x + 1] - p[y + 1, x - 1] + p[y - 1, x - 1]) / 4
    return np.array([x, y]) - np.linalg.solve(np.array([[dxx, dxy], [dxy, dyy]]), d)


def test_dark_matches_the_paper_formula_per_keypoint():
    rng = np.random.default_rng(1)
    # irregular, non-Gaussian maps: the vectorised step must equal the scalar formula everywhere
    maps = rng.uniform(0.01, 0.3, size=(3, 4, 16, 12))
    peaks = rng.integers([1, 1], [11, 15], size=(3, 4, 2))
    for n in range(3):
        for k in range(4):
            maps[n, k, peaks[n, k, 1], peaks[n, k, 0]] = 1.0
    locs, _ = heatmap_argmax(maps)
    got = refine_dark(maps, locs, kernel=None)
    for n in range(3):
        for k in range(4):
            want = _dark_reference(maps[n, k], *peaks[n, k])
            assert np.allclose(got[n, k], want, atol=1e-9)


def test_dark_is_exact_on_a_log_quadratic():
    # log of an anisotropic, rotated Gaussian is exactly quadratic: the Taylor step recovers its centre
    h, w = 20, 16
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    mu = np.array([7.37, 9.81])
    a, b, c = 0.3, 0.1, 0.2
    dx, dy = xx - mu[0], yy - mu[1]
    hm = np.exp(-(a * dx ** 2 + 2 * b * dx * dy + c * dy ** 2))[None, None]
    locs, _ = heatmap_argmax(hm)
    assert np.allclose(refine_dark(hm, locs, kernel=None)[0, 0], mu, atol=1e-9)


def test_flip_back_is_exact_for_udp():
    codec = UDPHeatmap(input_size=(96, 128), heatmap_size=(24, 32))
    flip_index = np.array([1, 0, 2])
    kp = np.array([[[20.3, 40.1], [70.7, 60.2], [47.5, 90.9]]])
    mirrored = kp.copy()
    mirrored[..., 0] = 95 - mirrored[..., 0]
    mirrored = mirrored[:, flip_index]
    target, _ = codec.encode(mirrored, np.ones((1, 3)))
    direct, _ = codec.encode(kp, np.ones((1, 3)))
    assert np.allclose(codec.flip_back(target, flip_index), direct, atol=1e-6)


def test_render_is_separable_gaussian():
    maps = render_gaussians(np.array([[[3.3, 2.6]]]), np.ones((1, 1), bool), (8, 6), sigma=1.5)
    yy, xx = np.mgrid[0:6, 0:8]
    want = np.exp(-((xx - 3.3) ** 2 + (yy - 2.6) ** 2) / (2 * 1.5 ** 2))
    assert np.allclose(maps[0, 0], want, atol=1e-6)
