"""validate and eval apply one set of rules: a file eval accepts, validate accepts, and a file
validate refuses, eval refuses with validate's own first problem (one line naming the record)."""
from __future__ import annotations

import copy
import json

import pytest

from posekit.data.validate import dataset_problems, results_problems
from posekit.errors import DataError
from posekit.evaluation import evaluate_coco
from posekit.fileio import read_json


@pytest.fixture()
def gt(coco_val) -> dict:
    return json.loads(coco_val.read_text())


def _results(gt):
    return [{"image_id": a["image_id"], "category_id": 1, "keypoints": [float(v) for v in a["keypoints"]],
             "score": 0.9, "bbox": a["bbox"]} for a in gt["annotations"] if a["num_keypoints"]][:10]


def _set(path, value):
    def mutate(obj):
        target = obj
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


DELETE = object()

RESULT_MUTATIONS = {  # each was accepted by eval, or refused as "malformed file", before one rule set
    "keypoint as a string": _set((2, "keypoints", 0), "12"),
    "score true": _set((2, "score"), True),
    "image id as a float": lambda r: r[2].__setitem__("image_id", float(r[2]["image_id"])),  # 397133.0
    "unhashable image id": _set((2, "image_id"), [1]),
    "unhashable category id": _set((2, "category_id"), {}),
    "keypoint 1e12": _set((2, "keypoints", 3), 1e12),
    "box 1e12": _set((2, "bbox"), [0, 0, 1e12, 1e12]),
    "null keypoint": _set((2, "keypoints", 1), None),
}

GT_MUTATIONS = {
    "zero-width box": _set(("annotations", 3, "bbox", 2), 0),
    "1e12 box": _set(("annotations", 3, "bbox"), [0, 0, 1e12, 1e12]),
    "unhashable annotation id": _set(("annotations", 3, "id"), [1]),
    "unhashable category id": _set(("annotations", 3, "category_id"), {}),
    "boolean image id": _set(("images", 0, "id"), True),
    "image_id as a float": lambda d: d["annotations"][3].__setitem__("image_id", float(d["annotations"][3]["image_id"])),
    "keypoint as a string": _set(("annotations", 3, "keypoints", 0), "12"),
    "deleted file_name": _set(("images", 4, "file_name"), DELETE),
    "unhashable category": _set(("categories", 0, "id"), [1]),
    "num_keypoints as a string": _set(("annotations", 3, "num_keypoints"), "3"),
}


@pytest.mark.parametrize("name", sorted(RESULT_MUTATIONS))
def test_results_rule_is_shared(gt, name, tmp_path):
    res = _results(gt)
    RESULT_MUTATIONS[name](res)
    problems = results_problems(res, None, gt)
    assert problems, f"validate accepts {name}"
    with pytest.raises(DataError) as e:
        evaluate_coco(gt, res)
    assert str(e.value).startswith(str(problems[0])), (str(e.value), str(problems[0]))
    assert "\n" not in str(e.value) and "malformed" not in str(e.value)


@pytest.mark.parametrize("name", sorted(GT_MUTATIONS))
def test_dataset_rule_is_shared(gt, name, tmp_path):
    res = _results(gt)
    bad = copy.deepcopy(gt)
    GT_MUTATIONS[name](bad)
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(bad))
    for given, named in ((bad, None), (path, str(path))):  # an object, and a path (the fast reader)
        problems = dataset_problems(bad, named)
        assert problems, f"validate accepts {name}"
        with pytest.raises(DataError) as e:
            evaluate_coco(given, res)
        assert str(e.value).startswith(str(problems[0])), (str(e.value), str(problems[0]))
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("value", [True, 1.0])
def test_image_id_true_or_1_0_is_not_image_1(gt, value):
    """An image whose id is 1: a result naming it ``true`` or ``1.0`` compares equal in Python
    (True == 1.0 == 1) but is not a JSON integer; both validate and eval refuse it."""
    gt = copy.deepcopy(gt)
    old = gt["images"][0]["id"]
    gt["images"][0]["id"] = 1
    for a in gt["annotations"]:
        if a["image_id"] == old:
            a["image_id"] = 1
    res = _results(gt)
    res[0]["image_id"] = 1
    assert not results_problems(res, None, gt)
    res[0]["image_id"] = value
    problems = results_problems(res, None, gt)
    assert problems and problems[0].field == "image_id"
    with pytest.raises(DataError) as e:
        evaluate_coco(gt, res)
    assert str(e.value).startswith(str(problems[0]))


def test_unchanged_files_pass_both(gt):
    res = _results(gt)
    assert not dataset_problems(gt) and not results_problems(res, None, gt)
    assert 0 < evaluate_coco(gt, res).summary()["AP"] <= 1


# --- JSON errors name the file, the record and the real problem

def test_json_error_names_the_record_and_nan(tmp_path):
    path = tmp_path / "gt.json"
    path.write_text('{"images": [], "annotations": [{"id": 1}, {"id": 2}, {"id": 3, "area": NaN}]}')
    with pytest.raises(DataError) as e:
        read_json(path)
    msg = str(e.value)
    assert str(path) in msg and "annotations[2]" in msg and "NaN" in msg and "not JSON" in msg
    assert "unexpected character" not in msg


def test_json_error_gives_the_offset_of_the_bad_utf8_byte(tmp_path):
    data = b'[' + b'{"image": "a.jpg"}, ' * 15 + b'{"image": "\xff.jpg"}]'
    bad = data.index(b"\xff")
    assert bad > 300
    (tmp_path / "m.json").write_bytes(data)
    with pytest.raises(DataError) as e:
        read_json(tmp_path / "m.json")
    assert f"offset {bad}" in str(e.value) and "[15]" in str(e.value) and "UTF-8" in str(e.value)
