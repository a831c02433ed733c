"""The command line: verbs, exit codes, one-line errors, and a light import."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from posekit.evaluation import STAT_NAMES
from posekit.evaluation.simulate import simulate_detections
from tests.conftest import ROOT, run_cli


def test_help_lists_every_verb():
    from posekit.cli import VERBS

    out = run_cli("--help", check=True).stdout
    for verb in VERBS:
        assert verb in out


def test_import_does_not_load_torch():
    code = "import sys, posekit, posekit.cli, posekit.evaluation; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_eval_prints_table_and_writes_json(coco_val, tmp_path):
    gt = json.loads(coco_val.read_text())
    res = tmp_path / "res.json"
    res.write_text(json.dumps(simulate_detections(gt, seed=3)))
    out = tmp_path / "metrics.json"
    proc = run_cli("eval", "--gt", coco_val, "--results", res, "--json", out, "--metric", "coco", "pck", check=True)
    lines = [line for line in proc.stdout.splitlines() if "Average" in line]
    assert len(lines) == 10 and "maxDets= 20" in lines[0]
    figures = json.loads(out.read_text())
    assert set(STAT_NAMES) | {"PCK@0.1", "PCK@0.2", "EPE"} == set(figures)
    assert 0 <= figures["PCK@0.1"] <= figures["PCK@0.2"] <= 1
    assert lines[0].endswith(f"{figures['AP']:0.3f}")


def test_eval_bad_results_is_one_line(coco_val, tmp_path):
    res = tmp_path / "res.json"
    res.write_text(json.dumps([{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 3], "score": 1}]))
    proc = run_cli("eval", "--gt", coco_val, "--results", res)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert str(res) in proc.stderr and "result #0" in proc.stderr


def test_eval_missing_file(coco_val, tmp_path):
    proc = run_cli("eval", "--gt", coco_val, "--results", tmp_path / "nope.json")
    assert proc.returncode == 2 and "cannot read file" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_sigmas_flag(shared_data, tmp_path):
    gt_path = shared_data / "mmpose_tests" / "coco" / "test_coco.json"
    gt = json.loads(gt_path.read_text())
    res = tmp_path / "res.json"
    res.write_text(json.dumps(simulate_detections(gt, seed=1)))
    wide = json.loads(run_cli("eval", "--gt", gt_path, "--results", res, "--json", tmp_path / "a.json",
                              "--sigmas", *(["1.0"] * 17), check=True) and (tmp_path / "a.json").read_text())
    run_cli("eval", "--gt", gt_path, "--results", res, "--json", tmp_path / "b.json", check=True)
    narrow = json.loads((tmp_path / "b.json").read_text())
    assert wide["AP"] >= narrow["AP"] and not np.isclose(wide["AP"], narrow["AP"])


def test_atomic_write_leaves_no_partial_file(tmp_path):
    import os

    import pytest

    from posekit.fileio import atomic_write, write_json

    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b'{"half": ')
            raise RuntimeError("crash mid-write")
    assert json.loads(target.read_text()) == {"a": 1}  # the old complete file survives
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert oct(os.stat(target).st_mode & 0o777) != oct(0o600)


def test_eval_pck_head_normalisation(shared_data, tmp_path):
    """PoseTrack18 carries head boxes: a prediction off by 0.4 head sizes is right at 0.5, wrong at 0.3."""
    gt_path = shared_data / "mmpose_tests" / "posetrack18" / "annotations" / "test_posetrack18_val.json"
    gt = json.loads(gt_path.read_text())
    recs = []
    for a in gt["annotations"]:
        hb = a["bbox_head"]
        shift = 0.4 * 0.6 * float(np.hypot(hb[2], hb[3]))
        kp = np.asarray(a["keypoints"], float).reshape(-1, 3)
        kp[:, 0] += shift
        recs.append({"image_id": a["image_id"], "category_id": 1, "keypoints": kp.ravel().tolist(), "score": 1.0})
    res = tmp_path / "res.json"
    res.write_text(json.dumps(recs))
    out = tmp_path / "m.json"
    run_cli("eval", "--gt", gt_path, "--results", res, "--metric", "pck", "--pck-norm", "head",
            "--pck-thr", "0.3", "0.5", "--json", out, check=True)
    figures = json.loads(out.read_text())
    assert figures["PCK@0.5"] == 1.0 and figures["PCK@0.3"] == 0.0
    proc = run_cli("eval", "--gt", shared_data / "coco_mini/annotations/person_keypoints_val2017.json",
                   "--results", ROOT / "demo" / "coco_mini_val2017_results.json", "--metric", "pck",
                   "--pck-norm", "head")
    assert proc.returncode == 2 and "bbox_head" in proc.stderr

