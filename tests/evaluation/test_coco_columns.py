"""The evaluator's quick column building (NumPy's conversion of orjson's lists, taken when the file
holds no ``true``/``false``) gives the same tables as the value-by-value path, and every file it
cannot take falls back so that the validator names each problem as before."""
from __future__ import annotations

import contextlib
import copy
import io
import json
from dataclasses import fields

import numpy as np
import pytest

import posekit.evaluation.coco as C
import posekit.evaluation.coco_columns as CC
from posekit.data.validate import results_problems
from posekit.errors import ValidationError
from posekit.fileio import read_json
from posekit.evaluation import evaluate_coco
from posekit.evaluation.simulate import random_keypoint_dataset, simulate_detections


def reference(gt: dict, results: list):
    """pycocotools' COCOeval on copies."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = copy.deepcopy(gt)
        cg.createIndex()
        ev = COCOeval(cg, cg.loadRes(copy.deepcopy(results)), "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def _tables(gt_path, res_path, plain: bool):
    """Ground-truth and detection tables of every category, the quick path on or off."""
    g, g_plain = C._read_ground_truth(gt_path)
    r, r_plain = C._read_results(res_path)
    ids, skeletons = C._gt_index(g, None)
    gt = {c: C.gt_table(g["annotations"], c, s.num_keypoints, plain and g_plain) for c, s in skeletons.items()}
    dt = {c: C.dt_table(r, c, s.num_keypoints, plain and r_plain) for c, s in skeletons.items()}
    return gt, dt, (g_plain, r_plain)


def _assert_tables_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for cat in a:
        for f in fields(a[cat]):
            x, y = getattr(a[cat], f.name), getattr(b[cat], f.name)
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            assert np.array_equal(x, y) and np.array_equal(np.signbit(x), np.signbit(y)), f.name


def _write(path, obj, **dump) -> None:
    path.write_text(json.dumps(obj, **dump), encoding="utf-8")


def _odd(gt: dict, res: list) -> tuple[dict, list]:
    """Reordered keys, ints among the floats, exponents, -0.0 and unicode in the other fields."""
    gt, res = copy.deepcopy(gt), copy.deepcopy(res)
    gt["info"] = {"description": "Überprüfung — 検証 {not a brace} [nor a bracket]"}
    for i, img in enumerate(gt["images"]):
        img["file_name"] = f"bild_{i}_ü.jpg"
    for i, a in enumerate(gt["annotations"]):
        a["keypoints"] = [int(v) if j % 2 else float(v) for j, v in enumerate(a["keypoints"])]
        if i % 3 == 0:
            gt["annotations"][i] = dict(reversed(list(a.items())))
    for i, r in enumerate(res):
        r["keypoints"][2] = 1e-07 if i % 2 else 0.0  # written as an exponent
        r["keypoints"][0] = -0.0 if i % 5 == 0 else r["keypoints"][0]
        r["score"] = r["score"] * 1e-5  # exponents in a scalar column too
        r["keypoints"][3] = int(r["keypoints"][3])
        if i % 4 == 0:
            res[i] = dict(reversed(list(r.items())))
    return gt, res


@pytest.fixture(scope="module")
def simulated():
    gt = random_keypoint_dataset(60, seed=3)
    return gt, simulate_detections(gt, seed=4)


@pytest.mark.parametrize("form", ["compact", "indented", "odd"])
def test_quick_columns_equal_value_by_value_columns(tmp_path, simulated, form):
    gt, res = simulated
    if form == "odd":
        gt, res = _odd(gt, res)
    dump = {"indent": 2} if form != "compact" else {"separators": (",", ":")}
    _write(tmp_path / "gt.json", gt, ensure_ascii=form != "odd", **dump)
    _write(tmp_path / "res.json", res, ensure_ascii=form != "odd", **dump)
    g_quick, d_quick, plain = _tables(tmp_path / "gt.json", tmp_path / "res.json", True)
    assert plain == (True, True)  # the quick path was taken
    g_slow, d_slow, _ = _tables(tmp_path / "gt.json", tmp_path / "res.json", False)
    _assert_tables_equal(g_quick, g_slow)
    _assert_tables_equal(d_quick, d_slow)
    ours = evaluate_coco(tmp_path / "gt.json", tmp_path / "res.json")
    np.testing.assert_allclose(ours.stats, reference(gt, res).stats, rtol=0, atol=1e-12)


def test_a_boolean_anywhere_turns_the_quick_path_off(tmp_path, simulated):
    """NumPy would read ``true`` as 1.0; with a boolean in the text the types are checked one by one."""
    gt, res = copy.deepcopy(simulated[0]), copy.deepcopy(simulated[1])
    res[0]["flagged"] = True  # harmless: an unknown key
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    _, _, plain = _tables(tmp_path / "gt.json", tmp_path / "res.json", True)
    assert plain == (True, False)
    np.testing.assert_allclose(evaluate_coco(tmp_path / "gt.json", tmp_path / "res.json").stats,
                               reference(gt, res).stats, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", ["string", "null", "boolean", "nested", "short", "dict", "huge"])
def test_files_the_quick_path_refuses_are_named_by_the_validator(tmp_path, simulated, bad):
    gt, res = copy.deepcopy(simulated[0]), copy.deepcopy(simulated[1])
    kp = res[5]["keypoints"]
    if bad == "string":
        kp[4] = "12.5"
    elif bad == "null":
        kp[4] = None
    elif bad == "boolean":
        kp[4] = True
    elif bad == "nested":
        kp[4] = [1.0]
    elif bad == "short":
        del kp[-3:]
    elif bad == "dict":
        res[5]["keypoints"] = {"x": 1}
    else:
        kp[4] = 2 ** 70
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    with pytest.raises(ValidationError) as err:
        evaluate_coco(tmp_path / "gt.json", tmp_path / "res.json")
    names = {"images": [{"id": img["id"]} for img in gt["images"]],
             "categories": [{"id": c["id"], "keypoints": c["keypoints"]} for c in gt["categories"]]}
    want = results_problems(read_json(tmp_path / "res.json"), str(tmp_path / "res.json"), names)
    assert want and [str(p) for p in err.value.problems] == [str(p) for p in want]
    assert "result #5" in str(want[0])


def test_ground_truth_with_a_string_keypoint_is_named_by_the_validator(tmp_path, simulated):
    gt, res = copy.deepcopy(simulated[0]), simulated[1]
    gt["annotations"][3]["keypoints"][1] = "7"
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    with pytest.raises(ValidationError, match="keypoints"):
        evaluate_coco(tmp_path / "gt.json", tmp_path / "res.json")


def test_membership_and_repeat_checks_equal_numpy():
    rng = np.random.default_rng(0)
    for _ in range(200):
        values = rng.integers(-5, 30, rng.integers(0, 20))
        allowed = rng.integers(-5, 30, rng.integers(0, 15))
        assert CC._within(values, allowed) == bool(np.isin(values, allowed).all())
        assert CC._repeats(values) == (len(np.unique(values)) != len(values))


def test_posekit_eval_loads_no_heavy_module(tmp_path, simulated):
    """``posekit eval GT RESULTS`` runs without torch, OpenCV, SciPy, numpy.ma or the dataset readers."""
    import subprocess
    import sys
    from pathlib import Path

    gt, res = simulated
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    code = ("import sys, io, contextlib\nfrom posekit.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main(['eval', '--gt', {str(tmp_path / 'gt.json')!r}, '--results', {str(tmp_path / 'res.json')!r}])\n"
            "heavy = ('torch', 'cv2', 'scipy', 'numpy.ma', 'posekit.data.readers', 'posekit.structures')\n"
            "print(rc, [m for m in heavy if m in sys.modules])")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.split("\n")[0] == "0 []", out.stdout + out.stderr
