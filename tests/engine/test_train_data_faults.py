"""Training data faults (issue 12): file names outside the image folder are refused, an
undecodable image is skipped and reported, degenerate boxes are counted, and a run without
validation resumes from the command line."""
from __future__ import annotations

import shutil

from posekit.cli import main
from posekit.fileio import read_json, write_json


def _copy(coco_handful, tmp_path):
    gt, images = coco_handful
    raw = read_json(gt)
    root = tmp_path / "images"
    root.mkdir()
    for img in raw["images"]:
        shutil.copy(images / img["file_name"], root / img["file_name"])
    return raw, root


def _train(tmp_path, gt, root, *extra):
    return main(["train", "--model", "simplebaseline-r18-128x96", "--train", str(gt), "--train-images", str(root),
                 "--epochs", "1", "--batch-size", "4", "--workers", "0", "--warmup-steps", "0",
                 "--out", str(tmp_path / "run"), *extra])


def test_file_names_outside_the_image_folder_are_refused(coco_handful, tmp_path, capsys):
    raw, root = _copy(coco_handful, tmp_path)
    for bad in ("/etc/passwd", "../outside.jpg", "sub/../../outside.jpg"):
        data = dict(raw, images=[dict(raw["images"][0], file_name=bad)] + raw["images"][1:])
        write_json(tmp_path / "gt.json", data)
        assert _train(tmp_path, tmp_path / "gt.json", root) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and f"file_name {bad!r} points outside the image folder" in err
        assert f"record {raw['images'][0]['id']}" in err and "gt.json" in err


def test_an_undecodable_image_is_skipped_and_degenerate_boxes_are_counted(coco_handful, tmp_path, capsys):
    raw, root = _copy(coco_handful, tmp_path)
    anns = [dict(a) for a in raw["annotations"]]
    usable = [a for a in anns if not a["iscrowd"] and a["num_keypoints"] > 0]
    broken = next(i for i in raw["images"] if i["id"] == usable[0]["image_id"])
    (root / broken["file_name"]).write_bytes(b"not a jpeg at all")
    usable[-1]["bbox"] = [10.0, 10.0, 0.5, 40.0]
    write_json(tmp_path / "gt.json", dict(raw, annotations=anns))
    assert _train(tmp_path, tmp_path / "gt.json", root, "--no-flip-test") == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("posekit train: warning:")]
    assert any(f"1 people left out of training for a box of width or height <= 1 px (annotation ids "
               f"{usable[-1]['id']})" in w for w in warnings)
    skipped = [w for w in warnings if "skipped unreadable training image" in w]
    people_in_broken = sum(1 for a in usable[:-1] if a["image_id"] == broken["id"])
    assert people_in_broken >= 1 and 1 <= len(skipped) <= people_in_broken
    assert all(broken["file_name"] in w and "cannot read image" in w for w in skipped)
    assert "Traceback" not in captured.err and "trained 1 of 1 steps (1 epoch)" in captured.out


def test_a_run_without_validation_resumes_from_the_command_line(coco_handful, tmp_path, capsys):
    gt, images = coco_handful
    assert _train(tmp_path, gt, images, "--epochs", "1") == 0
    assert read_json(tmp_path / "run" / "last.json")["best"] is None
    assert _train(tmp_path, gt, images, "--epochs", "2", "--resume") == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out.startswith("trained 4 of 4 steps (2 epochs)") and "no validation" in out
