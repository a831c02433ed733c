"""validate, eval, calibrate and zoo: what a new user and a fault probe hit (issue 12)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from posekit import cli
from posekit.data import load_any_dataset
from posekit.data.image_ids import match_image_ids
from posekit.errors import DataError


def _main(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def small_coco(shared_data, tmp_path):
    """mmpose's 4 COCO images copied beside their annotations."""
    src = shared_data / "mmpose_tests" / "coco"
    d = json.loads((src / "test_coco.json").read_text())
    for img in d["images"]:
        shutil.copy(src / img["file_name"], tmp_path / img["file_name"])
    return tmp_path, d


def test_validate_checks_that_images_exist_and_open(small_coco, capsys):
    folder, d = small_coco
    (folder / "gt.json").write_text(json.dumps(d))
    assert _main(capsys, "validate", folder / "gt.json")[0] == 0
    (folder / d["images"][1]["file_name"]).unlink()  # a file_name pointing to a missing file
    (folder / d["images"][2]["file_name"]).write_bytes(b"not an image")
    code, out, err = _main(capsys, "validate", folder / "gt.json")
    assert code == 1 and err == ""  # problems and the summary on one stream
    assert "does not exist" in out and "does not open" in out and out.rstrip().endswith("dataset, 2 problems (4 images checked)")
    del d["images"][0]["file_name"]  # a deleted file_name key
    (folder / "gt2.json").write_text(json.dumps(d))
    code, out, _ = _main(capsys, "validate", folder / "gt2.json", "--images", folder)
    assert code == 1 and "'file_name': missing key" in out and out.rstrip().endswith("dataset, 1 problem")


def test_validate_unreadable_file_exits_2(capsys, tmp_path):
    code, out, err = _main(capsys, "validate", tmp_path / "nothere.json")
    assert code == 2 and "nothere.json: cannot read file" in out and "Traceback" not in err


def test_eval_reads_every_ground_truth_validate_knows(shared_data, tmp_path, capsys):
    """MPII (a JSON list) is read by eval as validate reads it; PCKh uses its head boxes."""
    mpii = shared_data / "mmpose_tests" / "mpii" / "test_mpii.json"
    assert _main(capsys, "validate", mpii)[0] == 0
    gt = load_any_dataset(mpii)
    records = [{"image_id": a["image_id"], "category_id": 1, "score": 1.0,
                "keypoints": (np.asarray(a["keypoints"], float).reshape(-1, 3) + [2.0, 0, 0]).ravel().tolist()}
               for a in gt.annotations]
    (tmp_path / "r.json").write_text(json.dumps(records))
    code, out, err = _main(capsys, "eval", "--gt", mpii, "--results", tmp_path / "r.json", "--metric", "pck",
                           "--pck-norm", "head", "--pck-thr", "0.5")
    assert code == 0, err
    # every labelled joint is 2 px off; head sizes are 0.6 x the diagonal (> 4 px): PCKh@0.5 = 1
    assert "PCK@0.5            = 1.0000" in out and "EPE                = 2.0000" in out
    code, _, err = _main(capsys, "eval", "--gt", tmp_path / "r.json", "--results", tmp_path / "r.json")
    assert code == 2 and "is a results file" in err


def test_eval_sigmas_of_the_wrong_count_is_one_line(coco_val, tmp_path, capsys):
    d = json.loads(coco_val.read_text())
    recs = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
            for a in d["annotations"] if a["num_keypoints"]]
    (tmp_path / "r.json").write_text(json.dumps(recs))
    code, _, err = _main(capsys, "eval", "--gt", coco_val, "--results", tmp_path / "r.json", "--sigmas", "0.1", "0.2")
    assert code == 2 and err.count("\n") == 1 and "2 sigmas given for 17 keypoints" in err


def test_eval_maps_infer_ids_by_file_path(shared_data, tmp_path, capsys):
    """Three videos each have a 000000.jpg: paths with their folders map to the right images;
    bare base names are refused as ambiguous; unmapped ids get a hint."""
    gt_path = shared_data / "mmpose_tests" / "posetrack18" / "annotations" / "test_posetrack18_val.json"
    gt = load_any_dataset(gt_path)
    root = shared_data / "mmpose_tests" / "posetrack18"
    paths = {str(root / img["file_name"]): n for n, img in enumerate(gt.images, start=1)}
    mapping = match_image_ids(paths, gt.images)
    assert mapping == {n: img["id"] for n, img in enumerate(gt.images, start=1)}
    with pytest.raises(DataError, match="matches 3 ground-truth images equally well"):
        match_image_ids({"000000.jpg": 1}, gt.images)
    with pytest.raises(DataError, match="both match"):
        match_image_ids({"a/012834_mpii_test/000000.jpg": 1, "b/012834_mpii_test/000000.jpg": 2}, gt.images)
    by_id = {img["id"]: n for n, img in enumerate(gt.images, start=1)}
    recs = [{"image_id": by_id[a["image_id"]], "category_id": 1, "score": 1.0, "keypoints": a["keypoints"]}
            for a in gt.annotations if sum(a["keypoints"][2::3])]
    (tmp_path / "r.json").write_text(json.dumps(recs))
    (tmp_path / "image_ids.json").write_text(json.dumps(paths))
    code, _, err = _main(capsys, "eval", "--gt", gt_path, "--results", tmp_path / "r.json")
    assert code == 2 and "unknown image_id" in err and "--image-ids" in err
    code, out, err = _main(capsys, "eval", "--gt", gt_path, "--results", tmp_path / "r.json",
                           "--image-ids", tmp_path / "image_ids.json")
    assert code == 0, err
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 1.000" in out


def test_calibrate_refuses_a_skeleton_it_cannot_fit(shared_data, tmp_path, capsys):
    code, _, err = _main(capsys, "calibrate", "--gt", shared_data / "mmpose_tests" / "crowdpose" / "test_crowdpose.json",
                         "--images", tmp_path, "--out", tmp_path / "c.json")
    assert code == 2 and "fits COCO-17 keypoints" in err and "14" in err and err.count("\n") == 1


def test_zoo_list_section_input_and_cache(tmp_path, capsys, monkeypatch):
    from posekit.commands import zoo

    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path))
    code, _, err = _main(capsys, "zoo", "list", "--section", "nonsense")
    assert code == 2 and "no preset's survey section contains 'nonsense'" in err
    rows = zoo.zoo_rows("regression")
    by_name = {r["name"]: r for r in rows}
    assert by_name["deeppose-r18-128x96"]["input"] == "128x96"  # H x W, as the name says
    assert (tmp_path / "zoo_counts.json").is_file()

    def fail(*a, **k):
        raise AssertionError("counted again although the model code did not change")

    import posekit.models.complexity as complexity

    monkeypatch.setattr(complexity, "measure_builder", fail)
    assert zoo.zoo_rows("regression") == rows


def test_validate_reads_a_tracks_file(tmp_path, capsys):
    recs = [{"frame_id": 0, "track_id": 1, "keypoints": [1.0, 2.0, 0.9] * 17, "score": 0.9},
            {"frame_id": 1, "track_id": [1], "keypoints": [1.0, 2.0, 0.9] * 17, "score": 0.9}]
    (tmp_path / "tracks.json").write_text(json.dumps(recs))
    code, out, _ = _main(capsys, "validate", tmp_path / "tracks.json")
    assert code == 1 and "track #1" in out and "'track_id': must be an integer" in out
    assert out.rstrip().endswith("tracks, 1 problem")
