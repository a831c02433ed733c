"""eval-track on PoseTrack18 ground truth: perfect tracks score MOTA 1, swapped ids count switches."""
from __future__ import annotations

import json

import numpy as np
import pytest

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
