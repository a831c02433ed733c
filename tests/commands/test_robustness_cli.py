"""``posekit robustness``: AP of a model on the clean images equals pycocotools' AP of ``posekit infer``
on the same images; the summary follows its formulas (mAP_c the mean over conditions, rR = mAP_c /
AP_clean); corruptions are deterministic and do degrade; occluders mark covered joints v = 1; an
unreadable image is reported and left out while the rest is scored."""
import json
import shutil
from pathlib import Path

import numpy as np

from posekit.cli import main

from coco_ap import pycocotools_ap  # tests/reference

ROOT = Path(__file__).resolve().parents[2]
COCO = ROOT / "data" / "mmpose_tests" / "coco"
GT = COCO / "test_coco.json"
ARGS = ["--gt", str(GT), "--images", str(COCO), "--kinds", "occlusion", "gaussian_noise", "--severities", "1,5"]


def test_robustness_scores_clean_like_infer_and_summarises_by_the_formulas(tmp_path):
    assert main(["robustness", *ARGS, "--out", str(tmp_path / "r"), "--save-images"]) == 0
    report = json.loads((tmp_path / "r" / "robustness.json").read_text())
    assert main(["infer", str(COCO), "--gt", str(GT), "--out", str(tmp_path / "i"), "--no-overlays"]) == 0
    records = json.loads((tmp_path / "i" / "results.json").read_text())
    gt = json.loads(GT.read_text())
    assert abs(report["clean"]["AP"] - pycocotools_ap(gt, records)) < 1e-12
    rows = report["conditions"]
    assert [(r["kind"], r["severity"]) for r in rows] == [("occlusion", 1), ("occlusion", 5), ("gaussian_noise", 1),
                                                          ("gaussian_noise", 5)]
    assert abs(report["mAP_c"] - np.mean([r["AP"] for r in rows])) < 1e-12
    assert abs(report["rR"] - report["mAP_c"] / report["clean"]["AP"]) < 1e-12
    by = {(r["kind"], r["severity"]): r for r in rows}
    assert by[("occlusion", 5)]["AP"] < report["clean"]["AP"] - 0.1  # five occluders over joints hurt
    assert (tmp_path / "r" / "robustness.png").read_bytes()[:4] == b"\x89PNG"
    # occluders over joints: covered visible joints become labelled-occluded (v = 1)
    occluded = json.loads((tmp_path / "r" / "images" / "occlusion" / "5" / "annotations.json").read_text())
    ones = lambda d: sum(np.asarray(a["keypoints"]).reshape(-1, 3)[:, 2].tolist().count(1)  # noqa: E731
                         for a in d["annotations"])
    assert ones(occluded) > ones(gt)
    assert len(list((tmp_path / "r" / "images" / "gaussian_noise" / "5").glob("*.png"))) == len(gt["images"])
    # deterministic: the same seed gives the same figures
    assert main(["robustness", *ARGS, "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "robustness.json").read_text())
    assert again["conditions"] == rows


def test_an_unreadable_image_is_reported_and_the_rest_scored(tmp_path, capsys):
    images = tmp_path / "images"
    shutil.copytree(COCO, images)
    gt = json.loads(GT.read_text())
    broken = gt["images"][0]["file_name"]
    (images / broken).write_bytes(b"\xff\xd8 truncated")
    code = main(["robustness", "--gt", str(GT), "--images", str(images), "--kinds", "jpeg", "--severities", "3",
                 "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1 and broken in err and "1 images failed" in err
    report = json.loads((tmp_path / "r" / "robustness.json").read_text())
    assert report["images"] == len(gt["images"]) - 1 and len(report["failed"]) == 1
    assert 0 < report["clean"]["AP"] <= 1
