"""Top-down samples from real COCO images: targets decode back onto the annotated keypoints."""
import numpy as np
import pytest

from posekit.codecs import MSRAHeatmap, UDPHeatmap
from posekit.data.coco import load_coco
from posekit.errors import DataError
from posekit.skeletons import COCO17
from posekit.topdown.dataset import TopDownDataset, person_instances
from posekit.topdown.transforms import RandomAugment, apply_affine, invert_affine


@pytest.fixture(scope="module")
def coco_val(shared_data):
    root = shared_data / "coco_mini"
    return load_coco(root / "annotations/person_keypoints_val2017.json"), root / "images/val2017"


def test_training_filter_follows_the_coco_protocol(coco_val):
    coco, images = coco_val
    everyone = person_instances(coco, images)
    train = person_instances(coco, images, train=True)
    assert len(everyone) == len(coco.annotations)
    want = sum(1 for a in coco.annotations if not a["iscrowd"] and a["num_keypoints"] > 0)
    assert len(train) == want and all(i.visible.max() > 0 for i in train)


@pytest.mark.parametrize("codec,tol", [(UDPHeatmap((96, 128), (24, 32), 1.5), 0.05),
                                       (MSRAHeatmap((96, 128), (24, 32), 1.5, unbiased=True, refine="dark"), 0.35)])
def test_targets_decode_to_the_annotation(coco_val, codec, tol):
    coco, images = coco_val
    inst = person_instances(coco, images, train=True)[:12]
    ds = TopDownDataset(inst, codec, COCO17, augment=RandomAugment(flip_prob=0.5, half_body_prob=0.3), seed=3)
    flips = checked = 0
    for i in range(len(ds)):
        item = ds[i]
        assert item["image"].shape == (3, 128, 96) and item["image"].dtype == np.float32
        decoded, _ = codec.decode(item["target"][None])
        m, ok = item["matrix"], item["target_weight"] > 0
        want = apply_affine(inst[i].keypoints[None], m)[0]
        if np.linalg.det(m[:, :2]) < 0:  # mirrored crop: channels hold the swapped keypoints
            flips += 1
            want = want[COCO17.flip_index()]
        err = np.linalg.norm(decoded[0] - want, axis=1)
        # crop pixels; points within 3 sigma of the map edge decode a little off, so leave them out
        hm, r = want / codec.stride, 3 * codec.sigma
        inner = ok & (hm >= r).all(1) & (hm <= np.array(codec.heatmap_size) - 1 - r).all(1)
        checked += inner.sum()
        assert (err[inner] < tol).all(), err[inner]
        # and back in the image: the annotation itself
        back = apply_affine(decoded, invert_affine(m))[0]
        orig = inst[i].keypoints[COCO17.flip_index()] if np.linalg.det(m[:, :2]) < 0 else inst[i].keypoints
        assert (np.linalg.norm(back - orig, axis=1)[inner] < tol / abs(np.linalg.det(m[:, :2])) ** 0.5).all()
    assert 0 < flips < len(ds) and checked > 50


def test_same_seed_epoch_index_same_sample(coco_val):
    coco, images = coco_val
    inst = person_instances(coco, images, train=True)[:3]
    a = TopDownDataset(inst, UDPHeatmap((96, 128), (24, 32)), COCO17, RandomAugment(), seed=1)
    b = TopDownDataset(inst, UDPHeatmap((96, 128), (24, 32)), COCO17, RandomAugment(), seed=1)
    assert np.array_equal(a[2]["image"], b[2]["image"])
    b.set_epoch(1)
    assert not np.array_equal(a[2]["image"], b[2]["image"])


def test_missing_image_names_the_file(coco_val, tmp_path):
    coco, _ = coco_val
    with pytest.raises(DataError, match=str(tmp_path)):
        person_instances(coco, tmp_path)
