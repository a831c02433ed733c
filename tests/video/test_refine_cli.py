"""`posekit train-refiner` and `posekit track --refine-tracks` end to end on a tiny synthetic video."""
from __future__ import annotations

import json

import numpy as np

from tests.conftest import run_cli


def _by_track(records):
    out = {}
    for r in sorted(records, key=lambda r: r["frame_id"]):
        out.setdefault(r["track_id"], []).append(r)
    return out


def test_train_refiner_then_track_with_it(tmp_path, blazepose_cache):
    """The refined tracks.json is the unrefined run's tracks put through the saved refiner, track by
    track (the records' 2-decimal rounding aside); a folder that holds no refiner is one line."""
    from posekit.data.synthetic import write_videos
    from posekit.video.tracklet_refine import load_refiner, refine_track

    run = tmp_path / "refiner"
    proc = run_cli("train-refiner", "--out", run, "--steps", 30, "--clips", 8, "--channels", 16, check=True)
    assert "held-out tracks" in proc.stderr and (run / "refiner.json").exists()
    write_videos(tmp_path / "syn", 1, 12, 320, 240, 2, seed=3)
    video = next((tmp_path / "syn" / "videos").glob("*.mp4"))
    plain, refined = tmp_path / "plain", tmp_path / "refined"
    run_cli("track", video, "--out", plain, "--smooth", "none", "--no-overlay", check=True)
    proc = run_cli("track", video, "--out", refined, "--refine-tracks", run, check=True)
    assert "tracks refined" in proc.stderr and "no smoothing" in proc.stderr  # --smooth defaults to none
    assert (refined / "overlay.mp4").exists()
    model = load_refiner(run)
    before = _by_track(json.loads((plain / "tracks.json").read_text()))
    after = _by_track(json.loads((refined / "tracks.json").read_text()))
    assert before and before.keys() == after.keys()
    moved = 0.0
    for tid, recs in before.items():
        frames = [r["frame_id"] for r in recs]
        assert frames == list(range(frames[0], frames[0] + len(frames)))  # one run of frames
        kp = np.array([r["keypoints"] for r in recs]).reshape(len(recs), 17, 3)
        want = refine_track(model, kp[..., :2], kp[..., 2], np.array([r["bbox"] for r in recs]))
        got = np.array([r["keypoints"] for r in after[tid]]).reshape(len(recs), 17, 3)
        np.testing.assert_allclose(got[..., :2], want, atol=0.05)
        moved = max(moved, np.abs(got[..., :2] - kp[..., :2]).max())
    assert moved > 0.1
    posetrack = json.loads((refined / "posetrack.json").read_text())
    assert len(posetrack["images"]) == 12
    info = json.loads((refined / "info.json").read_text())
    assert info["refiner"] == str(run) and info["smooth"] == "none"

    bad = run_cli("track", video, "--out", tmp_path / "bad", "--refine-tracks", tmp_path / "syn")
    assert bad.returncode == 2 and "not a tracklet refiner run" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    wrong = run_cli("track", video, "--out", tmp_path / "wrong", "--refine-tracks", run, "--skeleton", "posetrack17")
    assert wrong.returncode == 2 and "trained for coco17" in wrong.stderr
