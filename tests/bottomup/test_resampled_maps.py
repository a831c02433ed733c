"""posekit.bottomup.fields.ResampledMaps: the PAFs read on the decoding grid only where the grouping
samples them hold what OpenCV's bicubic resampling of the whole map holds there (the reference)."""
import cv2
import numpy as np

from posekit.bottomup.fields import ResampledMaps, compute_fields
from posekit.codecs.paf_grouping import group_people
from posekit.skeletons import OPENPOSE18


def _hwc(maps):
    return np.ascontiguousarray(maps.transpose(1, 2, 0))


def test_one_run_equals_opencvs_resize_at_any_grid_pixel():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(6, 23, 31)).astype(np.float32)
    u = 4
    grid = ResampledMaps(6, (31 * u, 23 * u))
    grid.add(maps, 1 / u, 0.5 / u - 0.5, 1 / u, 0.5 / u - 0.5)
    ref = cv2.resize(_hwc(maps), (31 * u, 23 * u), interpolation=cv2.INTER_CUBIC).transpose(2, 0, 1)
    assert np.abs(grid.dense() - ref).max() < 1e-5
    yi, xi = rng.integers(0, 23 * u, (5, 7)), rng.integers(0, 31 * u, (5, 7))
    for c in range(6):
        assert np.abs(grid[c][yi, xi] - ref[c][yi, xi]).max() < 1e-5
        assert grid[c][yi, xi].shape == (5, 7)


def test_mirrored_and_scaled_runs_average_as_opencvs_warps():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 17, 25)).astype(np.float32), rng.normal(size=(4, 29, 41)).astype(np.float32)
    size = (90, 60)
    ma = np.array([[0.27, 0, -0.4], [0, 0.27, -0.4]])
    mb = np.array([[-0.45, 0, 40.2], [0, 0.45, -0.3]])  # mirrored: x runs backwards
    source, sign = np.array([2, 3, 0, 1]), np.array([-1.0, 1.0, -1.0, 1.0])
    grid = ResampledMaps(4, size)
    grid.add(a, ma[0, 0], ma[0, 2], ma[1, 1], ma[1, 2])
    grid.add(b, mb[0, 0], mb[0, 2], mb[1, 1], mb[1, 2], source, sign)

    def warp(maps, m):
        flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
        return cv2.warpAffine(_hwc(maps), m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE).transpose(2, 0, 1)

    ref = (warp(a, ma) + warp(b, mb)[source] * sign[:, None, None]) / 2
    assert np.abs(grid.dense() - ref).max() < 1e-4


def test_grouping_on_sampled_pafs_equals_grouping_on_the_dense_ones():
    """Three mirrored and scaled runs of a network that paints two people: the same people either way."""
    rng = np.random.default_rng(2)
    k, limbs = OPENPOSE18.num_keypoints, OPENPOSE18.limbs

    def run(x):
        h, w = x.shape[2] // 8, x.shape[3] // 8
        yy, xx = np.mgrid[0:h, 0:w]
        heat = np.zeros((1, k + 1, h, w), np.float32)
        paf = np.zeros((1, 2 * len(limbs), h, w), np.float32)
        for cx in (0.3 * w, 0.7 * w):
            pts = np.stack([cx + rng.normal(0, 0.02 * w, k), np.linspace(0.2 * h, 0.8 * h, k)], 1)
            for j, (px, py) in enumerate(pts):
                heat[0, j] = np.maximum(heat[0, j], np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / 2))
            for li, (p, q) in enumerate(limbs):
                d = pts[q] - pts[p]
                d /= np.linalg.norm(d) + 1e-9
                near = np.abs(xx - (pts[p, 0] + pts[q, 0]) / 2) < 2
                paf[0, 2 * li][near], paf[0, 2 * li + 1][near] = d
        return heat, paf

    image = np.full((120, 160, 3), 90, np.uint8)
    grid = compute_fields(run, image, OPENPOSE18, limbs, heights=(96, 64, 128), flip=True)
    lazy = group_people(grid.heatmaps[:k], grid.pafs, limbs)
    dense = group_people(grid.heatmaps[:k], grid.pafs.dense(), limbs)
    assert len(lazy[0]) == len(dense[0]) >= 1
    for x, y in zip(lazy, dense):
        assert np.allclose(x, y, atol=1e-5)
