"""`posekit track` end to end on the real PoseTrack18 clip, and on a synthetic video with key frames."""
from __future__ import annotations

import json

import cv2

from tests.conftest import run_cli


def test_track_real_video(shared_data, tmp_path, blazepose_cache):
    video = shared_data / "mmpose_tests" / "posetrack18" / "videos" / "000001_mpiinew_test" / "000001_mpiinew_test.mp4"
    out = tmp_path / "out"
    proc = run_cli("track", video, "--out", out, "--smooth", "savgol", check=True)
    tracks = json.loads((out / "tracks.json").read_text())
    frames = int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT))
    assert tracks and {"frame_id", "track_id", "keypoints", "bbox", "score"} <= set(tracks[0])
    assert all(0 <= t["frame_id"] < frames and len(t["keypoints"]) == 51 for t in tracks)
    assert len({t["frame_id"] for t in tracks}) >= frames - 1  # someone tracked in (almost) every frame
    cap = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == frames
    posetrack = json.loads((out / "posetrack.json").read_text())
    assert len(posetrack["images"]) == frames
    assert "frames/s" in proc.stderr and not list(out.glob(".*part*"))


def test_track_keyframes_and_eval_track(tmp_path, blazepose_cache):
    from posekit.data.synthetic import write_videos

    write_videos(tmp_path / "syn", 1, 12, 320, 240, 2, seed=3)
    video = next((tmp_path / "syn" / "videos").glob("*.mp4"))
    out = tmp_path / "out"
    proc = run_cli("track", video, "--out", out, "--keyframe-interval", "3", check=True)
    assert "estimator on" in proc.stderr
    gt = next((tmp_path / "syn" / "posetrack").glob("*.json"))
    ev = run_cli("eval-track", "--gt", gt, "--results", out / "tracks.json", check=True)
    assert "MOTA" in ev.stdout
