"""The bottom-up dataset: aspect-preserving fit, limb-aware flips, the loss mask over crowds and
unlabelled people, and COCO RLE decoding against pycocotools."""
import numpy as np
from pycocotools import mask as mask_utils

from posekit.bottomup.dataset import BottomUpDataset, ImageInstance, fit_matrix, ignore_mask
from posekit.data.masks import rle_decode
from posekit.codecs.paf import PAFCodec
from posekit.data.masks import rle_encode
from posekit.skeletons import COCO17
from posekit.topdown.transforms import RandomAugment

FLIP_ONLY = RandomAugment(flip_prob=1.0, scale_factor=0.0, rotation_prob=0.0, half_body_prob=0.0)


def test_fit_keeps_the_aspect_ratio_and_centres_the_image():
    m = fit_matrix(200, 100, (128, 128))
    np.testing.assert_allclose(m, [[0.64, 0, 0], [0, 0.64, 32]])
    np.testing.assert_allclose(fit_matrix(50, 100, (64, 64)), [[0.64, 0, 16], [0, 0.64, 0]])


def _scene(seed=0, n=3):
    rng = np.random.default_rng(seed)
    kp = rng.uniform(5, 90, (n, 17, 2))
    vis = rng.integers(0, 3, (n, 17))
    image = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    return ImageInstance(1, 96, 96, kp, vis, image=image)


def test_evaluation_item_is_rgb_0_255_with_the_codec_targets():
    inst = _scene()
    codec = PAFCodec((96, 96), 17, COCO17.limbs)
    item = BottomUpDataset([inst], codec, COCO17)[0]
    np.testing.assert_array_equal(item["image"], inst.image.transpose(2, 0, 1).astype(np.float32))
    expected = codec.encode_image(inst.keypoints, inst.visible)
    for key in ("heatmaps", "pafs", "mask"):
        np.testing.assert_allclose(item[key], expected[key], atol=1e-6)


def test_a_flip_mirrors_the_image_and_relabels_keypoints_and_limbs():
    inst = _scene(1)
    codec = PAFCodec((96, 96), 17, COCO17.limbs)
    plain = BottomUpDataset([inst], codec, COCO17)[0]
    flipped = BottomUpDataset([inst], codec, COCO17, FLIP_ONLY)[0]
    np.testing.assert_array_equal(flipped["image"], plain["image"][:, :, ::-1])
    swap = COCO17.flip_index()
    np.testing.assert_allclose(flipped["heatmaps"][:17], plain["heatmaps"][swap][:, :, ::-1], atol=1e-5)
    limbs = list(COCO17.limbs)
    for li, (a, b) in enumerate(limbs):
        # limb (a, b) of the mirror is limb (a', b') of the original seen in a mirror: x negated;
        # when the original lists it as (b', a'), the vector also points the other way
        if (swap[a], swap[b]) in limbs:
            lj, sign = limbs.index((swap[a], swap[b])), 1
        else:
            lj, sign = limbs.index((swap[b], swap[a])), -1
        np.testing.assert_allclose(flipped["pafs"][2 * li], -sign * plain["pafs"][2 * lj][:, ::-1], atol=1e-5)
        np.testing.assert_allclose(flipped["pafs"][2 * li + 1], sign * plain["pafs"][2 * lj + 1][:, ::-1],
                                   atol=1e-5)


def test_crowds_and_unlabelled_people_leave_the_loss():
    crowd = np.zeros((96, 96), bool)
    crowd[0:16, 0:32] = True
    inst = _scene(2)
    inst.ignored = [{"iscrowd": 1, "segmentation": rle_encode(crowd), "bbox": [0, 0, 32, 16]},
                    {"iscrowd": 0, "num_keypoints": 0, "segmentation": [], "bbox": [64, 64, 16, 16]}]
    item = BottomUpDataset([inst], PAFCodec((96, 96), 17, COCO17.limbs), COCO17)[0]
    expected = np.ones((12, 12))
    expected[0:2, 0:4] = 0
    expected[8:10, 8:10] = 0
    np.testing.assert_array_equal(item["mask"], expected)


def test_polygons_fill_like_pycocotools():
    poly = [[10.0, 10.0, 40.0, 12.0, 35.0, 30.0, 12.0, 28.0]]
    ours = ignore_mask([{"segmentation": poly}], 48, 64)
    theirs = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(poly, 48, 64))).astype(bool)
    assert (ours != theirs).sum() <= 0.1 * theirs.sum()   # rasterisers differ on edge pixels only


def test_rle_decodes_both_coco_forms():
    rng = np.random.default_rng(0)
    m = np.zeros((37, 53), bool)
    m[5:20, 8:40] = True
    m[rng.random(m.shape) < 0.05] = True
    np.testing.assert_array_equal(rle_decode(rle_encode(m)), m)
    compressed = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    compressed["counts"] = compressed["counts"].decode()
    np.testing.assert_array_equal(rle_decode(compressed), m)
