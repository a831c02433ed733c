"""PAFCodec's encoding against hand-computed values and a per-cell loop written from Cao et al.'s
Eq. 7-9 (with the released code's limb region), for COCO-17, MPII and CrowdPose skeletons."""
import numpy as np
import pytest

from posekit.codecs.contract import is_image_codec
from posekit.codecs.paf import PAFCodec
from posekit.skeletons import COCO17, CROWDPOSE14, MPII16, Skeleton

LINE = Skeleton("line", ("a", "b", "c"), (), ((0, 1), (1, 2)))


def _codec(size=(64, 48), skeleton=LINE, **kw):
    return PAFCodec(size, skeleton.num_keypoints, skeleton.limbs, **kw)


def test_is_an_image_codec_with_the_grid_of_stride_8():
    c = _codec()
    assert is_image_codec(c) and c.map_size == (8, 6)
    xs, ys = c.cell_centres()
    assert xs[0] == 3.5 and xs[1] == 11.5 and ys[-1] == 43.5
    with pytest.raises(ValueError, match="multiple of the stride"):
        _codec((60, 48))


def test_confidence_map_values_by_hand_and_maximum_over_people():
    c = _codec()
    kp = np.zeros((2, 3, 2))
    kp[0, 0] = (3.5, 3.5)          # on cell (0, 0)'s centre
    kp[1, 0] = (11.5, 3.5)         # on cell (0, 1)'s centre
    vis = np.array([[2, 0, 0], [1, 0, 0]])
    heat = c.encode_image(kp, vis)["heatmaps"]
    assert heat.shape == (4, 6, 8)
    # cell (0, 1): 1 from person 1, exp(-64 / 98) from person 0 -> the maximum, not the sum
    assert heat[0, 0, 1] == pytest.approx(1.0)
    assert heat[0, 0, 0] == pytest.approx(1.0)
    assert heat[0, 1, 0] == pytest.approx(np.exp(-64 / 98), rel=1e-6)
    assert heat[0, 1, 2] == pytest.approx(np.exp(-(64 + 64) / 98), rel=1e-6)   # nearest: person 1, d^2 = 128
    # exponent > ln 100 is cut: cell (0, 4) is 24 px from person 1 (exponent 576 / 98 = 5.9)
    assert heat[0, 0, 4] == 0.0
    assert np.all(heat[1:3] == 0)                                           # unlabelled keypoints draw nothing
    np.testing.assert_allclose(heat[3], 1 - heat[:3].max(0), atol=1e-7)     # background


def test_field_of_one_horizontal_limb_by_hand():
    c = _codec()
    kp = np.array([[[3.5, 19.5], [40.0, 19.5], [0, 0]]])
    paf = c.encode_image(kp, np.array([[2, 2, 0]]))["pafs"]
    x, y = paf[0], paf[1]
    expected = np.zeros((6, 8))
    # rows within one cell (8 px) of y = 19.5: rows 1, 2, 3; columns whose centre projects within
    # [-8, 36.5 + 8] of the segment: centres 3.5 .. 43.5, columns 0..5
    expected[1:4, 0:6] = 1.0
    np.testing.assert_array_equal(x, expected)
    assert np.all(y == 0) and np.all(paf[2:] == 0)   # limb (b, c): c unlabelled


def test_overlapping_limbs_average_and_direction_is_from_first_to_second_point():
    c = _codec()
    kp = np.array([[[3.5, 19.5], [43.5, 19.5], [0, 0]],      # horizontal, left to right
                   [[27.5, 43.5], [27.5, 3.5], [0, 0]]])    # vertical, pointing up
    paf = c.encode_image(kp, np.array([[2, 2, 0], [2, 2, 0]]))["pafs"]
    assert (paf[0, 2, 3], paf[1, 2, 3]) == pytest.approx((0.5, -0.5))   # the crossing cell: the mean
    assert (paf[0, 2, 0], paf[1, 2, 0]) == pytest.approx((1.0, 0.0))
    assert (paf[0, 5, 3], paf[1, 5, 3]) == pytest.approx((0.0, -1.0))


def _reference_fields(codec, kp, vis):
    """Eq. 8-9 cell by cell: the unit vector where the cell centre lies in the limb's region, averaged."""
    w, h = codec.map_size
    out = np.zeros((2 * codec.num_limbs, h, w))
    for li, (a, b) in enumerate(codec.limbs):
        for i in range(h):
            for j in range(w):
                p = np.array([8 * j + 3.5, 8 * i + 3.5]) / 8
                vs = []
                for person in range(len(kp)):
                    if vis[person, a] <= 0 or vis[person, b] <= 0:
                        continue
                    pa, pb = kp[person, a] / 8, kp[person, b] / 8
                    length = np.hypot(*(pb - pa))
                    if length < 1e-7:
                        continue
                    v = (pb - pa) / length
                    along = np.dot(p - pa, v)
                    across = abs((p - pa)[0] * v[1] - (p - pa)[1] * v[0])
                    if -1 <= along <= length + 1 and across <= 1:
                        vs.append(v)
                if vs:
                    out[2 * li:2 * li + 2, i, j] = np.mean(vs, axis=0)
    return out


@pytest.mark.parametrize("skeleton", [COCO17, MPII16, CROWDPOSE14])
def test_fields_match_the_per_cell_definition(skeleton):
    rng = np.random.default_rng(3)
    c = _codec((96, 80), skeleton)
    kp = rng.uniform(-10, 100, (4, skeleton.num_keypoints, 2))
    vis = rng.integers(0, 3, (4, skeleton.num_keypoints))
    t = c.encode_image(kp, vis)
    assert t["heatmaps"].shape == (skeleton.num_keypoints + 1, 10, 12)
    assert t["pafs"].shape == (2 * len(skeleton.limbs), 10, 12)
    np.testing.assert_allclose(t["pafs"], _reference_fields(c, kp, vis), atol=1e-6)


def test_mask_is_the_fraction_of_each_cell_that_counts():
    c = _codec()
    mask = np.ones((48, 64), bool)
    mask[8:16, 16:24] = False          # all of cell (1, 2)
    mask[0:8, 0:4] = False             # half of cell (0, 0)
    m = c.encode_image(np.zeros((0, 3, 2)), np.zeros((0, 3)), mask)["mask"]
    assert m[1, 2] == 0 and m[0, 0] == 0.5 and m.sum() == 48 - 1.5
    assert np.all(c.encode_image(np.zeros((0, 3, 2)), np.zeros((0, 3)))["mask"] == 1)
    with pytest.raises(ValueError, match="mask"):
        c.encode_image(np.zeros((0, 3, 2)), np.zeros((0, 3)), np.ones((10, 10)))


def test_an_image_without_people_is_all_background():
    t = _codec().encode_image(np.zeros((0, 3, 2)), np.zeros((0, 3)))
    assert np.all(t["heatmaps"][:3] == 0) and np.all(t["heatmaps"][3] == 1) and np.all(t["pafs"] == 0)


def test_upsampled_maps_map_back_to_input_pixels():
    c = _codec(upsample=4)
    # cell j of the grid sits at upsampled pixel (j + 0.5) * 4 - 0.5 and at input pixel 8 j + 3.5
    j = np.array([[0.0, 0.0], [3.0, 5.0]])
    np.testing.assert_allclose(c.to_input((j + 0.5) * 4 - 0.5), 8 * j + 3.5)
    heat = np.random.default_rng(0).random((4, 6, 8)).astype(np.float32)
    paf = np.random.default_rng(1).random((4, 6, 8)).astype(np.float32)
    up_heat, up_paf = c.upsampled([(heat[None], paf[None])])
    assert up_heat.shape == (3, 24, 32) and up_paf.shape == (4, 24, 32)   # background dropped
