"""Coordinate (DeepPose, integral, RLE) and SimCC codecs: round trips, weights and exact flipping,
checked against the mirror of a crop computed by hand (pixel x -> W - 1 - x)."""
import numpy as np
import pytest

from posekit.codecs import RegressionLabel, SimCCLabel
from posekit.skeletons import get_skeleton

W, H = 96, 128


def _points(rng, n, k):
    return rng.uniform([0, 0], [W - 1, H - 1], size=(n, k, 2))


def _mirror(keypoints, visible, flip_index):
    """What a mirrored crop shows: x -> W - 1 - x, left and right relabelled (as the dataset does)."""
    m = keypoints.copy()
    m[..., 0] = W - 1 - m[..., 0]
    return m[:, flip_index], visible[:, flip_index]


def test_coordinates_round_trip_and_scale():
    codec = RegressionLabel(input_size=(W, H))
    kp = _points(np.random.default_rng(0), 50, 17)
    target, weight = codec.encode(kp, np.ones((50, 17)))
    assert target.shape == (50, 17, 2) and target.dtype == np.float32 and weight.min() == 1
    # crop edges (-0.5 and W - 0.5 pixels) are 0 and 1; pixel centre x is (x + 0.5) / W
    assert np.allclose(target, (kp + 0.5) / [W, H], atol=1e-6)
    decoded, scores = codec.decode(target)
    assert np.abs(decoded - kp).max() < 1e-4 and (scores == 1).all()


def test_coordinates_weights_follow_visibility_and_the_crop():
    codec = RegressionLabel(input_size=(W, H))
    kp = np.array([[[10.0, 10.0], [10.0, 10.0], [-3.0, 10.0], [10.0, H + 2.0], [np.nan, 1.0]]])
    target, weight = codec.encode(kp, np.array([[2, 0, 2, 1, 2]]))
    assert weight.tolist() == [[1, 0, 0, 0, 0]]
    assert (target[0, 1:] == 0).all()


def test_coordinates_flip_back_is_exact():
    sk = get_skeleton("coco17")
    codec = RegressionLabel(input_size=(W, H))
    kp, vis = _points(np.random.default_rng(1), 20, 17), np.ones((20, 17))
    mirrored_target, _ = codec.encode(*_mirror(kp, vis, sk.flip_index()))
    back = codec.flip_back(mirrored_target, sk.flip_index())
    assert np.abs(codec.decode(back)[0] - kp).max() < 1e-4


def test_rle_output_scores_and_flip():
    codec = RegressionLabel(input_size=(W, H))
    mu = np.full((1, 3, 2), 0.25)
    sigma = np.array([[[0.1, 0.3], [0.0, 0.0], [0.9, 1.5]]])
    kp, scores = codec.decode((mu, sigma))
    assert np.allclose(kp, [0.25 * W - 0.5, 0.25 * H - 0.5])
    assert np.allclose(scores, [[0.8, 1.0, 0.0]])  # 1 - mean sigma, clipped to [0, 1]
    flip_index = np.array([0, 2, 1])
    fmu, fsigma = codec.flip_back((mu, sigma), flip_index)
    assert np.allclose(fmu[..., 0], 0.75) and np.allclose(fsigma, sigma[:, flip_index])


@pytest.mark.parametrize("k", [2.0, 3.0])
def test_simcc_round_trip_within_half_a_bin(k):
    codec = SimCCLabel(input_size=(W, H), split_ratio=k, sigma=3.0)
    kp = _points(np.random.default_rng(2), 100, 17)
    target, weight = codec.encode(kp, np.ones((100, 17)))
    assert target.shape == (100, 17, int(W * k) + int(H * k)) and weight.min() == 1
    tx, ty = codec.split(target)
    assert tx.shape[-1] == W * k and ty.shape[-1] == H * k
    decoded, scores = codec.decode((np.log(tx + 1e-30), np.log(ty + 1e-30)))
    assert np.abs(decoded - kp).max() <= 1 / (2 * k) + 1e-9
    # the label's own distribution scores (about) 1
    assert scores.min() > 0.95


def test_simcc_label_is_a_gaussian_in_bins():
    codec = SimCCLabel(input_size=(W, H), split_ratio=2.0, sigma=2.0)
    target, _ = codec.encode(np.array([[[10.0, 20.0]]]), np.ones((1, 1)))
    tx, ty = codec.split(target[0, 0])
    # pixel 10 is bin 2 * 10.5 - 0.5 = 20.5: bins 20 and 21 are half a bin away
    assert tx[20] == pytest.approx(np.exp(-0.25 / 8), rel=1e-6) and tx[21] == pytest.approx(tx[20])
    assert ty[40] == pytest.approx(ty[41]) and ty.argmax() in (40, 41)


def test_simcc_weights_and_uninformative_scores():
    codec = SimCCLabel(input_size=(W, H))
    target, weight = codec.encode(np.array([[[5.0, 5.0], [5.0, 5.0], [W + 1.0, 5.0]]]), np.array([[1, 0, 1]]))
    assert weight.tolist() == [[1, 0, 0]] and (target[0, 1:] == 0).all()
    nx, ny = codec.bins
    _, scores = codec.decode((np.zeros((1, 1, nx)), np.zeros((1, 1, ny))))
    assert scores[0, 0] < 0.1  # a flat distribution is far from a confident label


def test_simcc_flip_back_is_exact():
    sk = get_skeleton("coco17")
    codec = SimCCLabel(input_size=(W, H), split_ratio=2.0, sigma=4.0)
    kp, vis = _points(np.random.default_rng(3), 20, 17), np.ones((20, 17))
    target, _ = codec.encode(kp, vis)
    mirrored, _ = codec.encode(*_mirror(kp, vis, sk.flip_index()))
    back = codec.flip_back(codec.split(mirrored), sk.flip_index())
    # the mirrored crop's labels, flipped back, are the original labels bin for bin
    assert np.allclose(np.concatenate(back, axis=-1), target, atol=1e-6)
