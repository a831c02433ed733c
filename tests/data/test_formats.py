"""Readers and writers on the real files bundled in ./data."""
from __future__ import annotations

import json

import numpy as np
import pytest

from posekit.data.coco import CocoDataset, load_coco
from posekit.data.mpii import head_boxes, load_mpii, save_mpii
from posekit.data.posetrack import load_posetrack, save_posetrack
from posekit.data.results import load_results, records_to_results, results_to_records, save_results
from posekit.skeletons import COCO17, CROWDPOSE14, HALPE26, MPII16, POSETRACK17


def test_coco_samples_match_the_json(coco_val):
    ds = load_coco(coco_val)
    raw = json.loads(coco_val.read_text())
    assert len(ds) == 30 and ds.skeleton() is COCO17
    total = 0
    for s in ds.samples():
        anns = [a for a in raw["annotations"] if a["image_id"] == s.image_id]
        assert s.keypoints.shape == (len(anns), 17, 2) and s.visibility.shape == (len(anns), 17)
        for i, a in enumerate(anns):
            kp = np.asarray(a["keypoints"]).reshape(17, 3)
            np.testing.assert_array_equal(s.keypoints[i], kp[:, :2])
            np.testing.assert_array_equal(s.visibility[i], kp[:, 2])
            assert s.num_keypoints[i] == a["num_keypoints"] and s.iscrowd[i] == bool(a["iscrowd"])
        total += len(s)
    assert total == 65


def test_coco_round_trip(coco_val, tmp_path):
    ds = load_coco(coco_val)
    again = CocoDataset.from_samples(list(ds.samples()), ds.skeleton())
    again.save(tmp_path / "out.json")
    back = load_coco(tmp_path / "out.json")
    for a, b in zip(ds.samples(), back.samples()):
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        np.testing.assert_array_equal(a.visibility, b.visibility)
        np.testing.assert_allclose(a.boxes, b.boxes)
        np.testing.assert_allclose(a.areas, b.areas)
    assert not list(tmp_path.glob(".*part"))  # no temporary left behind


def test_crowdpose(shared_data):
    ds = load_coco(shared_data / "mmpose_tests" / "crowdpose" / "test_crowdpose.json")
    assert ds.skeleton() is CROWDPOSE14
    s = next(ds.samples())
    assert s.keypoints.shape[1] == 14
    np.testing.assert_allclose(s.areas, s.boxes[:, 2] * s.boxes[:, 3])  # no 'area' in CrowdPose: box area


def test_halpe_needs_its_skeleton(shared_data):
    """MMPose's Halpe sample names no keypoints and holds the 136 whole-body points."""
    path = shared_data / "mmpose_tests" / "halpe" / "test_halpe.json"
    with pytest.raises(Exception, match="category without keypoint names"):
        load_coco(path)
    with pytest.raises(Exception, match="has 408 values, expected 3\\*K = 78"):
        load_coco(path, skeleton=HALPE26)


def test_posetrack18(shared_data, tmp_path):
    ds = load_posetrack(shared_data / "mmpose_tests" / "posetrack18" / "annotations" / "test_posetrack18_val.json")
    assert ds.skeleton() is POSETRACK17
    samples = list(ds.samples())
    tracked = [s for s in samples if s.track_ids is not None]
    assert tracked and all(len(s.track_ids) == len(s) for s in tracked)
    save_posetrack(tracked, tmp_path / "video.json", video_id="test")
    back = list(load_posetrack(tmp_path / "video.json").samples())
    for a, b in zip(tracked, back):
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
        np.testing.assert_allclose(a.keypoints[a.visibility > 0], b.keypoints[b.visibility > 0])


def test_mpii(shared_data, tmp_path):
    path = shared_data / "mmpose_tests" / "mpii" / "test_mpii.json"
    samples = load_mpii(path)
    raw = json.loads(path.read_text())
    assert len(samples) == len(raw) == 5
    for s, r in zip(samples, raw):
        np.testing.assert_allclose(s.keypoints[0], r["joints"])
        side = r["scale"] * 200
        np.testing.assert_allclose(s.boxes[0], [r["center"][0] - side / 2, r["center"][1] - side / 2, side, side])
    save_mpii(samples, tmp_path / "mpii.json")
    assert json.loads((tmp_path / "mpii.json").read_text())[0]["joints"] == raw[0]["joints"]
    hb = head_boxes(samples)
    neck, top = MPII16.index("upper_neck"), MPII16.index("head_top")
    seg = np.linalg.norm(samples[0].keypoints[0, top] - samples[0].keypoints[0, neck])
    assert 0.6 * np.linalg.norm(hb[0, 2:] - hb[0, :2]) == pytest.approx(seg)


def test_results_round_trip(coco_val, tmp_path):
    gt = json.loads(coco_val.read_text())
    recs = [{"image_id": a["image_id"], "category_id": 1, "keypoints": [float(v) for v in a["keypoints"]],
             "score": 0.5, "bbox": a["bbox"]} for a in gt["annotations"]]
    results = records_to_results(recs)
    assert sum(len(r) for r in results) == len(recs)
    save_results(results, tmp_path / "res.json")
    back = load_results(tmp_path / "res.json", gt)
    assert len(back) == len(recs)
    np.testing.assert_allclose(sorted(sum((r["keypoints"] for r in back), [])),
                               sorted(sum((r["keypoints"] for r in results_to_records(results)), [])))


def test_results_with_an_empty_image(tmp_path):
    from posekit.structures import PoseResult

    empty = PoseResult(3, np.zeros((0, 17, 2)), np.zeros((0, 17)), np.zeros(0))
    full = PoseResult(4, np.ones((1, 17, 2)), np.ones((1, 17)), np.ones(1))
    assert [r["image_id"] for r in results_to_records([empty, full])] == [4]
