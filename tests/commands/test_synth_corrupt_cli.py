"""``posekit synth`` and ``posekit corrupt`` from the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from posekit.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_synth_writes_a_coco_dataset_with_preview(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["synth", "--num-images", "5", "--size", "160x120", "--max-people", "3", "--seed", "2",
                 "--out", str(out), "--preview", "--quiet"]) == 0
    data = json.loads((out / "annotations.json").read_text())
    assert [im["file_name"] for im in data["images"]] == [f"{i:06d}.png" for i in range(5)]
    for im in data["images"]:
        assert cv2.imread(str(out / "images" / im["file_name"])).shape == (120, 160, 3)
    assert cv2.imread(str(out / "preview.png")) is not None
    assert "wrote 5 images (160x120)" in capsys.readouterr().out


def test_synth_crops_and_video(tmp_path):
    assert main(["synth", "--crops", "--num-images", "3", "--size", "96x128", "--out", str(tmp_path / "c"),
                 "--quiet"]) == 0
    data = json.loads((tmp_path / "c/annotations.json").read_text())
    assert len(data["images"]) == 3 and all(im["width"] == 96 and im["height"] == 128 for im in data["images"])
    assert main(["synth", "--video", "--frames", "6", "--size", "128x96", "--out", str(tmp_path / "v"),
                 "--quiet"]) == 0
    assert (tmp_path / "v/videos/000000.mp4").is_file() and (tmp_path / "v/posetrack/000000.json").is_file()


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["synth", "--video", "--crops", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["corrupt", "--kind", "jpeg", str(tmp_path / "missing.png"), str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "missing.png" in err and err.count("\n") == 1


def test_corrupt_an_image_a_folder_and_a_synthetic_dataset(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    assert main(["corrupt", "--kind", "defocus_blur", "--severity", "5", str(tmp_path / "a.png"),
                 str(tmp_path / "b.png"), "--quiet"]) == 0
    blurred = cv2.imread(str(tmp_path / "b.png"))
    assert blurred.shape == img.shape and blurred.std() < img.std() / 2

    ds = tmp_path / "ds"
    main(["synth", "--num-images", "4", "--size", "160x120", "--out", str(ds), "--quiet", "--seed", "1"])
    (ds / "images/000003.png").write_bytes(b"broken")
    assert main(["corrupt", "--kind", "occlusion", "--severity", "5", str(ds), str(tmp_path / "occ"),
                 "--quiet"]) == 2  # goes on past the broken image and reports it
    data = json.loads((tmp_path / "occ/annotations.json").read_text())
    assert data["info"]["corruption"] == {"kind": "occlusion", "severity": 5, "seed": 0}
    assert sorted(p.name for p in (tmp_path / "occ/images").iterdir()) == ["000000.png", "000001.png", "000002.png"]


def test_importing_the_generator_does_not_import_torch():
    code = ("import sys, posekit.data.synthetic, posekit.data.corruptions, posekit.commands.synth; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
