"""Synthetic videos: smooth tracks that enter, leave and cross; PoseTrack18, COCO-with-track_id and mp4."""
from __future__ import annotations

import json

import cv2
import numpy as np

from posekit.cli import main
from posekit.data.posetrack import load_posetrack
from posekit.data.synthetic import make_video, write_videos
from posekit.skeletons import POSETRACK17


def test_tracks_move_smoothly_enter_leave_and_cross():
    entered = left = crossed = 0
    for v in range(6):
        scenes = make_video(np.random.default_rng([1, v]), 320, 240, 60, num_people=3)
        tracks: dict[int, list] = {}
        for t, s in enumerate(scenes):
            for i, tid in enumerate(s.track_ids):
                hip = s.keypoints[i, 11:13].mean(0)
                tracks.setdefault(int(tid), []).append((t, hip, s.boxes[i, 3]))
        for tid, rows in tracks.items():
            ts = np.array([r[0] for r in rows])
            hips = np.array([r[1] for r in rows])
            step = np.linalg.norm(np.diff(hips, axis=0), axis=1)[np.diff(ts) == 1]
            assert step.max() < 12, (v, tid, step.max())  # continuous motion, no teleporting
            entered += ts[0] > 0
            left += ts[-1] < 59
        ids = sorted(tracks)
        for a in ids:
            for b in ids:
                if a < b:
                    xa = {t: h[0] for t, h, _ in tracks[a]}
                    xb = {t: h[0] for t, h, _ in tracks[b]}
                    common = sorted(set(xa) & set(xb))
                    signs = {np.sign(xa[t] - xb[t]) for t in common}
                    crossed += {-1.0, 1.0} <= signs
    assert entered >= 2 and left >= 2 and crossed >= 1


def test_video_files_posetrack_coco_and_mp4(tmp_path):
    from pycocotools.coco import COCO

    from posekit.data.validate import dataset_problems

    ann = write_videos(tmp_path / "a", 2, 12, 160, 120, 3, seed=4)
    write_videos(tmp_path / "b", 2, 12, 160, 120, 3, seed=4)
    for rel in ("annotations.json", "posetrack/000001.json", "videos/000000.mp4", "images/000001/000011.png"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    data = json.loads(ann.read_text())
    assert dataset_problems(data, str(ann)) == []
    assert len(data["images"]) == 24 and all("track_id" in a for a in data["annotations"] if not a["iscrowd"])
    COCO(str(ann))
    pt = json.loads((tmp_path / "a/posetrack/000000.json").read_text())
    assert pt["categories"][0]["keypoints"] == list(POSETRACK17.names)
    assert len(pt["images"]) == 12 and all((tmp_path / "a" / im["file_name"]).is_file() for im in pt["images"])
    # PoseTrack keypoints are COCO's except slots 1 and 2 (head_bottom, head_top), which lie on the head axis;
    # PoseTrack18 marks every labelled keypoint 1.
    checked = 0
    coco_by_key = {(a["image_id"], a["track_id"]): a for a in data["annotations"]}
    for a in pt["annotations"]:
        c = np.array(coco_by_key[(a["image_id"], a["track_id"])]["keypoints"]).reshape(17, 3)
        p = np.array(a["keypoints"]).reshape(17, 3)
        c[:, 2] = c[:, 2] > 0
        np.testing.assert_array_equal(np.delete(p, [1, 2], 0), np.delete(c, [1, 2], 0))
        if p[1, 2] and p[2, 2]:
            assert p[2, 1] < p[1, 1]  # head_top above head_bottom: these people stand upright
            checked += 1
        x, y, w, h = a["bbox_head"]
        if p[2, 2]:
            assert x <= p[2, 0] <= x + w and y - 1 <= p[2, 1] <= y + h
    assert checked > 10
    assert len(load_posetrack(tmp_path / "a/posetrack/000000.json")) == 12
    assert main(["validate", str(ann), str(tmp_path / "a/posetrack/000000.json")]) == 0
    cap = cv2.VideoCapture(str(tmp_path / "a/videos/000000.mp4"))
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 12 and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 160


def test_ground_truth_tracks_score_perfectly_and_swapped_ids_are_caught(tmp_path):
    from posekit.video.evaluate import evaluate_tracks

    write_videos(tmp_path, 1, 30, 320, 240, 3, seed=6)
    gt = tmp_path / "posetrack/000000.json"
    anns = json.loads(gt.read_text())["annotations"]
    assert len({a["track_id"] for a in anns}) >= 2
    recs = [{"image_id": a["image_id"], "track_id": a["track_id"], "bbox": a["bbox"], "score": 1.0,
             "keypoints": [x if i % 3 != 2 else float(x > 0) for i, x in enumerate(a["keypoints"])]} for a in anns]
    s = evaluate_tracks(gt, recs).summary()
    assert s["MOTA"] == 1.0 and s["IDSW"] == 0 and s["AP"] == 1.0
    frames = sorted({r["image_id"] for r in recs})
    for r in recs:  # from the middle frame on, the tracker swaps two identities
        if r["image_id"] >= frames[len(frames) // 2] and r["track_id"] in (0, 1):
            r["track_id"] = 1 - r["track_id"]
    assert evaluate_tracks(gt, recs).summary()["IDSW"] > 0
