"""Following new tracks backwards and keeping followed people at detection frames, on hand-made
sequences whose truth is known frame by frame, and on synthetic clips through BlazePose + SSD."""
import numpy as np

from posekit.structures import PoseResult
from posekit.video.pipeline import TrackingOptions, add_new_people, track_frames


def _person(x: float, y: float = 0.0) -> np.ndarray:
    return np.stack([np.linspace(x, x + 20, 17), np.linspace(y, y + 60, 17)], 1)


def _result(t: int, xs: list[float]) -> PoseResult:
    kp = np.stack([_person(x) for x in xs]) if xs else np.zeros((0, 17, 2))
    return PoseResult(image_id=t, keypoints=kp, keypoint_scores=np.ones((len(xs), 17)), scores=np.ones(len(xs)))


class World:
    """Person A stands at x = 0, always found. Person B walks right 3 px a frame from frame ``b_from``
    on; the detector sees B only from frame ``b_seen``; following finds a person from the previous
    pose if one is within 10 px of it in the frame asked."""

    def __init__(self, b_from: int, b_seen: int, frames: int = 16):
        self.b_from, self.b_seen, self.frames = b_from, b_seen, frames
        self.follow_calls: list[int] = []

    def truth(self, t: int) -> list[float]:
        return [0.0] + ([100.0 + 3 * t] if t >= self.b_from else [])

    def estimate(self, frame, t):
        return _result(t, [x for x in self.truth(t) if x == 0.0 or t >= self.b_seen])

    def follow(self, frame, t, previous):
        self.follow_calls.append(t)
        xs = [x for x in self.truth(t) for p in previous.keypoints if abs(x - p[0, 0]) <= 10]
        return _result(t, sorted(set(xs)))


def _ids_of_b(out, b_from):
    return [next((int(i) for kp, i in zip(r.keypoints, r.track_ids) if kp[0, 0] >= 100), None) for r in out]


def test_a_track_found_late_is_followed_back_to_where_the_person_appears():
    w = World(b_from=3, b_seen=9)
    options = TrackingOptions(smooth="none", detect_interval=1, backtrack=24)
    out, runs = track_frames([np.zeros(1)] * w.frames, w.estimate, options, w.follow)
    ids = _ids_of_b(out, 3)
    # B is tracked from 9 (its first two detections confirm it, backfilled to 9); frames 3-8 recovered
    # backwards, 0-2 not (B is not there: following finds nobody and stops)
    assert ids[:3] == [None] * 3 and len(set(ids[3:])) == 1 and ids[3] is not None
    assert all(abs(r.keypoints[r.track_ids == ids[3]][0, 0, 0] - (100 + 3 * t)) < 1e-9 for t, r in enumerate(out)
               if t >= 3)
    back_calls = [t for t in w.follow_calls if t < 9]
    assert sorted(back_calls) == [2, 3, 4, 5, 6, 7, 8] and runs == w.frames + len(back_calls)
    without, _ = track_frames([np.zeros(1)] * w.frames, w.estimate, TrackingOptions(smooth="none"), w.follow)
    assert _ids_of_b(without, 3)[:9] == [None] * 9


def test_backtracking_is_bounded_and_stops_at_someone_already_there():
    w = World(b_from=0, b_seen=12)
    out, _ = track_frames([np.zeros(1)] * w.frames, w.estimate, TrackingOptions(smooth="none", backtrack=5),
                          w.follow)
    ids = _ids_of_b(out, 0)
    # B is confirmed at frame 13 (its second detection): the frames kept then are 8-13
    assert ids[:8] == [None] * 8 and all(i is not None for i in ids[8:])

    class Crowded(World):  # at frame 6 a third person stands where B's back-followed pose lands
        def estimate(self, frame, t):
            r = super().estimate(frame, t)
            return _result(t, [x for x in self.truth(t) if x == 0.0 or t >= self.b_seen] + ([118.0] if t == 6 else []))

    c = Crowded(b_from=0, b_seen=12)
    out, _ = track_frames([np.zeros(1)] * c.frames, c.estimate, TrackingOptions(smooth="none", backtrack=24),
                          c.follow)
    b = _ids_of_b(out, 0)[12]
    frames_with_b = [t for t, r in enumerate(out) if b in r.track_ids.tolist()]
    assert frames_with_b == list(range(7, 16))  # 118 at frame 6 overlaps B's 118: stop there


def test_a_detection_frame_keeps_the_followed_people_and_adds_new_ones():
    kept = _result(0, [0.0, 100.0])
    found = _result(0, [2.0, 300.0, 101.0])  # two near the followed people, one new
    merged = add_new_people(kept, found)
    assert sorted(merged.keypoints[:, 0, 0].tolist()) == [0.0, 100.0, 300.0]
    assert merged.track_ids is None and len(merged.scores) == 3 and merged.boxes.shape == (3, 4)
    assert add_new_people(_result(0, []), found) is found

    class Drifting(World):  # the detector's pose of A is 15 px off on detection frames
        def estimate(self, frame, t):
            return _result(t, [15.0])

        def follow(self, frame, t, previous):
            return _result(t, [0.0])

    d = Drifting(b_from=99, b_seen=99, frames=8)
    opts = dict(smooth="none", detect_interval=4)
    kept_out, _ = track_frames([np.zeros(1)] * 8, d.estimate, TrackingOptions(keep_followed=True, **opts), d.follow)
    replaced, _ = track_frames([np.zeros(1)] * 8, d.estimate, TrackingOptions(**opts), d.follow)
    assert [r.keypoints[0, 0, 0] for r in kept_out] == [15.0] + [0.0] * 7
    assert [r.keypoints[0, 0, 0] for r in replaced] == [15.0, 0, 0, 0, 15.0, 0, 0, 0]


def test_posekit_track_defaults_raise_recall_on_synthetic_clips(blazepose_cache):
    """BlazePose + SSD on a synthetic 4-person clip (960x540, standing apart, every view): the
    track defaults (backtrack 24, keep followed) against plain detect-every-4 tracking."""
    import posekit
    from posekit.commands.track import BACKTRACK, DETECT_INTERVAL
    from posekit.data.synthetic.video import make_video
    from posekit.video.person_metrics import person_track_stats

    rng = np.random.default_rng([0, 1])
    scenes = make_video(rng, 960, 540, 40, 4, occluder_prob=0.0, walker_fraction=0.0, heights=(0.25, 0.6), apart=True)
    frames, gt = [s.image for s in scenes], [(s.track_ids, s.boxes) for s in scenes]
    est = posekit.load("blazepose-full", detector="blazepose+ssd")
    stats = {}
    for name, extra in (("plain", {}), ("defaults", {"backtrack": BACKTRACK, "keep_followed": True})):
        options = TrackingOptions(smooth="none", detect_interval=DETECT_INTERVAL, **extra)
        out, _ = track_frames(iter(frames), lambda f, t: est.predict(f, image_id=t), options,
                              lambda f, t, last: est.follow(f, last, image_id=t))
        stats[name] = person_track_stats(gt, [(r.track_ids, r.boxes) for r in out])
    # measured on this clip (the second of bench/track_speed.py): plain 0.856, defaults 1.000
    assert stats["defaults"].recall >= 0.9 and stats["defaults"].recall > stats["plain"].recall + 0.05
    assert stats["defaults"].max_switches <= 1 and stats["defaults"].tracks <= stats["defaults"].people + 1
