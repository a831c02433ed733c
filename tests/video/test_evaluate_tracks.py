"""eval-track on PoseTrack18 ground truth: perfect tracks score MOTA 1, swapped ids count switches."""
from __future__ import annotations

import json

import numpy as np
import pytest

from posekit.errors import DataError
from posekit.video.evaluate import evaluate_tracks
from tests.conftest import run_cli


@pytest.fixture()
def posetrack(shared_data):
    return shared_data / "mmpose_tests" / "posetrack18" / "annotations" / "val" / "012834_mpii_test.json"


def tracks_from_gt(path):
    gt = json.loads(path.read_text())
    recs = []
    for a in gt["annotations"]:
        kp = np.asarray(a["keypoints"], float).reshape(-1, 3)
        kp[:, 2] = np.where(kp[:, 2] > 0, 0.9, 0.0)
        recs.append({"frame_id": 0, "track_id": a["track_id"], "keypoints": kp.ravel().tolist(), "bbox": a["bbox"],
                     "score": 0.9})
    return gt, recs


def test_perfect_tracks(posetrack):
    gt, recs = tracks_from_gt(posetrack)
    ev = evaluate_tracks(posetrack, recs)
    assert ev.mot.mota == 1.0 and ev.mot.switches.sum() == 0 and ev.coco["AP"] == pytest.approx(1.0)
    labelled = sum(sum(v > 0 for v in a["keypoints"][2::3]) for a in gt["annotations"])
    assert ev.mot.objects.sum() == labelled


def test_cli_writes_json(posetrack, tmp_path):
    _, recs = tracks_from_gt(posetrack)
    (tmp_path / "tracks.json").write_text(json.dumps(recs))
    out = tmp_path / "m.json"
    proc = run_cli("eval-track", "--gt", posetrack, "--results", tmp_path / "tracks.json", "--json", out, check=True)
    assert "MOTA 1.000" in proc.stdout
    assert json.loads(out.read_text())["IDSW"] == 0
    bad = [dict(recs[0], frame_id=5)]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    proc = run_cli("eval-track", "--gt", posetrack, "--results", tmp_path / "bad.json")
    assert proc.returncode == 2 and "outside the video" in proc.stderr


def _two_people_video(tmp_path, frames=5):
    """Two people 400 px apart, every joint labelled, head boxes 30 px: frames move 3 px each."""
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 120, (17, 2))
    images, anns = [], []
    for f in range(frames):
        images.append({"id": 100 + f, "file_name": f"{f:06d}.jpg", "frame_id": f, "width": 1000, "height": 600})
        for track, dx in ((7, 50.0), (9, 450.0)):
            kp = base + [dx + 3 * f, 100]
            anns.append({"id": len(anns) + 1, "image_id": 100 + f, "category_id": 1, "track_id": track,
                         "keypoints": [v for x, y in kp for v in (float(x), float(y), 2)], "num_keypoints": 17,
                         "bbox": [dx + 3 * f, 100, 120, 120], "area": 14400.0, "bbox_head": [0, 0, 30, 30],
                         "iscrowd": 0})
    from posekit.skeletons import COCO17

    cats = [{"id": 1, "name": "person", "keypoints": list(COCO17.names), "skeleton": []}]
    path = tmp_path / "video.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path, anns


def test_swapped_ids_over_several_frames_count_switches(tmp_path):
    """Ids of the two people swapped from frame 2 and swapped back at frame 4: each of the 2 x 17
    joints switches twice (68 switches, by hand); 5 x 2 x 17 = 170 objects; MOTA = 1 - 68/170."""
    path, anns = _two_people_video(tmp_path)
    recs = []
    for a in anns:
        f = a["image_id"] - 100
        swap = {7: 9, 9: 7} if f in (2, 3) else {}
        kp = np.asarray(a["keypoints"], float).reshape(-1, 3)
        kp[:, 2] = 0.9
        recs.append({"frame_id": f, "track_id": swap.get(a["track_id"], a["track_id"]),
                     "keypoints": kp.ravel().tolist(), "bbox": a["bbox"], "score": 0.9})
    ev = evaluate_tracks(path, recs)
    assert int(ev.mot.objects.sum()) == 170
    assert int(ev.mot.switches.sum()) == 68 and (ev.mot.switches == 4).all()
    assert ev.mot.mota == pytest.approx(1 - 68 / 170)
    assert int(ev.mot.misses.sum()) == 0 and int(ev.mot.false_positives.sum()) == 0
    # unswapped, one person missing from frame 3: 17 misses, and its return on frame 4 is no switch
    plain = [dict(r, track_id=a["track_id"]) for r, a in zip(recs, anns)
             if not (a["image_id"] == 103 and a["track_id"] == 7)]
    ev = evaluate_tracks(path, plain)
    assert int(ev.mot.misses.sum()) == 17 and int(ev.mot.switches.sum()) == 0
    assert ev.mot.mota == pytest.approx(1 - 17 / 170)


@pytest.mark.parametrize("field,value,message", [
    ("track_id", [1], "must be an integer"),
    ("track_id", True, "must be an integer"),
    ("frame_id", True, "must be an integer"),
    ("frame_id", 9, "outside the video's 5 frames"),
    ("score", None, "finite number"),
])
def test_bad_track_records_are_one_line(tmp_path, field, value, message):
    path, anns = _two_people_video(tmp_path)
    recs = [{"frame_id": a["image_id"] - 100, "track_id": a["track_id"], "keypoints": a["keypoints"], "score": 0.9}
            for a in anns]
    recs[3][field] = value
    with pytest.raises(DataError) as e:
        evaluate_tracks(path, recs)
    assert "track #3" in str(e.value) and f"'{field}'" in str(e.value) and message in str(e.value)


def test_ground_truth_without_track_ids_is_refused(tmp_path):
    path, anns = _two_people_video(tmp_path)
    d = json.loads(path.read_text())
    del d["annotations"][0]["track_id"]
    path.write_text(json.dumps(d))
    with pytest.raises(DataError, match="no integer 'track_id'"):
        evaluate_tracks(path, [])
