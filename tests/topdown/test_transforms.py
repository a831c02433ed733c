"""Crop transforms: a transformed keypoint lands where its transformed pixel lands."""
import numpy as np
import pytest

from posekit.topdown.transforms import (apply_affine, box_to_center_scale, crop_matrix, flip_matrix, half_body_box,
                                        invert_affine, lower_body_mask, warp)
from posekit.skeletons import COCO17


def test_box_to_center_scale_by_hand():
    c, s = box_to_center_scale(np.array([[10, 20, 30, 80], [0, 0, 90, 60]]), aspect_ratio=0.75)
    assert c.tolist() == [[25, 60], [45, 30]]
    # tall box: w grows to 0.75 * 80 = 60; wide box: h grows to 90 / 0.75 = 120; then x1.25
    assert np.allclose(s, [[75, 100], [112.5, 150]])


def _bright_spot(image):
    """Intensity-weighted centroid (x, y) of a crop."""
    img = image.astype(np.float64)
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    return np.array([(img * xx).sum(), (img * yy).sum()]) / img.sum()


@pytest.mark.parametrize("udp", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_keypoint_lands_on_its_pixel(udp, seed):
    rng = np.random.default_rng(seed)
    out = (96, 128)
    image = np.zeros((240, 320), np.float32)
    kp = rng.integers([100, 80], [220, 160]).astype(float)
    image[int(kp[1]), int(kp[0])] = 1.0
    box = np.array([kp[0] - rng.uniform(10, 30), kp[1] - rng.uniform(10, 40), 40, 55])
    c, s = box_to_center_scale(box, out[0] / out[1])
    m = crop_matrix(c * rng.uniform(0.97, 1.03), s * rng.uniform(0.8, 1.0), out,
                    rotation=rng.uniform(-60, 60), udp=udp)[0]
    if seed % 2:
        m = (flip_matrix(out[0]) @ np.vstack([m, [0, 0, 1]]))[:2]
    crop = warp(image, m, out)
    want = apply_affine(kp[None, None], m[None])[0, 0]
    assert crop.sum() > 0
    assert np.linalg.norm(_bright_spot(crop) - want) < 0.05


def test_udp_maps_box_edges_to_crop_edges():
    c, s = np.array([[50.0, 60.0]]), np.array([[30.0, 40.0]])
    m = crop_matrix(c, s, (4, 5), udp=True)
    corners = np.array([[[35.0, 40.0], [65.0, 80.0]]])
    assert np.allclose(apply_affine(corners, m), [[[0, 0], [3, 4]]])
    m = crop_matrix(c, s, (4, 5), udp=False)
    assert np.allclose(apply_affine(corners, m), [[[0, 0], [4, 5]]])


def test_invert_affine_round_trip():
    m = crop_matrix(np.array([[40.0, 30.0]]), np.array([[20.0, 25.0]]), (48, 64), rotation=33.0)
    p = np.random.default_rng(0).uniform(0, 100, (1, 5, 2))
    assert np.allclose(apply_affine(apply_affine(p, m), invert_affine(m)), p)


def test_half_body_box_holds_the_chosen_half():
    rng = np.random.default_rng(0)
    kp = np.stack([np.linspace(10, 50, 17), np.linspace(0, 160, 17)], axis=1)
    lower = lower_body_mask(COCO17.names)
    assert lower.sum() == 6 and lower[11:].all()
    for _ in range(10):
        c, s = half_body_box(kp, np.full(17, 2), lower, rng, aspect_ratio=0.75)
        half = kp[lower] if c[1] > 100 else kp[~lower]
        assert (np.abs(half - c) <= s / 2).all()
    assert half_body_box(kp, np.r_[np.full(5, 2), np.zeros(12)], lower, rng, 0.75) is None
