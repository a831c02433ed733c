"""Synthetic people: determinism, ground truth read back against independent renderings and pycocotools."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posekit.cli import main
from posekit.data.coco import load_coco
from posekit.data.synthetic import make_crops, make_scene, write_dataset
from posekit.data.synthetic.background import background
from posekit.data.synthetic.body import ANGLE_LIMITS, P, forward_kinematics, sample_body, sample_pose
from posekit.data.masks import rle_encode
from posekit.data.synthetic.render import pose_figures, sample_looks
from posekit.data.synthetic.scene import Person, compose, make_crop, random_people
from posekit.skeletons import COCO17


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("crops", [False, True])
def test_same_seed_gives_byte_identical_files(tmp_path, crops):
    size = (96, 128) if crops else (200, 150)
    a = write_dataset(tmp_path / "a", 6, *size, max_people=5, seed=7, crops=crops, preview=True).parent
    b = write_dataset(tmp_path / "b", 6, *size, max_people=5, seed=7, crops=crops, preview=True).parent
    c = write_dataset(tmp_path / "c", 6, *size, max_people=5, seed=8, crops=crops).parent
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert len(fa) == 6 + 2 and fa == fb
    assert fa["images/000000.png"] != fc["images/000000.png"]


def test_annotation_file_loads_in_pycocotools_and_scores_perfectly_against_itself(tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from posekit.data.validate import dataset_problems

    ann = write_dataset(tmp_path, 25, 320, 240, max_people=6, seed=3, segmentation=True)
    data = json.loads(ann.read_text())
    assert dataset_problems(data, str(ann)) == []
    assert main(["validate", str(ann)]) == 0
    samples = list(load_coco(ann).samples())
    assert len(samples) == 25 and sum(len(s) for s in samples) == len(data["annotations"])
    cat = data["categories"][0]
    assert cat["keypoints"] == list(COCO17.names)
    assert cat["skeleton"] == [[a + 1, b + 1] for a, b in COCO17.limbs]
    gt = COCO(str(ann))
    people = [a for a in data["annotations"] if not a["iscrowd"] and a["num_keypoints"] > 0]
    assert len(people) >= 20
    for a in data["annotations"]:
        assert a["num_keypoints"] == sum(v > 0 for v in a["keypoints"][2::3])
        v = np.array(a["keypoints"]).reshape(-1, 3)
        assert (v[v[:, 2] == 0] == 0).all()  # unlabelled keypoints are written as zeros
    dets = gt.loadRes([{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
                       for a in people])
    ev = COCOeval(gt, dets, "keypoints")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)


def test_crowd_regions_are_valid_rle_masks():
    from pycocotools import mask as mask_utils

    found = 0
    for i in range(40):
        scene = make_scene(np.random.default_rng([11, i]), 320, 240, max_people=3, crowd_prob=0.8)
        for mask, box, area in scene.crowd:
            rle = rle_encode(mask)
            decoded = mask_utils.decode(mask_utils.frPyObjects(rle, *rle["size"]))
            assert (decoded.astype(bool) == mask).all()
            assert area == mask.sum() == mask_utils.area(mask_utils.frPyObjects(rle, *rle["size"]))
            assert mask_utils.toBbox(mask_utils.frPyObjects(rle, *rle["size"])).tolist() == box
            found += 1
    assert found >= 10


def _scenes_with_people(seed: int, count: int):
    """Scenes built by hand so that each can be re-rendered without one of its people."""
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        w, h = 320, 240
        bg = background(rng, h, w)
        n = int(rng.integers(1, 6))
        heights = np.exp(rng.uniform(np.log(20), np.log(1.2 * h), n))
        centres = np.stack([rng.uniform(-0.1, 1.1, n) * w, rng.uniform(0.1, 0.9, n) * h], 1)
        people = random_people(rng, n, np.sort(heights), centres)
        occ = (int(rng.integers(1 << 30)), int(rng.integers(0, 3)), 0.3 * h)

        def render(subset, occ=occ, bg=bg):
            return compose(bg.copy(), subset, np.random.default_rng(occ[0]), occ[1], occ[2])
        yield people, render


def test_visible_keypoints_lie_on_their_own_persons_pixels():
    checked = hidden_by_others = 0
    for people, render in _scenes_with_people(5, 30):
        scene = render(people)
        for i, slot in enumerate(scene.slots):
            # Render the same scene without this person: the pixels under its visible keypoints change,
            # and so does nothing under keypoints hidden by other people or objects.
            without = render([p for s, p in enumerate(people, start=1) if s != slot]).image
            diff = np.abs(scene.image.astype(int) - without.astype(int)).sum(-1)
            xy = np.floor(scene.keypoints[i]).astype(int)
            seen = scene.visibility[i] == 2
            assert scene.mask(i)[xy[seen, 1], xy[seen, 0]].all()
            assert (diff[xy[seen, 1], xy[seen, 0]] > 0).all()
            checked += int(seen.sum())
            # Hidden by another person or an object, well inside it (not on an anti-aliased edge).
            padded = np.pad(scene.labels, 1, constant_values=-2)
            for x, y in xy[scene.visibility[i] == 1]:
                window = padded[y:y + 3, x:x + 3]
                if window[1, 1] // 32 != slot and (window == window[1, 1]).all():
                    assert diff[y, x] == 0
                    hidden_by_others += 1
    assert checked > 300 and hidden_by_others > 20


def test_labelled_keypoints_boxes_and_areas_are_consistent():
    n_out = 0
    for i in range(40):
        scene = make_scene(np.random.default_rng([21, i]), 320, 240, max_people=6)
        h, w = scene.labels.shape
        for p in range(len(scene.slots)):
            kp, v = scene.keypoints[p], scene.visibility[p]
            inside = (kp[:, 0] >= 0) & (kp[:, 1] >= 0) & (kp[:, 0] < w) & (kp[:, 1] < h)
            assert ((v == 0) == ~inside).all()  # v = 0 exactly for keypoints outside the image
            n_out += int((~inside).sum())
            m = scene.mask(p)
            ys, xs = np.nonzero(m)
            x, y, bw, bh = scene.boxes[p]
            assert (x, y, bw, bh) == (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
            assert scene.areas[p] == m.sum()
            vis = kp[v == 2]
            assert ((vis[:, 0] >= x) & (vis[:, 0] <= x + bw) & (vis[:, 1] >= y) & (vis[:, 1] <= y + bh)).all()
    assert n_out > 10


def _single(yaw: float, size=(200, 300)):
    """One person at rest, facing according to ``yaw``, on a grey background."""
    rng = np.random.default_rng(0)
    body = sample_body(rng, 1)
    pose = sample_pose(rng, 1, variety=0.0)
    fig = pose_figures(body, pose, np.array([yaw]), np.zeros(1), np.array([250.0]),
                       np.array([[size[0] / 2, size[1] * 0.55]]))[0]
    img = np.full((size[1], size[0], 3), 128, np.uint8)
    return compose(img, [Person(fig, sample_looks(rng, 1)[0])])


def test_views_decide_which_face_keypoints_are_seen():
    names = COCO17.names
    v = dict(zip(names, _single(0.0).visibility[0]))
    assert all(v[n] == 2 for n in names)  # front view at rest: everything seen
    v = dict(zip(names, _single(np.pi).visibility[0]))  # back view: face hidden, ears and body seen
    assert v["nose"] == v["left_eye"] == v["right_eye"] == 1
    assert v["left_ear"] == v["right_ear"] == 2 and v["left_shoulder"] == v["right_hip"] == 2
    v = dict(zip(names, _single(np.pi / 2).visibility[0]))  # facing image right: the right side is near
    assert v["nose"] == 2 and v["right_eye"] == 2 and v["left_eye"] == 1
    assert v["right_ear"] == 2 and v["left_ear"] == 1
    assert v["right_shoulder"] == 2 and v["left_shoulder"] == 1


def test_left_and_right_look_different():
    """The flip-pair problem is real: left limbs carry a light stripe, right limbs a dark one."""
    from posekit.data.synthetic.render import LEFT_STRIPE, RIGHT_STRIPE

    found = {"left": 0, "right": 0}
    for i in range(20):
        scene = make_crop(np.random.default_rng([4, i]), 192, 256, distractor_prob=0, occluder_prob=0)
        fig = scene.figures[0]
        for side, part, stripe in (("left", 12, LEFT_STRIPE), ("right", 15, RIGHT_STRIPE)):
            mid = (fig.xy[P[f"{side}_knee"]] + fig.xy[P[f"{side}_ankle"]]) / 2
            x, y = np.floor(mid).astype(int)
            if scene.labels[y, x] % 32 != part:  # the shin is hidden at its middle
                continue
            assert np.abs(scene.image[y, x].astype(int) - stripe).max() <= 2
            found[side] += 1
    assert min(found.values()) >= 15


def test_kinematics_respect_limits_and_segment_lengths():
    rng = np.random.default_rng(1)
    pose = sample_pose(rng, 500, variety=2.0)
    for name, arr in pose.items():
        lo, hi, *_ = ANGLE_LIMITS[name.removeprefix("left_").removeprefix("right_")]
        assert arr.min() >= lo and arr.max() <= hi
    body = sample_body(rng, 500)
    pts, _ = forward_kinematics(body, pose)
    for a, b, length in (("left_shoulder", "left_elbow", body.upper_arm), ("right_elbow", "right_wrist", body.forearm),
                         ("left_hip", "left_knee", body.thigh), ("right_knee", "right_ankle", body.shin)):
        np.testing.assert_allclose(np.linalg.norm(pts[:, P[a]] - pts[:, P[b]], axis=1), length, rtol=1e-9)
    # Elbows and knees only bend one way: the knee flexes backwards (away from where the face looks).
    shin = pts[:, P["left_ankle"]] - pts[:, P["left_knee"]]
    thigh = pts[:, P["left_knee"]] - pts[:, P["left_hip"]]
    bend = np.cross(thigh, shin)[:, 0]  # about the L axis
    assert (bend[pose["left_knee"] > 0.1] > 0).all()


def test_crops_are_centred_filled_and_indexed_by_seed_and_position():
    images, kps = make_crops(40, size=(96, 128), seed=2)
    assert images.shape == (40, 128, 96, 3) and images.dtype == np.uint8 and kps.shape == (40, 17, 3)
    assert set(np.unique(kps[..., 2])) <= {0, 1, 2} and (kps[..., 2] > 0).sum(1).min() >= 12
    lab = kps[..., 2] > 0
    lo = np.where(lab[..., None], kps[..., :2], np.inf).min(1)
    hi = np.where(lab[..., None], kps[..., :2], -np.inf).max(1)
    centre = (lo + hi) / 2
    assert np.abs(np.median(centre, 0) - (48, 64)).max() < 10
    assert 0.55 < np.median((hi - lo)[:, 1]) / 128 < 0.95  # like a 1.25-padded box, head top to ankles
    more, _ = make_crops(5, size=(96, 128), seed=2, start=38)
    np.testing.assert_array_equal(more[:2], images[38:])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1), st.floats(0, 1))
def test_rle_matches_pycocotools_on_random_masks(h, w, seed, density):
    from pycocotools import mask as mask_utils

    m = np.random.default_rng(seed).random((h, w)) < density
    ours = rle_encode(m)
    theirs = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    assert mask_utils.decode(mask_utils.frPyObjects(ours, h, w)).astype(bool).tolist() == m.tolist()
    assert mask_utils.area(mask_utils.frPyObjects(ours, h, w)) == mask_utils.area(theirs) == m.sum()


def test_polygon_segmentations_match_the_rendered_masks(tmp_path):
    from pycocotools.coco import COCO

    ann = write_dataset(tmp_path, 6, 320, 240, max_people=4, seed=9, segmentation=True)
    coco = COCO(str(ann))
    ious = []
    for i in range(6):
        scene = make_scene(np.random.default_rng([9, i]), 320, 240, 4)
        people = [a for a in coco.loadAnns(coco.getAnnIds(imgIds=[i + 1])) if not a["iscrowd"]]
        assert len(people) == len(scene.slots)
        for p, a in enumerate(people):
            if a["area"] < 100:
                continue
            m, poly = scene.mask(p), coco.annToMask(a).astype(bool)
            ious.append((m & poly).sum() / (m | poly).sum())
    assert len(ious) >= 5 and np.median(ious) > 0.85
