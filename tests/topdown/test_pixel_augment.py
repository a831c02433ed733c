"""Pixel-level augmentation: each kind's effect on pixels and keypoints, determinism, and that a
kind left off changes nothing and draws nothing from the sample's random stream."""
from dataclasses import replace

import cv2
import numpy as np
import pytest

from posekit.topdown.pixel_augment import pixel_augment, random_erase
from posekit.topdown.transforms import RandomAugment

OFF = RandomAugment()


def _photo(seed=0, size=(96, 128)):
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (12, 9, 3), dtype=np.uint8), size, interpolation=cv2.INTER_CUBIC)
    return img


def test_kinds_left_off_change_nothing_and_draw_nothing():
    img = _photo()
    rng = np.random.default_rng(1)
    out, vis = pixel_augment(img, rng, OFF, np.zeros((1, 17, 2)), np.full((1, 17), 2))
    assert np.array_equal(out, img) and np.array_equal(vis, np.full((1, 17), 2))
    assert rng.random() == np.random.default_rng(1).random()  # the stream is where it was


def test_gamma_is_a_monotone_tone_curve_and_hue_leaves_greys():
    img = _photo()
    out, _ = pixel_augment(img, np.random.default_rng(3), replace(OFF, gamma=0.5))
    flat_in, flat_out = img.reshape(-1).astype(int), out.reshape(-1).astype(int)
    order = np.argsort(flat_in, kind="stable")
    assert np.all(np.diff(flat_out[order]) >= 0) and not np.array_equal(out, img)  # same order of tones
    grey = np.repeat(np.linspace(0, 255, 96 * 128).reshape(128, 96, 1), 3, 2).astype(np.uint8)
    shifted, _ = pixel_augment(grey, np.random.default_rng(3), replace(OFF, hue=90))
    assert np.abs(shifted.astype(int) - grey).max() <= 1
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 220
    turned, _ = pixel_augment(red, np.random.default_rng(5), replace(OFF, hue=180))
    assert np.abs(turned.astype(int) - red).max() > 20


def test_noise_blur_and_jpeg_act_on_pixels():
    img = _photo()
    noisy, _ = pixel_augment(img, np.random.default_rng(0), replace(OFF, noise=0.1))
    d = noisy.astype(float) - img
    assert 0 < d.std() <= 0.1 * 255 + 1 and abs(d.mean()) < 2
    dot = np.zeros((64, 64, 3), np.uint8)
    dot[32, 32] = 255
    streak, _ = pixel_augment(dot, np.random.default_rng(0), replace(OFF, motion_blur_prob=1.0))
    disk, _ = pixel_augment(dot, np.random.default_rng(0), replace(OFF, defocus_prob=1.0))
    for spread in (streak, disk):  # the dot spreads over several pixels, its energy kept (within rounding)
        assert (spread[..., 0] > 0).sum() > 1 and abs(int(spread[..., 0].sum()) - 255) < 40
    coded, _ = pixel_augment(img, np.random.default_rng(0), replace(OFF, jpeg_prob=1.0))
    assert coded.shape == img.shape and coded.dtype == np.uint8 and 0 < np.abs(coded.astype(int) - img).mean() < 20


def test_random_erasing_replaces_one_rectangle_of_the_stated_size():
    img = np.full((100, 80, 3), 7, np.uint8)
    out = random_erase(img, np.random.default_rng(4))
    changed = np.argwhere((out != 7).any(-1))
    ys, xs = changed[:, 0], changed[:, 1]
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    assert 0.02 * 8000 * 0.9 <= box <= 0.4 * 8000 and len(changed) > 0.9 * box  # one solid rectangle


def test_occluders_cover_joints_and_mark_them_occluded():
    img = _photo(size=(192, 256))
    rng = np.random.default_rng(0)
    kp = np.stack([rng.uniform(40, 150, 17), rng.uniform(40, 220, 17)], -1)[None]
    vis = np.full((1, 17), 2)
    vis[0, 3] = 0
    out, moved = pixel_augment(img, np.random.default_rng(2), replace(OFF, occluder_prob=1.0), kp, vis)
    covered = moved[0] == 1
    assert covered.any() and moved[0, 3] == 0 and set(np.unique(moved)) <= {0, 1, 2}
    changed = (out != img).any(-1)
    assert all(changed[int(kp[0, k, 1]), int(kp[0, k, 0])] for k in np.flatnonzero(covered))
    # the same seed, the same result
    again, moved2 = pixel_augment(img, np.random.default_rng(2), replace(OFF, occluder_prob=1.0), kp, vis)
    assert np.array_equal(again, out) and np.array_equal(moved2, moved)


def test_the_datasets_apply_them_with_visibility_updated():
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo import build_model
    from posekit.zoo.learning_proof import synthetic_instances

    model = build_model("simplebaseline-r18-128x96")
    inst = synthetic_instances(4, (96, 128), 0)
    aug = replace(RandomAugment(flip_prob=0.0, rotation_prob=0.0, half_body_prob=0.0, scale_factor=0.0),
                  occluder_prob=1.0)
    plain = TopDownDataset(inst, model.codec, model.skeleton, replace(aug, occluder_prob=0.0), seed=1)
    occluded = TopDownDataset(inst, model.codec, model.skeleton, aug, seed=1)
    a, b = plain[0], occluded[0]
    assert not np.array_equal(a["image"], b["image"])
    # labelled joints stay labelled (the target still asks for them): the heatmap weights agree
    np.testing.assert_array_equal(a["target_weight"], b["target_weight"])
    with pytest.raises(TypeError):
        RandomAugment(mosaic=1.0)
