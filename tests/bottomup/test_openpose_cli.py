"""posekit infer / eval / weights with the bottom-up default model, as a user runs them."""
from __future__ import annotations

import json
import numpy as np

from tests.bottomup.conftest import XML
from tests.conftest import run_cli


def test_infer_defaults_to_openpose_and_finds_the_person(tmp_path, shared_data):
    image = shared_data / "mmpose_tests/coco/000000000785.jpg"
    proc = run_cli("infer", image, "--out", tmp_path / "out", check=True)
    info = json.loads((tmp_path / "out/info.json").read_text())
    assert info["model"] == "openpose-lightweight" and info["detector"] is None
    records = json.loads((tmp_path / "out/results.json").read_text())
    assert len(records) == 1, proc.stderr
    # the skier's ground truth (mmpose's test annotation of this COCO image): every found keypoint near it
    gt = json.loads((shared_data / "mmpose_tests/coco/test_coco.json").read_text())
    (ann,) = [a for a in gt["annotations"] if a["image_id"] == 785]
    want = np.asarray(ann["keypoints"], float).reshape(17, 3)
    got = np.asarray(records[0]["keypoints"]).reshape(17, 3)
    both = (want[:, 2] > 0) & (got[:, 2] > 0)
    assert both.sum() >= 10
    assert np.median(np.linalg.norm(got[both, :2] - want[both, :2], axis=1)) < 8
    x, y, w, h = records[0]["bbox"]
    assert x <= want[both, 0].min() + 10 and x + w >= want[both, 0].max() - 10
    assert (tmp_path / "out/overlays/000000000785.png").is_file()


def test_a_detector_for_the_bottom_up_model_is_refused_in_one_line(tmp_path, shared_data):
    image = shared_data / "mmpose_tests/coco/000000000785.jpg"
    proc = run_cli("infer", image, "--out", tmp_path / "o", "--model", "openpose-lightweight", "--detector", "ssd")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "openpose-lightweight is bottom-up" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    # a detector named without a model: BlazePose behind it, as before the bottom-up default
    run_cli("infer", image, "--out", tmp_path / "td", "--detector", "ssd", check=True)
    assert json.loads((tmp_path / "td/info.json").read_text())["model"] == "blazepose-full"


def test_weights_import_refuses_a_file_that_is_no_pose_model(tmp_path):
    ssd = XML.parents[1] / "person-detection-retail-0013/person-detection-retail-0013.xml"
    proc = run_cli("weights", "import", "openpose-lightweight", "--file", ssd)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "person-detection-retail-0013.xml" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("weights", "import", "openpose-lightweight", "--file", XML, check=True)
    assert "openpose_lightweight.safetensors" in proc.stdout


def test_eval_runs_the_pretrained_model_and_agrees_with_pycocotools(tmp_path, shared_data):
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    ann = shared_data / "mmpose_tests/coco/test_coco.json"
    proc = run_cli("eval", "--model", "openpose-lightweight", "--gt", ann, "--images", ann.parent,
                   "--save-results", tmp_path / "r.json", "--json", tmp_path / "m.json", check=True)
    ours = json.loads((tmp_path / "m.json").read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(ann))
        ev = COCOeval(gt, gt.loadRes(str(tmp_path / "r.json")), "keypoints")
        ev.evaluate(), ev.accumulate(), ev.summarize()
    ap = next(v for k, v in ours.items() if k == "AP")
    assert abs(ap - ev.stats[0]) < 1e-9 and ap > 0.3, proc.stdout
