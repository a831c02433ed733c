"""Video training data: PoseTrack18 / COCO video files into clips, per-person tubes under one crop
window, sparse labels every k-th frame."""
from __future__ import annotations

import json

import numpy as np
import pytest

from posekit.codecs.msra import MSRAHeatmap
from posekit.data.synthetic import make_video, write_videos
from posekit.errors import DataError
from posekit.skeletons import COCO17, POSETRACK17
from posekit.topdown.transforms import RandomAugment, apply_affine, invert_affine, normalize_image, warp
from posekit.video.clips import PersonTubes, VideoClips, clip_frames, load_videos, videos_from_scenes

CODEC = MSRAHeatmap(input_size=(48, 64), heatmap_size=(24, 32), sigma=1.5)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    write_videos(out, 2, 10, 160, 120, 3, seed=2, degrade=("camera", "occlusion"))
    return out


def test_posetrack18_files_read_into_clips(synth):
    videos = load_videos(synth / "posetrack", synth)
    assert [v.name for v in videos] == ["000000", "000001"] and all(len(v) == 10 for v in videos)
    pt = json.loads((synth / "posetrack/000001.json").read_text())
    first = min(im["id"] for im in pt["images"])
    anns = sorted((a for a in pt["annotations"] if a["image_id"] == first), key=lambda a: a["track_id"])
    s = videos[1].samples[0]
    order = np.argsort(s.track_ids)
    np.testing.assert_array_equal(s.track_ids[order], [a["track_id"] for a in anns])
    np.testing.assert_allclose(s.keypoints[order], np.array([a["keypoints"] for a in anns]).reshape(-1, 17, 3)[..., :2])
    # the COCO file with vid_id holds the same videos, in COCO's keypoint order
    coco = load_videos(synth / "annotations.json", synth / "images")
    assert [len(v) for v in coco] == [10, 10]
    both = [k for k in range(17) if COCO17.names[k] == POSETRACK17.names[k]]
    for a, b in zip(coco[1].samples, videos[1].samples):
        oa, ob = np.argsort(a.track_ids), np.argsort(b.track_ids)
        np.testing.assert_allclose(a.keypoints[oa][:, both], b.keypoints[ob][:, both])
    np.testing.assert_array_equal(videos[0].image(3), coco[0].image(3))
    clips = VideoClips(videos, length=5)
    assert len(clips) == 20
    item = clips[0]
    assert item["frames"].shape == (5, 120, 160, 3) and item["target"] == 2
    np.testing.assert_array_equal(item["frame_index"], [0, 0, 0, 1, 2])  # the first frame repeats
    np.testing.assert_array_equal(clip_frames(9, 5, 10, step=2), [5, 7, 9, 9, 9])


def test_a_file_without_video_ids_is_refused(tmp_path, shared_data):
    ann = shared_data / "coco_mini" / "annotations" / "person_keypoints_val2017.json"
    with pytest.raises(DataError, match="vid_id"):
        load_videos(ann, tmp_path)


def test_tubes_use_one_crop_window_for_all_frames():
    scenes = make_video(np.random.default_rng(4), 200, 150, 12, num_people=2, occluder_prob=0.0)
    videos = videos_from_scenes([scenes])
    tubes = PersonTubes(videos, CODEC, COCO17, length=5, step=2)
    assert len(tubes) == sum(len(s.slots) for s in scenes)
    moved = 0
    for i in range(0, len(tubes), 3):
        item = tubes[i]
        m = item["matrix"]
        assert item["image"].shape == (5, 3, 64, 48) and item["targets"].shape == (5, 17, 32, 24)
        for j, u in enumerate(item["frame_index"]):  # every frame's crop is this one window
            np.testing.assert_allclose(item["image"][j], normalize_image(warp(scenes[u].image, m, (48, 64))))
        # the window holds the person's boxes in every frame of the tube
        kp, vis, boxes = tubes.track(0, item["frame_index"], item["track_id"])
        here = boxes[:, 2] > 0
        corners = np.stack([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1)[here]
        crop = apply_affine(corners, m)
        assert (crop >= -0.5).all() and (crop[..., 0] <= 48.5).all() and (crop[..., 1] <= 64.5).all()
        # targets sit at each frame's own keypoints: decode, map back through the one window
        dec, _ = CODEC.decode(item["targets"])
        back = apply_affine(dec, invert_affine(m))
        ok = (item["target_weights"] > 0)
        err = np.linalg.norm(back - kp, axis=-1)[ok]
        assert np.median(err) < 0.6 * np.linalg.inv(m[:, :2])[0, 0] * CODEC.stride[0]
        hip = kp[here][:, 11:13].mean(1)
        moved += np.linalg.norm(hip[-1] - hip[0]) > 3  # real motion inside the tube, no re-centring
        np.testing.assert_array_equal(item["target"], item["targets"][2])
    assert moved >= 2
    aug = PersonTubes(videos, CODEC, COCO17, length=3, augment=RandomAugment(), seed=1)
    a, b = aug[0], aug[0]
    np.testing.assert_array_equal(a["image"], b["image"])  # augmentation is a function of (seed, epoch, index)


def test_sparse_labels_every_kth_frame(synth):
    videos = load_videos(synth / "posetrack", synth, label_every=3)
    for v in videos:
        np.testing.assert_array_equal(np.flatnonzero(v.labelled), [0, 3, 6, 9])
    tubes = PersonTubes(videos, CODEC, POSETRACK17, length=5)
    centres = set()
    for i in range(len(tubes)):
        item = tubes[i]
        idx = item["frame_index"]
        centres.add(int(idx[2]))
        np.testing.assert_array_equal(item["labelled"], (idx % 3 == 0) & item["present"])
        assert (item["target_weights"][~item["labelled"]] == 0).all()
        assert item["target_weight"].sum() > 0 or not item["present"][2]
    assert centres == {0, 3, 6, 9}
    with pytest.raises(ValueError, match="label_every"):
        load_videos(synth / "posetrack", synth, label_every=0)
