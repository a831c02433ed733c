"""COCO segmentations as pixel masks, against pycocotools (the COCO API's own maskApi.c)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_api

from posekit.data.masks import rle_decode, segmentation_mask


def _blob(h=37, w=53, seed=0):
    rng = np.random.default_rng(seed)
    m = np.zeros((h, w), bool)
    for _ in range(4):
        y, x = rng.integers(0, h), rng.integers(0, w)
        m[max(0, y - 6):y + 7, max(0, x - 9):x + 5] = True
    m[rng.random((h, w)) < 0.05] ^= True  # speckle: many short runs, long and short run lengths alike
    return m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compressed_rle_decodes_as_pycocotools(seed):
    m = _blob(seed=seed)
    rle = mask_api.encode(np.asfortranarray(m.astype(np.uint8)))
    rle = {"size": rle["size"], "counts": rle["counts"].decode()}  # as a COCO JSON file holds it
    np.testing.assert_array_equal(rle_decode(rle), mask_api.decode(rle).astype(bool))
    np.testing.assert_array_equal(rle_decode(rle), m)


def test_uncompressed_rle_decodes_as_pycocotools():
    m = _blob(seed=3)
    flat = m.T.ravel()  # column-major; counts start with a background run
    runs, current, n = [], False, 0
    for v in flat:
        if v != current:
            runs.append(n)
            current, n = v, 0
        n += 1
    runs.append(n)
    rle = {"size": list(m.shape), "counts": runs}
    reference = mask_api.decode(mask_api.frPyObjects(rle, *m.shape)).astype(bool)
    np.testing.assert_array_equal(rle_decode(rle), reference)


def test_polygons_fill_as_pycocotools(shared_data):
    coco = json.loads((shared_data / "coco_mini" / "annotations" / "person_keypoints_val2017.json").read_text())
    sizes = {im["id"]: (im["height"], im["width"]) for im in coco["images"]}
    anns = [a for a in coco["annotations"] if isinstance(a.get("segmentation"), list) and a["area"] > 2000][:12]
    assert len(anns) >= 5
    for a in anns:
        h, w = sizes[a["image_id"]]
        ours = segmentation_mask(a["segmentation"], h, w)
        ref = mask_api.decode(mask_api.merge(mask_api.frPyObjects(a["segmentation"], h, w))).astype(bool)
        iou = (ours & ref).sum() / (ours | ref).sum()
        assert iou > 0.95, (a["id"], iou)  # two rasterisers of the same polygons differ on the boundary only
        assert abs(int(ours.sum()) - a["area"]) / a["area"] < 0.1, (a["id"], ours.sum(), a["area"])


def test_what_is_not_a_usable_mask_gives_none():
    rle = mask_api.encode(np.asfortranarray(np.ones((4, 5), np.uint8)))
    assert segmentation_mask({"size": rle["size"], "counts": rle["counts"].decode()}, 8, 5) is None  # another size
    assert segmentation_mask(None, 4, 5) is None
    assert segmentation_mask([], 4, 5) is None
    assert segmentation_mask([[1, 2, 3, 4]], 4, 5) is None  # two points are no polygon
