"""COCO keypoint AP/AR equal to pycocotools' COCOeval, array for array, and to hotcoco's (Rust) statistics."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from posekit.evaluation import evaluate_coco
from posekit.evaluation.simulate import random_keypoint_dataset, simulate_detections
from posekit.skeletons import CROWDPOSE14


def reference(gt: dict, results: list, sigmas=None) -> COCOeval:
    """pycocotools on deep copies (it mutates its inputs)."""
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = copy.deepcopy(gt)
        cg.createIndex()
        cd = cg.loadRes(copy.deepcopy(results))
        ev = COCOeval(cg, cd, "keypoints")
        if sigmas is not None:
            ev.params.kpt_oks_sigmas = np.asarray(sigmas)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def assert_same(gt: dict, results: list, sigmas=None) -> None:
    ref = reference(gt, results, sigmas)
    ours = evaluate_coco(copy.deepcopy(gt), copy.deepcopy(results), sigmas=sigmas)
    np.testing.assert_allclose(ours.stats, ref.stats, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.precision, ref.eval["precision"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.recall, ref.eval["recall"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.scores, ref.eval["scores"], rtol=0, atol=1e-12)


def hotcoco_stats(gt: dict, results: list) -> np.ndarray:
    """The 10 summary statistics of hotcoco (a second, independent implementation in Rust)."""
    import hotcoco

    with contextlib.redirect_stdout(io.StringIO()):
        cg = hotcoco.COCO(copy.deepcopy(gt))
        ev = hotcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(results)), "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats, np.float64)


def perturbed(gt: dict, seed: int, boxes: bool = True) -> list:
    return simulate_detections(gt, seed=seed, with_boxes=boxes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coco_mini_matches_pycocotools(coco_val, seed):
    gt = json.loads(coco_val.read_text())
    assert_same(gt, perturbed(gt, seed))


@pytest.mark.parametrize("seed", [0, 1])
def test_coco_mini_matches_hotcoco(coco_val, coco_train, seed):
    for path in (coco_val, coco_train):
        gt = json.loads(path.read_text())
        res = perturbed(gt, seed)
        np.testing.assert_allclose(evaluate_coco(copy.deepcopy(gt), copy.deepcopy(res)).stats,
                                   hotcoco_stats(gt, res), rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 30), noise=st.floats(0.0, 0.3),
       dup=st.floats(0, 0.9), fps=st.floats(0, 6), crowd=st.floats(0, 0.4))
def test_randomised_sets_match_hotcoco(seed, n, noise, dup, fps, crowd):
    gt = random_keypoint_dataset(n, seed=seed, crowd_fraction=crowd)
    res = simulate_detections(gt, seed=seed + 1, noise=noise, duplicate=dup, false_positives=fps)
    if not res:
        return
    np.testing.assert_allclose(evaluate_coco(copy.deepcopy(gt), copy.deepcopy(res)).stats, hotcoco_stats(gt, res),
                               rtol=0, atol=1e-12)


def test_coco_mini_train_without_boxes(coco_train):
    """Without 'bbox' in results, cocoapi's loadRes takes the keypoints' extent as the area."""
    gt = json.loads(coco_train.read_text())
    assert_same(gt, perturbed(gt, 5, boxes=False))


def test_perfect_results_score_one(coco_val):
    gt = json.loads(coco_val.read_text())
    res = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
           for a in gt["annotations"] if a["num_keypoints"] > 0 and not a["iscrowd"]]
    ev = evaluate_coco(gt, res)
    assert ev.stats[0] == pytest.approx(1.0) and ev.stats[5] == pytest.approx(1.0)
    assert_same(gt, res)


def test_tied_scores_and_empty_images():
    gt = random_keypoint_dataset(40, seed=3)
    gt["images"].append({"id": 99999, "file_name": "empty.jpg", "width": 640, "height": 480})
    res = perturbed(gt, 4)
    for r in res[::3]:
        r["score"] = 0.5  # many exact ties
    res = [r for r in res if r["image_id"] != gt["images"][0]["id"]]  # an image with no detections
    res.append({"image_id": 99999, "category_id": 1, "keypoints": [10.0, 10.0, 1.0] * 17, "score": 0.5,
                "bbox": [10.0, 10.0, 0.0, 0.0]})
    assert_same(gt, res)


def test_crowd_only_image_and_zero_id_quirk():
    """A ground truth id of 0 reads as 'unmatched' in cocoapi; posekit keeps that quirk."""
    gt = random_keypoint_dataset(20, seed=8, crowd_fraction=0.3, unlabelled_fraction=0.3)
    gt["annotations"][0]["id"] = 0
    assert_same(gt, perturbed(gt, 9))


def test_custom_sigmas_crowdpose(shared_data):
    gt = json.loads((shared_data / "mmpose_tests" / "crowdpose" / "test_crowdpose.json").read_text())
    rng = np.random.default_rng(0)
    res = []
    for a in gt["annotations"]:
        kp = np.asarray(a["keypoints"], float).reshape(-1, 3)
        kp[:, :2] += rng.normal(0, 4, (len(kp), 2))
        res.append({"image_id": a["image_id"], "category_id": 1, "keypoints": kp.ravel().tolist(),
                    "score": float(rng.random())})
    # CrowdPose gives no 'area' (cocoapi fails on it); posekit falls back to the box's area.
    with_area = copy.deepcopy(gt)
    for a in with_area["annotations"]:
        a["area"] = a["bbox"][2] * a["bbox"][3]
    assert_same(with_area, res, sigmas=CROWDPOSE14.sigmas)
    # and by default posekit takes CrowdPose's own sigmas from the category's keypoint names
    ours = evaluate_coco(gt, res)
    ref = reference(with_area, res, CROWDPOSE14.sigmas)
    np.testing.assert_allclose(ours.stats, ref.stats, atol=1e-12)


def test_other_skeleton_sizes():
    from posekit.skeletons import MPII16

    gt = random_keypoint_dataset(30, seed=11, skeleton=MPII16)
    assert_same(gt, simulate_detections(gt, seed=12, skeleton=MPII16), sigmas=MPII16.sigmas)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 30), noise=st.floats(0.0, 0.3),
       dup=st.floats(0, 0.9), fps=st.floats(0, 6), crowd=st.floats(0, 0.4), boxes=st.booleans(),
       decimals=st.integers(0, 3))
def test_randomised_sets_match_pycocotools(seed, n, noise, dup, fps, crowd, boxes, decimals):
    gt = random_keypoint_dataset(n, seed=seed, crowd_fraction=crowd)
    res = simulate_detections(gt, seed=seed + 1, noise=noise, duplicate=dup, false_positives=fps,
                              with_boxes=boxes, decimals=decimals)
    if not res:
        return
    assert_same(gt, res)


def test_max_dets_truncation():
    """More than 20 detections an image: only the 20 best count, as in cocoapi."""
    gt = random_keypoint_dataset(5, seed=21, max_people=12)
    res = simulate_detections(gt, seed=22, duplicate=0.9, false_positives=15, max_dets=40)
    assert max(np.unique([r["image_id"] for r in res], return_counts=True)[1]) > 20
    assert_same(gt, res)


def test_parallel_loading_gives_the_same_numbers(tmp_path, monkeypatch, coco_val):
    """Files above a size are parsed in two processes; numbers and errors stay the same."""
    import posekit.evaluation.coco as C
    from posekit.errors import ValidationError

    gt = json.loads(coco_val.read_text())
    res = perturbed(gt, 7)
    (tmp_path / "res.json").write_text(json.dumps(res))
    monkeypatch.setattr(C, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(C, "_spare_core", lambda: True)  # forked whatever the machine's load
    ours = evaluate_coco(coco_val, tmp_path / "res.json")
    np.testing.assert_allclose(ours.precision, reference(gt, res).eval["precision"], atol=1e-12)
    bad = copy.deepcopy(gt)
    bad["annotations"][2]["bbox"][3] = -2
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValidationError, match="annotation .*bbox.*negative"):
        evaluate_coco(tmp_path / "bad.json", tmp_path / "res.json")


def test_masks_skipped_when_parsing_leave_everything_else(tmp_path, coco_val):
    """The ground truth is parsed without its masks; every other value must survive, whatever the mask form."""
    from posekit.evaluation.coco import _read_without_segmentation

    gt = json.loads(coco_val.read_text())
    forms = [[], [[1.5, 2, 3, 4, 5, 6]], [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]],
             {"counts": [1, 2, 3], "size": [10, 10]}, {"counts": "Zo0Q1a:;<=>?@[\\\\]^_`", "size": [4, 4]}]
    for i, a in enumerate(gt["annotations"]):
        seg = forms[i % len(forms)]
        a.pop("segmentation", None)
        if i % 2:  # as the last key of its object, too
            a["segmentation"] = seg
        else:
            a.update({"segmentation": seg, **{k: a.pop(k) for k in list(a)}})
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt, indent=1))
    stripped = _read_without_segmentation(path)
    for a, b in zip(stripped["annotations"], gt["annotations"]):
        assert a["segmentation"] == 0
        assert {k: v for k, v in a.items() if k != "segmentation"} == {k: v for k, v in b.items()
                                                                        if k != "segmentation"}
    assert stripped["images"] == gt["images"] and stripped["categories"] == gt["categories"]


def test_parallel_loading_rejects_results_of_another_skeleton(tmp_path, monkeypatch, coco_val):
    import posekit.evaluation.coco as C
    from posekit.errors import ValidationError

    monkeypatch.setattr(C, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(C, "_spare_core", lambda: True)  # forked whatever the machine's load
    gt = json.loads(coco_val.read_text())
    res = perturbed(gt, 3)
    for r in res:
        r["keypoints"] = r["keypoints"][:48]  # 16 keypoints against a 17-keypoint category
    (tmp_path / "res.json").write_text(json.dumps(res))
    with pytest.raises(ValidationError, match="expected 3\\*K = 51"):
        evaluate_coco(coco_val, tmp_path / "res.json")
