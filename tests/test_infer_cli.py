"""`posekit infer` on good and bad inputs: one line per bad file, the batch goes on, a summary closes it."""
from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli


@pytest.fixture()
def inputs(tmp_path, shared_data):
    src = shared_data / "mmpose_tests" / "coco" / "000000000785.jpg"
    data = src.read_bytes()
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_good.jpg").write_bytes(data)
    (d / "b_garbage.jpg").write_bytes(b"this is not an image")
    (d / "c_truncated.jpg").write_bytes(data[: len(data) // 3])
    (d / "d_empty.png").write_bytes(b"")
    rgb = np.asarray(Image.open(src).convert("RGB"))
    Image.fromarray(rgb).convert("L").save(d / "e_grey.png")
    Image.fromarray(np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], 2)).save(d / "f_rgba.png")
    cv2.imwrite(str(d / "g_16bit.png"), (cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(np.ascontiguousarray(np.rot90(rgb, 1))).save(d / "h_exif.jpg", exif=exif.tobytes())
    Image.fromarray(np.zeros((700, 700, 3), np.uint8)).save(d / "i_large.png")
    return d


def test_bad_inputs_do_not_stop_the_batch(inputs, tmp_path, blazepose_cache):
    out = tmp_path / "out"
    env = {"POSEKIT_MAX_PIXELS": str(640 * 640)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        proc = run_cli("infer", inputs, "--out", out)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    err = proc.stderr
    for name, text in [("b_garbage", "unreadable"), ("c_truncated", "truncated"), ("d_empty", "empty file"),
                       ("i_large", "too large")]:
        assert sum(name in line and text in line for line in err.splitlines()) >= 1, (name, err)
    for name, note in [("e_grey", "greyscale"), ("f_rgba", "alpha dropped"), ("g_16bit", "16-bit"),
                       ("h_exif", "EXIF-rotated")]:
        assert any(name in line and note in line for line in err.splitlines()), (name, err)
    assert "5 of 9 inputs done" in err and "4 failed" in err
    ids = json.loads((out / "image_ids.json").read_text())
    assert sorted(os.path.basename(p) for p in ids) == ["a_good.jpg", "e_grey.png", "f_rgba.png", "g_16bit.png",
                                                         "h_exif.jpg"]
    results = json.loads((out / "results.json").read_text())
    by_id = {}
    for r in results:
        by_id.setdefault(r["image_id"], []).append(r)
    good = by_id[ids[str(inputs / "a_good.jpg")]][0]
    for other in ("f_rgba.png", "g_16bit.png", "h_exif.jpg"):
        # the same person at the same place: conversions and EXIF rotation are undone correctly
        r = by_id[ids[str(inputs / other)]][0]
        a, b = np.reshape(good["keypoints"], (17, 3)), np.reshape(r["keypoints"], (17, 3))
        assert np.median(np.linalg.norm(a[:, :2] - b[:, :2], axis=1)) < 5, other
    assert (out / "overlays" / "a_good.png").is_file()
    assert not list(out.rglob(".*part*"))


def test_video_input_writes_jsonl_and_overlay(shared_data, tmp_path, blazepose_cache):
    video = shared_data / "mmpose_tests" / "posetrack18" / "videos" / "000001_mpiinew_test" / "000001_mpiinew_test.mp4"
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    out = tmp_path / "out"
    proc = run_cli("infer", video, broken, "--out", out, "--max-frames", "2")
    assert proc.returncode == 1 and "broken.mp4" in proc.stderr and "Traceback" not in proc.stderr
    lines = [json.loads(line) for line in (out / "000001_mpiinew_test.jsonl").read_text().splitlines()]
    assert [line["frame_id"] for line in lines] == [0, 1]
    assert lines[0]["people"] and len(lines[0]["people"][0]["keypoints"]) == 51
    assert int(cv2.VideoCapture(str(out / "overlays" / "000001_mpiinew_test.mp4")).get(cv2.CAP_PROP_FRAME_COUNT)) == 2
    assert not (out / "broken.jsonl").exists() and not list(out.rglob(".*part*"))
