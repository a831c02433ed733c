"""Person-level tracking figures on hand-made sequences, and the tracker's backfill of early frames."""
import numpy as np

from posekit.structures import PoseResult
from posekit.video.person_metrics import person_track_stats
from posekit.video.tracking import PoseTracker, TrackerConfig

A, B = [0, 0, 10, 20], [100, 0, 10, 20]


def test_recall_switches_and_tracks_by_hand():
    gt = [([1, 2], [A, B])] * 4
    pred = [([7, 8], [A, B]),            # both found
            ([8, 7], [A, B]),            # ids swapped: one switch each
            ([8], [A]),                  # person 2 missed
            ([8, -1], [A, B])]           # an unconfirmed pose does not count
    s = person_track_stats(gt, pred)
    assert s.person_frames == 8 and s.matched == 6 and np.isclose(s.recall, 6 / 8)
    assert s.switches == {1: 1, 2: 1} and s.tracks == 2 and s.people == 2
    shifted = [([1], [A])], [([3], [[6, 0, 10, 20]])]  # IoU 4*20 / (2*200 - 80) = 0.25 < 0.5
    assert person_track_stats(*shifted).matched == 0
    assert person_track_stats(*shifted, iou=0.2).matched == 1


def _pose(x):
    kp = np.stack([np.linspace(x, x + 10, 17), np.linspace(0, 40, 17)], 1)[None]
    return kp


def test_tracker_gives_early_frames_their_ids():
    frames = [PoseResult(image_id=t, keypoints=_pose(5.0 * t), keypoint_scores=np.ones((1, 17)), scores=np.ones(1))
              for t in range(4)]
    out = PoseTracker(TrackerConfig(min_hits=3)).run(frames)
    assert [int(r.track_ids[0]) for r in out] == [0, 0, 0, 0]  # frames 0 and 1 came before confirmation
