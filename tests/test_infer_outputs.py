"""`posekit infer`: matching to ground truth, output skeletons, output folders, faults, any model."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli

PT = "mmpose_tests/posetrack18"


def _records(out):
    return json.loads((out / "results.json").read_text())


def test_same_base_name_in_sub_folders_is_matched_by_relative_path(shared_data, tmp_path, blazepose_cache):
    images, gt = shared_data / PT / "images" / "val", shared_data / PT / "annotations" / "test_posetrack18_val.json"
    out = tmp_path / "out"
    proc = run_cli("infer", images, "--gt", gt, "--detector", "gt", "--out", out)
    assert proc.returncode == 0, proc.stderr
    ids = json.loads((out / "image_ids.json").read_text())
    truth = json.loads(gt.read_text())
    by_name = {im["file_name"]: im["id"] for im in truth["images"]}
    assert len(set(ids.values())) == 3
    for path, image_id in ids.items():  # each frame gets the id of its own video's image
        rel = os.path.relpath(path, shared_data / PT)
        assert by_name[rel] == image_id
    people = [a for a in truth["annotations"] if a["num_keypoints"] > 0 and not a.get("iscrowd")]
    assert len(_records(out)) == len(people) == 14
    overlays = sorted(p.relative_to(out / "overlays").as_posix() for p in (out / "overlays").rglob("*.png"))
    assert overlays == sorted(f"{v}/000000.png" for v in ("003418_mpii_test", "009473_mpii_test", "012834_mpii_test"))


def test_ambiguous_name_is_refused_in_one_line(shared_data, tmp_path, blazepose_cache):
    gt = shared_data / PT / "annotations" / "test_posetrack18_val.json"
    one = tmp_path / "000000.jpg"  # no folder says which of the three videos' frame 0 it is
    shutil.copy(shared_data / PT / "images" / "val" / "003418_mpii_test" / "000000.jpg", one)
    proc = run_cli("infer", one, "--gt", gt, "--out", tmp_path / "out")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert any("matches 3 ground-truth images" in line for line in proc.stderr.splitlines()), proc.stderr


def test_detections_without_gt_warn(shared_data, tmp_path, blazepose_cache):
    image = shared_data / "mmpose_tests" / "coco" / "000000000785.jpg"
    dets = tmp_path / "dets.json"
    dets.write_text(json.dumps([{"image_id": 785, "category_id": 1, "bbox": [280, 40, 220, 340], "score": 0.9}]))
    proc = run_cli("infer", image, "--detector", dets, "--out", tmp_path / "out")
    assert proc.returncode == 0
    assert any("no boxes for image_id 1" in line and "--gt" in line for line in proc.stderr.splitlines()), proc.stderr
    gt = shared_data / "mmpose_tests" / "coco" / "test_coco.json"
    proc = run_cli("infer", image, "--detector", dets, "--gt", gt, "--out", tmp_path / "out2")
    assert proc.returncode == 0 and "no boxes" not in proc.stderr
    assert len(_records(tmp_path / "out2")) == 1


@pytest.mark.parametrize("flag, expected", [(("--skeleton", "blazepose33"), 33), (("--skeleton", "crowdpose14"), 14),
                                            ((), 17)])
def test_output_skeletons(shared_data, tmp_path, blazepose_cache, flag, expected):
    image = shared_data / "mmpose_tests" / "coco" / "000000000785.jpg"
    out = tmp_path / "out"
    proc = run_cli("infer", image, "--out", out, "--no-overlays", *flag)
    assert proc.returncode == 0, proc.stderr
    rec = _records(out)[0]
    assert len(rec["keypoints"]) == 3 * expected
    info = json.loads((out / "info.json").read_text())
    assert len(info["keypoint_names"]) == expected
    if expected == 14:  # CrowdPose's head and neck have no BlazePose counterpart: score 0
        kp = np.reshape(rec["keypoints"], (14, 3))
        for name in ("head", "neck"):
            assert kp[info["keypoint_names"].index(name), 2] == 0


def test_gt_skeleton_is_used_and_scores(shared_data, tmp_path, blazepose_cache):
    gt = shared_data / "mmpose_tests" / "crowdpose" / "test_crowdpose.json"
    images = tmp_path / "crowd"
    images.mkdir()
    for im in json.loads(gt.read_text())["images"]:
        shutil.copy(shared_data / "mmpose_tests" / "crowdpose" / im["file_name"], images)
    out = tmp_path / "out"
    assert run_cli("infer", images, "--gt", gt, "--out", out, "--no-overlays").returncode == 0
    assert all(len(r["keypoints"]) == 42 for r in _records(out))
    ev = run_cli("eval", "--gt", gt, "--results", out / "results.json")
    assert ev.returncode == 0 and "Traceback" not in ev.stderr, ev.stderr


def test_untrained_preset_is_refused(shared_data, tmp_path):
    proc = run_cli("infer", shared_data / "mmpose_tests" / "coco" / "000000000785.jpg", "--model",
                   "simplebaseline-r18-128x96", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "no trained weights" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_trained_checkpoint_on_raw_images_equals_dataset_inference(shared_data, tmp_path):
    """A checkpoint through `infer --model` gives the keypoints the dataset path gives on the same boxes."""
    import posekit
    from posekit.data.coco import load_coco
    from posekit.engine.checkpoint import save_weights
    from posekit.engine.trainer import seed_everything
    from posekit.topdown.inference import predict_coco
    from posekit.zoo import build_model

    seed_everything(0)
    model = build_model("simplebaseline-r18-128x96").eval()
    ckpt = tmp_path / "run" / "best.safetensors"
    ckpt.parent.mkdir()
    save_weights(model, ckpt)
    gt_path = shared_data / "mmpose_tests" / "coco" / "test_coco.json"
    gt = load_coco(gt_path)
    expected = predict_coco(model, gt, shared_data / "mmpose_tests" / "coco", flip=False, progress=False)
    out = tmp_path / "out"
    proc = run_cli("infer", shared_data / "mmpose_tests" / "coco", "--model", ckpt.parent, "--detector", "gt",
                   "--gt", gt_path, "--out", out, "--no-overlays")
    assert proc.returncode == 0, proc.stderr
    got = _records(out)
    assert len(got) == len(expected)
    key = lambda r: (r["image_id"], tuple(np.round(r["bbox"], 1)))  # noqa: E731
    for a, b in zip(sorted(got, key=key), sorted(expected, key=key)):
        assert np.allclose(a["keypoints"], b["keypoints"], atol=0.01)
    est = posekit.load(str(ckpt), detector="gt", gt=gt)
    people = est(shared_data / "mmpose_tests" / "coco" / "000000000785.jpg")
    assert people == [] or people[0].keypoints.shape == (1, 17, 2)  # the API path: no image id, no gt boxes
    result = est.predict(shared_data / "mmpose_tests" / "coco" / "000000000785.jpg", image_id=785)
    assert len(result) == sum(1 for r in expected if r["image_id"] == 785) and result.image_id == 785


def test_output_folder_rules(shared_data, tmp_path, blazepose_cache):
    from posekit.data.outputs import OutputFolder

    src = shared_data / "mmpose_tests" / "coco" / "000000000785.jpg"
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(src, d / "a.jpg")
    shutil.copy(src, d / "b.jpg")
    out = tmp_path / "out"
    assert run_cli("infer", d, "--out", out).returncode == 0
    (out / "notes.txt").write_text("mine")
    (out / ".results.json.x1.part").write_bytes(b"stale")
    (d / "b.jpg").unlink()
    assert run_cli("infer", d, "--out", out).returncode == 0
    assert (out / "overlays" / "a.png").is_file() and not (out / "overlays" / "b.png").exists()  # stale output removed
    assert (out / "notes.txt").read_text() == "mine"  # never another file
    assert not list(out.rglob(".*.part"))
    with OutputFolder(out, "infer"):  # a second writer is refused in one line
        proc = run_cli("infer", d, "--out", out)
    assert proc.returncode == 2 and "another posekit run" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("infer", d, "--out", blocker / "sub")
    assert proc.returncode == 2 and "cannot write the output folder" in proc.stderr and "Traceback" not in proc.stderr


def test_bomb_gif_links_and_fifo(shared_data, tmp_path, blazepose_cache):
    from PIL import Image

    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(shared_data / "mmpose_tests" / "coco" / "000000000785.jpg", d / "a.jpg")
    Image.new("L", (14000, 14000)).save(d / "bomb.png")  # ~190 KB, 196 MP
    Image.open(d / "a.jpg").save(d / "c.gif")
    (d / "readme.txt").write_text("not an image")
    os.symlink(d / "missing.jpg", d / "dangling.jpg")
    os.symlink(d / "loop.jpg", d / "loop.jpg")
    os.mkfifo(d / "pipe.jpg")
    out = tmp_path / "out"
    proc = run_cli("infer", d, "--out", out, "--no-overlays")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    err = proc.stderr.splitlines()
    assert any("bomb.png" in line and "too large" in line for line in err)
    for name, why in [("readme.txt", "not an image or video"), ("dangling.jpg", "broken symbolic link"),
                      ("loop.jpg", "symbolic link loop"), ("pipe.jpg", "FIFO")]:
        assert any("skipped" in line and name in line and why in line for line in err), (name, proc.stderr)
    ids = json.loads((out / "image_ids.json").read_text())
    assert sorted(os.path.basename(p) for p in ids) == ["a.jpg", "c.gif"]


def test_killed_run_resumes_without_loss_or_duplicates(shared_data, tmp_path, blazepose_cache):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(8):
        shutil.copy(shared_data / "mmpose_tests" / "coco" / "000000000785.jpg", d / f"{i:02d}.jpg")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "posekit", "infer", str(d), "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / ".infer.journal.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not journal.exists() or journal.read_bytes().count(b"\n") < 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = journal.read_bytes().count(b"\n")
    assert 2 <= done < 8 and not (out / "results.json").exists()
    resumed = run_cli("infer", d, "--out", out, "--resume")
    assert resumed.returncode == 0 and f"{done} resumed" in resumed.stderr, resumed.stderr
    ids = json.loads((out / "image_ids.json").read_text())
    records = _records(out)
    assert len(ids) == 8 and sorted({r["image_id"] for r in records}) == sorted(ids.values())
    assert len(records) == len({(r["image_id"], tuple(r["keypoints"])) for r in records})  # no duplicates
    assert not journal.exists()


def test_crops_boxes_and_video_codec_line(shared_data, tmp_path, blazepose_cache):
    import cv2

    image = shared_data / "mmpose_tests" / "coco" / "000000000785.jpg"
    video = shared_data / PT / "videos" / "000001_mpiinew_test" / "000001_mpiinew_test.mp4"
    out = tmp_path / "out"
    proc = run_cli("infer", image, video, "--out", out, "--save-crops", "--draw-boxes", "--max-frames", "2")
    assert proc.returncode == 0, proc.stderr
    rec = _records(out)[0]
    crop = cv2.imread(str(out / "crops" / "000000000785_00.jpg"))
    x, y, w, h = rec["bbox"]
    assert abs(crop.shape[1] - w) <= 2 and abs(crop.shape[0] - h) <= 2
    assert any("videos" in line and ("H.264" in line or "mp4v" in line) for line in proc.stderr.splitlines())
    plain = tmp_path / "plain"
    assert run_cli("infer", image, "--out", plain).returncode == 0
    a, b = cv2.imread(str(out / "overlays" / "000000000785.png")), cv2.imread(str(plain / "overlays" / "000000000785.png"))
    x0, y0 = int(x), int(y)
    changed = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 0
    assert changed[y0, x0 + 20:x0 + int(w) - 20].mean() > 0.9  # the box's top edge is drawn
    assert not changed[:max(y0 - 20, 0)].any()                 # nothing else above the box
    assert (os.stat(out / "overlays" / "000001_mpiinew_test.mp4").st_mode & 0o777) == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_limbs_with_an_end_outside_the_image_are_not_drawn():
    from posekit.structures import PoseResult
    from posekit.visualize import draw_poses

    image = np.zeros((100, 100, 3), np.uint8)
    kp = np.full((1, 17, 2), 50.0)
    kp[0, 5] = (20, 20)       # left shoulder inside
    kp[0, 7] = (-400, 20)     # left elbow far outside: the shoulder-elbow limb is not drawn
    scores = np.zeros((1, 17))
    scores[0, [5, 7]] = 1
    drawn = draw_poses(image, PoseResult(0, kp, scores, np.ones(1)), 0.5)
    assert drawn[20, :15].max() == 0  # nothing between the shoulder and the left border
    assert drawn[20, 20].max() > 0    # the shoulder itself is drawn
    kp[0, 7] = (0, 20)
    drawn = draw_poses(image, PoseResult(0, kp, scores, np.ones(1)), 0.5)
    assert drawn[20, 5:15].max() > 0  # inside: the limb is drawn
