"""Every validation error path names the file, the record and the field."""
from __future__ import annotations

import copy
import json
import math

import pytest

from posekit.data.coco import CocoDataset, load_coco
from posekit.data.results import load_results
from posekit.data.validate import dataset_problems, results_problems
from posekit.errors import DataError, ValidationError
from posekit.evaluation import evaluate_coco
from tests.conftest import run_cli


@pytest.fixture()
def gt(coco_val) -> dict:
    return json.loads(coco_val.read_text())


@pytest.fixture()
def results(gt) -> list:
    return [{"image_id": a["image_id"], "category_id": 1, "keypoints": [float(v) for v in a["keypoints"]],
             "score": 0.9} for a in gt["annotations"][:10]]


def only(problems: list[DataError]) -> DataError:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


GT_CASES = [
    ("missing annotations", lambda d: d.pop("annotations"), None, "annotations", "missing key"),
    ("missing keypoints", lambda d: d["annotations"][3].pop("keypoints"), "annotation", "keypoints", "missing key"),
    ("keypoints not 3K", lambda d: d["annotations"][3]["keypoints"].pop(), "annotation", "keypoints", "expected 3*K = 51"),
    ("nan keypoint", lambda d: d["annotations"][3]["keypoints"].__setitem__(4, math.nan), "annotation", "keypoints",
     "non-finite"),
    ("inf keypoint", lambda d: d["annotations"][3]["keypoints"].__setitem__(0, math.inf), "annotation", "keypoints",
     "non-finite"),
    ("negative width", lambda d: d["annotations"][3]["bbox"].__setitem__(2, -5.0), "annotation", "bbox",
     "negative width"),
    ("negative height", lambda d: d["annotations"][3]["bbox"].__setitem__(3, -1.0), "annotation", "bbox",
     "negative width or height"),
    ("unknown image", lambda d: d["annotations"][3].__setitem__("image_id", 123), "annotation", "image_id",
     "unknown image_id 123"),
    ("duplicate ann id", lambda d: d["annotations"][3].__setitem__("id", d["annotations"][2]["id"]), "annotation",
     "id", "duplicate annotation id"),
    ("duplicate image id", lambda d: d["images"][1].__setitem__("id", d["images"][0]["id"]), "image", "id",
     "duplicate image id"),
    ("category without names", lambda d: d["categories"][0].__setitem__("keypoints", []), "category", "keypoints",
     "category without keypoint names"),
    ("unknown category", lambda d: d["annotations"][3].__setitem__("category_id", 7), "annotation", "category_id",
     "unknown category_id 7"),
    ("bad visibility", lambda d: d["annotations"][3]["keypoints"].__setitem__(2, 3), "annotation", "keypoints",
     "visibility flags"),
    ("string area", lambda d: d["annotations"][3].__setitem__("area", "big"), "annotation", "area", "finite number"),
    ("zero image width", lambda d: d["images"][2].__setitem__("width", 0), "image", "width", "positive number"),
]


@pytest.mark.parametrize("name,corrupt,record,field,text", GT_CASES, ids=[c[0] for c in GT_CASES])
def test_dataset_error_paths(gt, coco_val, name, corrupt, record, field, text):
    bad = copy.deepcopy(gt)
    corrupt(bad)
    problem = only(dataset_problems(bad, str(coco_val)))
    assert problem.path == str(coco_val) and problem.field == field and text in str(problem)
    if record:
        assert str(problem.record).startswith(record)
    assert str(coco_val) in str(problem) and field in str(problem)
    with pytest.raises(ValidationError) as e:
        CocoDataset(bad, coco_val)
    assert str(e.value).startswith(str(problem))
    # the evaluator's whole-array checks reach the same verdict and the same message
    with pytest.raises(ValidationError) as e:
        evaluate_coco(bad, [])
    assert e.value.problems[0].reason == problem.reason


RESULT_CASES = [
    ("missing score", lambda r: r[2].pop("score"), "score", "missing key"),
    ("keypoints not 3K", lambda r: r[2]["keypoints"].append(1.0), "keypoints", "expected 3*K = 51"),
    ("nan keypoint", lambda r: r[2]["keypoints"].__setitem__(1, math.nan), "keypoints", "non-finite"),
    ("inf score", lambda r: r[2].__setitem__("score", math.inf), "score", "finite number"),
    ("unknown image", lambda r: r[2].__setitem__("image_id", 5), "image_id", "unknown image_id 5"),
    ("unknown category", lambda r: r[2].__setitem__("category_id", 2), "category_id",
     "category 2 does not exist"),
    ("negative box", lambda r: r[2].__setitem__("bbox", [0, 0, -1, 4]), "bbox", "negative width"),
]


@pytest.mark.parametrize("name,corrupt,field,text", RESULT_CASES, ids=[c[0] for c in RESULT_CASES])
def test_results_error_paths(gt, results, name, corrupt, field, text):
    bad = copy.deepcopy(results)
    corrupt(bad)
    problem = only(results_problems(bad, "res.json", gt))
    assert problem.field == field and text in str(problem)
    assert str(problem).startswith("res.json: record result #2 (image_id ")
    with pytest.raises(ValidationError) as e:
        evaluate_coco(gt, bad)
    assert e.value.problems[0].reason == problem.reason


def test_every_problem_is_listed(gt):
    bad = copy.deepcopy(gt)
    bad["annotations"][0]["keypoints"][0] = math.nan
    bad["annotations"][5]["bbox"][2] = -1
    bad["annotations"][9]["image_id"] = -4
    assert len(dataset_problems(bad, "x.json")) == 3


def test_valid_files_have_no_problems(gt, results, coco_val):
    assert dataset_problems(gt) == [] and results_problems(results, None, gt) == []
    assert len(load_coco(coco_val)) == 30 and len(load_results(results, gt)) == 10


def test_validate_cli_lists_all_and_exits_nonzero(tmp_path, gt, coco_val):
    bad = copy.deepcopy(gt)
    bad["annotations"][1]["keypoints"].pop()
    bad["annotations"][4]["image_id"] = 42
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    proc = run_cli("validate", path)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()  # the two problems, then the summary, on stdout
    assert len(lines) == 3 and all(line.startswith(str(path)) for line in lines)
    assert lines[-1] == f"{path}: dataset, 2 problems" and proc.stderr == ""
    assert "Traceback" not in proc.stderr
    assert run_cli("validate", coco_val).returncode == 0


def test_validate_cli_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"images": [')
    proc = run_cli("validate", path)
    # a file that cannot be parsed cannot be validated: exit 2, as for a missing file
    assert proc.returncode == 2 and "not valid JSON" in proc.stdout and "Traceback" not in proc.stderr
