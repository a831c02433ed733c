"""Corruptions: strength grows with severity (PSNR, sharpness), occluders update visibility, files."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.data.corruptions import KINDS, corrupt, corrupt_coco, corrupt_folder, defocus_kernel, motion_blur_kernel
from posekit.data.synthetic import make_scene
from posekit.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "data"  # bundled real data


@pytest.fixture(scope="module")
def images():
    """Two real photographs and one synthetic scene."""
    files = sorted((SHARED / "coco_mini/images/val2017").glob("*.jpg"))[:2]
    out = [cv2.imread(str(f)) for f in files]
    out.append(make_scene(np.random.default_rng(3), 320, 240, 4).image)
    assert len(out) == 3 and all(im is not None for im in out)
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def sharpness(img: np.ndarray) -> float:
    """Variance of the Laplacian (Pech-Pacheco et al. 2000), a standard focus measure."""
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_strength_grows_with_severity(images, kind):
    for img in images:
        values = [psnr(img, corrupt(img, kind, s, rng=5)[0]) for s in range(1, 6)]
        assert all(a > b for a, b in zip(values, values[1:])), (kind, values)
        assert values[0] < 60  # severity 1 already changes the image


@pytest.mark.parametrize("kind", ["motion_blur", "defocus_blur"])
def test_blur_lowers_sharpness_monotonically(images, kind):
    for img in images:
        values = [sharpness(img)] + [sharpness(corrupt(img, kind, s, rng=1)[0]) for s in range(1, 6)]
        assert all(a > b for a, b in zip(values, values[1:])), (kind, values)


def test_blur_kernels_are_normalised_lines_and_disks():
    k = motion_blur_kernel(9, 0.0)
    assert k.sum() == pytest.approx(1.0) and k.shape == (9, 9)
    assert (k[4] > 0).sum() >= 8 and k[[0, 1, 7, 8]].sum() == 0  # a horizontal line through the centre
    d = defocus_kernel(4.0)
    assert d.sum() == pytest.approx(1.0) and d.shape == (9, 9)
    assert d[4, 4] == pytest.approx(d[4, 2]) and d[0, 0] == 0  # flat inside the disk, zero in the corners


def test_exposure_goes_the_right_way_and_noise_is_reproducible(images):
    img = images[2]
    assert corrupt(img, "overexposure", 3)[0].mean() > img.mean() > corrupt(img, "underexposure", 3)[0].mean()
    a, b = corrupt(img, "gaussian_noise", 2, rng=9)[0], corrupt(img, "gaussian_noise", 2, rng=9)[0]
    assert (a == b).all() and not (a == corrupt(img, "gaussian_noise", 2, rng=10)[0]).all()


def test_occluders_cover_joints_and_update_visibility():
    changed = 0
    for i in range(10):
        scene = make_scene(np.random.default_rng([8, i]), 320, 240, 3, occluder_prob=0)
        if not len(scene.slots):
            continue
        kp = np.concatenate([scene.keypoints, scene.visibility[..., None]], -1)
        out, kp2 = corrupt(scene.image, "occlusion", 5, rng=i, keypoints=kp, boxes=scene.boxes)
        xy = np.floor(kp[..., :2]).astype(int)
        inside = kp[..., 2] > 0
        px_changed = np.zeros(kp.shape[:2], bool)
        px_changed[inside] = (out[xy[inside][:, 1], xy[inside][:, 0]] != scene.image[xy[inside][:, 1],
                                                                                   xy[inside][:, 0]]).any(-1)
        np.testing.assert_array_equal(kp2[..., :2], kp[..., :2])
        became_hidden = (kp[..., 2] == 2) & (kp2[..., 2] == 1)
        assert (px_changed[became_hidden]).all()          # a joint marked hidden has a patch over it
        assert not (px_changed & (kp2[..., 2] == 2)).any()  # and no visible joint has one
        assert ((kp2[..., 2] == 0) == (kp[..., 2] == 0)).all()
        changed += int(became_hidden.sum())
    assert changed > 10


def test_bad_input_is_a_clear_error():
    with pytest.raises(InputError, match="severity"):
        corrupt(np.zeros((8, 8, 3), np.uint8), "jpeg", 6)
    with pytest.raises(InputError, match="unknown corruption"):
        corrupt(np.zeros((8, 8, 3), np.uint8), "fog", 1)
    with pytest.raises(InputError, match="uint8"):
        corrupt(np.zeros((8, 8), np.float32), "jpeg", 1)


def test_folder_goes_on_past_a_bad_file(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "a.png"), np.full((20, 30, 3), 100, np.uint8))
    cv2.imwrite(str(src / "sub/b.jpg"), np.full((20, 30, 3), 50, np.uint8))
    (src / "broken.jpg").write_bytes(b"not an image")
    problems = corrupt_folder(src, tmp_path / "out", "overexposure", 2)
    assert len(problems) == 1 and "broken.jpg" in problems[0]
    assert cv2.imread(str(tmp_path / "out/a.png")).mean() > 100
    assert (tmp_path / "out/sub/b.jpg").is_file()


def test_coco_dataset_is_copied_with_occluded_keypoints_updated(tmp_path):
    ann = SHARED / "coco_mini/annotations/person_keypoints_val2017.json"
    problems = corrupt_coco(ann, SHARED / "coco_mini/images/val2017", tmp_path, "occlusion", 3, seed=1)
    assert problems == []
    before, after = json.loads(ann.read_text()), json.loads((tmp_path / "annotations.json").read_text())
    assert len(after["images"]) == len(before["images"]) == len(list((tmp_path / "images").iterdir()))
    assert after["categories"] == before["categories"]
    hidden = 0
    for a, b in zip(before["annotations"], after["annotations"]):
        assert {k: v for k, v in a.items() if k != "keypoints"} == {k: v for k, v in b.items() if k != "keypoints"}
        if not a["keypoints"]:
            continue
        va, vb = np.array(a["keypoints"][2::3]), np.array(b["keypoints"][2::3])
        assert a["keypoints"][0::3] == b["keypoints"][0::3] and a["keypoints"][1::3] == b["keypoints"][1::3]
        assert ((va == vb) | ((va == 2) & (vb == 1))).all()
        hidden += int(((va == 2) & (vb == 1)).sum())
    assert hidden > 20
