"""Video degradations of synthetic videos: blur follows limb speed, camera motion carries the ground
truth with the image, occlusions hide people completely and say so, defocus drifts over time."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from posekit.cli import main
from posekit.data.synthetic import make_video, write_videos
from posekit.data.synthetic.background import background
from posekit.data.synthetic.body import sample_body, sample_pose
from posekit.data.synthetic.render import PART_BITS, pose_figures, sample_looks
from posekit.data.synthetic.scene import Person, compose
from posekit.data.synthetic.video_degrade import (PART_POINTS, DegradationLog, camera_motion, defocus, degrade_video,
                                                  disc_kernel, line_kernel, motion_blur, occlusions, parse_kinds,
                                                  part_velocities)


def _translating(step, frames=3, size=(160, 120)):
    """One person moving by ``step`` (2,) px per frame over a fixed background."""
    rng = np.random.default_rng(5)
    body, pose = sample_body(rng, 1), sample_pose(rng, 1, 0.5)
    look = sample_looks(rng, 1)[0]
    bg = background(rng, size[1], size[0])
    scenes = []
    for t in range(frames):
        fig = pose_figures(body, pose, np.array([0.3]), np.zeros(1), np.array([80.0]),
                           np.array([[60.0, 60.0]]) + t * np.asarray(step, float))[0]
        scenes.append(compose(bg.copy(), [Person(fig, look, track_id=7)]))
    return scenes


def test_part_velocity_is_the_central_difference_of_its_points():
    scenes = _translating((3.0, 4.0))
    figs = [s.figures[0] for s in scenes]
    v = part_velocities(figs[0], figs[1], figs[2])
    assert set(v) == set(PART_POINTS)
    for vel in v.values():
        np.testing.assert_allclose(vel, [3.0, 4.0], atol=1e-9)
    # one moving joint: the left wrist moves 6 px right in the next frame only
    nxt = copy.deepcopy(figs[1])
    wrist = 9 + 0  # POINTS index of left_wrist equals COCO's (9)
    nxt.xy[wrist] += [6.0, 0.0]
    v = part_velocities(figs[1], figs[1], nxt)
    forearm, hand, torso = v[6], v[7], v[1]  # render's part ids: left forearm (elbow-wrist), left hand, torso
    np.testing.assert_allclose(forearm, [1.5, 0.0])  # mean of two points moves 3 px over 2 frames
    np.testing.assert_allclose(hand, [1.5, 0.0])
    np.testing.assert_allclose(torso, [0.0, 0.0])
    # ends of a track: one-sided differences
    np.testing.assert_allclose(part_velocities(None, figs[0], figs[1])[1], [3.0, 4.0], atol=1e-9)


def test_line_kernel_has_the_requested_length_and_direction():
    for length, angle in ((4.0, 0.0), (9.0, np.pi / 2), (6.0, np.pi / 4)):
        k = line_kernel(length, angle).astype(np.float64)
        assert k.sum() == pytest.approx(1.0, abs=1e-6)
        yy, xx = np.mgrid[:k.shape[0], :k.shape[1]] - k.shape[0] // 2
        along = xx * np.cos(angle) + yy * np.sin(angle)
        across = -xx * np.sin(angle) + yy * np.cos(angle)
        # a uniform segment of length L has variance L^2 / 12 along it (plus 1/6 from the bilinear
        # splat), next to nothing across it
        assert (k * along ** 2).sum() == pytest.approx(length ** 2 / 12 + 1 / 6, abs=0.08)
        assert (k * across ** 2).sum() < 0.35
        assert abs((k * along).sum()) < 1e-6


def test_motion_blur_length_is_exposure_times_limb_speed_and_smears_along_the_motion():
    scenes = _translating((5.0, 0.0))
    sharp = [s.image.copy() for s in scenes]
    log = DegradationLog()
    motion_blur(scenes, np.random.default_rng(0), exposure=(0.8, 0.8), fraction=1.0, burst=(3, 3), log=log)
    blur = [e for e in log.events if e["kind"] == "blur"]
    assert [e["frame"] for e in blur] == [0, 1, 2] and {e["track_id"] for e in blur} == {7}
    for e in blur:
        assert e["amount"] == pytest.approx(0.8 * 5.0)  # every part moves at 5 px / frame
    img, ref = scenes[1].image.astype(float), sharp[1].astype(float)
    person = scenes[1].labels // PART_BITS == scenes[1].slots[0]
    ys, xs = np.nonzero(person)
    far = np.ones_like(person)
    far[max(ys.min() - 4, 0):ys.max() + 5, max(xs.min() - 4, 0):xs.max() + 5] = False
    assert np.array_equal(img[far], ref[far])  # nothing changes away from the person
    gx = lambda a: np.abs(np.diff(a, axis=1))[person[:, 1:]].mean()  # noqa: E731
    gy = lambda a: np.abs(np.diff(a, axis=0))[person[1:]].mean()  # noqa: E731
    assert gx(img) / gx(ref) < 0.75 * gy(img) / gy(ref)  # horizontal motion smears horizontal detail most
    # ground truth untouched
    again = _translating((5.0, 0.0))
    for a, b in zip(scenes, again):
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        np.testing.assert_array_equal(a.visibility, b.visibility)


def test_camera_motion_moves_ground_truth_exactly_with_the_image():
    scenes = make_video(np.random.default_rng(3), 200, 150, 8, num_people=2, occluder_prob=0.0)
    before = copy.deepcopy(scenes)
    # a white Gaussian blob centred exactly on one keypoint (COCO convention: pixel centres at +0.5)
    target = before[4].keypoints[0, 5]
    yy, xx = np.mgrid[:150, :200] + 0.5
    blob = np.exp(-((xx - target[0]) ** 2 + (yy - target[1]) ** 2) / (2 * 2.0 ** 2))
    scenes[4].image[:] = (255 * blob[..., None]).astype(np.uint8)
    mats = camera_motion(scenes, np.random.default_rng(1), zoom=1.2)
    assert len({tuple(m[:, 2].round(3)) for m in mats}) > 4  # the camera moves
    for t, (s, b, m) in enumerate(zip(scenes, before, mats)):
        keep = [list(b.track_ids).index(tid) for tid in s.track_ids]
        np.testing.assert_allclose(s.keypoints, b.keypoints[keep] @ m[:, :2].T + m[:, 2], atol=1e-9)
        x, y = s.keypoints[..., 0], s.keypoints[..., 1]
        inside = (x >= 0) & (y >= 0) & (x < 200) & (y < 150)
        assert np.all(s.visibility[~inside] == 0)
        assert np.array_equal(s.visibility[inside] > 0, b.visibility[keep][inside] > 0)
        # a keypoint seen (v = 2) lies on its own person's pixels in the moved label map (all of them
        # before the move, by construction; a few on a silhouette's edge resample onto a neighbour)
        seen = s.visibility == 2
        iy, ix = np.floor(y[seen]).astype(int), np.floor(x[seen]).astype(int)
        owner = np.broadcast_to(s.slots[:, None], seen.shape)[seen]
        assert np.mean(s.labels[iy, ix] // PART_BITS == owner) > 0.9
        for i in range(len(s.slots)):  # boxes hold the moved visible mask
            ys, xs = np.nonzero(s.mask(i))
            np.testing.assert_allclose(s.boxes[i], [xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                                                    ys.max() + 1 - ys.min()])
    moved = scenes[4].keypoints[0, 5]
    img = scenes[4].image[..., 0].astype(float)
    yy, xx = np.mgrid[:150, :200] + 0.5
    win = (np.abs(xx - moved[0]) < 12) & (np.abs(yy - moved[1]) < 12)
    centroid = np.array([(img * xx)[win].sum(), (img * yy)[win].sum()]) / img[win].sum()
    np.testing.assert_allclose(centroid, moved, atol=0.1)


def test_occlusions_hide_the_person_completely_and_are_recorded():
    scenes = make_video(np.random.default_rng(2), 240, 180, 30, num_people=2, occluder_prob=0.0)
    before = copy.deepcopy(scenes)
    log = DegradationLog()
    events = occlusions(scenes, np.random.default_rng(4), rate=2.0, length=(2, 4), log=log)
    assert events
    hit = {(e["frame"], e["track_id"]) for e in log.events if e["amount"] == 1.0}
    for first, tid, (x0, y0, x1, y1) in events:
        assert (first, tid) in hit
    for t, (s, b) in enumerate(zip(scenes, before)):
        np.testing.assert_array_equal(s.keypoints, b.keypoints)  # positions stay exact
        for i, tid in enumerate(s.track_ids):
            if (t, int(tid)) in hit:
                assert not (s.visibility[i] == 2).any()
                np.testing.assert_array_equal(s.visibility[i] > 0, b.visibility[i] > 0)  # labelled, hidden
                assert not (s.labels // PART_BITS == s.slots[i]).any()  # not a pixel of them is left
                assert log.degraded(t, int(tid))
        if t not in {e["frame"] for e in log.events}:
            np.testing.assert_array_equal(s.image, b.image)
    assert any(not log.degraded(t, int(tid)) for t, s in enumerate(scenes) for tid in s.track_ids)


def test_defocus_varies_over_time_and_only_touches_its_frames():
    scenes = make_video(np.random.default_rng(1), 160, 120, 40, num_people=1)
    sharp = [s.image.copy() for s in scenes]
    log = DegradationLog()
    radius = defocus(scenes, np.random.default_rng(0), rate=4.0, max_radius=4.0, log=log)
    assert radius.max() > 1.5 and radius.min() == 0.0 and len(np.unique(radius.round(2))) > 5
    assert np.abs(np.diff(radius)).max() < 2.5  # a focus drift, not a flicker
    blurred = [e["frame"] for e in log.events]
    assert blurred == list(np.flatnonzero(radius >= 1.0))
    for t, (s, ref) in enumerate(zip(scenes, sharp)):
        assert np.array_equal(s.image, ref) == (t not in blurred)
    k = disc_kernel(3.0)
    assert k.shape == (7, 7) and k.sum() == pytest.approx(1.0, abs=1e-6) and k[3, 0] > 0 and k[0, 0] == 0


def test_each_kind_draws_its_own_stream():
    a = make_video(np.random.default_rng(9), 160, 120, 20, 2)
    b = copy.deepcopy(a)
    la = degrade_video(a, np.random.default_rng(3), ("occlusion",))
    lb = degrade_video(b, np.random.default_rng(3), ("occlusion", "defocus"))
    assert [e for e in la.events] == [e for e in lb.events if e["kind"] == "occlusion"]
    assert parse_kinds("blur, camera") == ("blur", "camera")
    with pytest.raises(ValueError, match="sharpen"):
        parse_kinds("blur,sharpen")


def test_synth_degrade_writes_the_log_and_consistent_annotations(tmp_path, capsys):
    args = ["synth", "--video", "--videos", "2", "--frames", "16", "--size", "160x120", "--quiet"]
    assert main(args + ["--out", str(tmp_path / "a"), "--degrade", "blur,defocus,occlusion,camera"]) == 0
    assert main(args + ["--out", str(tmp_path / "b"), "--degrade", "blur,defocus,occlusion,camera"]) == 0
    assert main(args + ["--out", str(tmp_path / "c")]) == 0
    for rel in ("annotations.json", "degradations/000001.json", "images/000001/000007.png"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    frame = "images/000000/000003.png"
    assert (tmp_path / "a" / frame).read_bytes() != (tmp_path / "c" / frame).read_bytes()
    assert not (tmp_path / "c/degradations").exists()
    assert main(["validate", str(tmp_path / "a/annotations.json"), str(tmp_path / "a/posetrack/000000.json")]) == 0
    data = json.loads((tmp_path / "a/annotations.json").read_text())
    anns = {(a["image_id"], a["track_id"]): np.array(a["keypoints"]).reshape(17, 3) for a in data["annotations"]}
    kinds = set()
    for v in range(2):
        log = json.loads((tmp_path / f"a/degradations/{v:06d}.json").read_text())
        kinds |= {e["kind"] for e in log["events"]}
        for e in log["events"]:
            if e["kind"] == "occlusion" and e["amount"] == 1.0:
                assert not (anns[(e["image_id"], e["track_id"])][:, 2] == 2).any()
    assert kinds == {"blur", "defocus", "occlusion", "camera"}
    capsys.readouterr()
    for bad in (["--degrade", "sharpen"], ["--degrade", ","]):
        assert main(args + ["--out", str(tmp_path / "d")] + bad) == 2
        assert "--degrade" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "e"), "--num-images", "1", "--degrade", "blur"]) == 2
    assert "needs --video" in capsys.readouterr().err
