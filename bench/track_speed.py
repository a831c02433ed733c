"""`posekit track` per detector choice: frames/s and person-level recall, switches and tracks, side by side.

Synthetic clips (960x540 by default) of several people standing apart, turning slowly in
every view (front, side, back), small to mid-size (a quarter to 0.6 of the frame's height):
the cases BlazePose's face-driven detector misses. Ground truth is exact. The real PoseTrack18
clip bundled in ./data (5 frames, 1280x720) has no track annotations: for it the table gives
frames/s, tracks and people per frame only.

    python bench/track_speed.py                      # every detector choice, 3 clips, 40 frames each
    python bench/track_speed.py --detectors blazepose+ssd --clips 1

Modes after "@", comma-separated: detectN (detect every N frames), backN (follow new tracks back N
frames), keep (detection frames keep the followed people), accurate (BlazePose tiles), keyframesN.
"blazepose+ssd@detect4,back24,keep" is what `posekit track` runs by default.

"openpose" is the bottom-up Lightweight OpenPose (no detector; "openpose@h256": input height 256,
"openpose@min6": people with 6 keypoints or more).

Writes bench/results/track_speed.json. Each configuration runs in this process, one after
another; frames/s counts estimation + tracking + smoothing (not video decoding or writing).
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GOMP_SPINCOUNT", "20000")  # as the CLI: short OpenMP spins on a busy machine
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REAL = ROOT / "data/mmpose_tests/posetrack18/videos/000001_mpiinew_test/000001_mpiinew_test.mp4"
CHOICES = ["openpose", "openpose@h256", "blazepose", "blazepose@detect4", "ssd@detect4", "blazepose+ssd",
           "blazepose+ssd@detect4", "blazepose+ssd@detect8", "blazepose+ssd+openpose@detect4",
           "blazepose+ssd@detect4,back24", "blazepose+ssd@detect4,keep", "blazepose+ssd@detect4,back24,keep",
           "blazepose+ssd+openpose@detect4,back24,keep", "blazepose+ssd@accurate,detect4"]


def clips(n: int, frames: int, width: int, height: int, people: int, seed: int):
    from posekit.data.synthetic.video import make_video

    for c in range(n):
        rng = np.random.default_rng([seed, c])
        scenes = make_video(rng, width, height, frames, people, occluder_prob=0.0, walker_fraction=0.0,
                            heights=(0.25, 0.6), apart=True)
        yield [s.image for s in scenes], [(s.track_ids, s.boxes) for s in scenes]


def tracker_for(choice: str):
    import posekit
    from posekit.video.pipeline import TrackingOptions

    detector, _, modes = choice.partition("@")
    modes = modes.split(",") if modes else []
    if detector == "openpose":  # bottom-up: no detector; "h256" sets the input height
        heights = next(((int(m[1:]),) for m in modes if m.startswith("h")), (368,))
        grouping = {"min_parts": int(m[3:]) for m in modes if m.startswith("min")}
        return posekit.load("openpose-lightweight", heights=heights, grouping=grouping), TrackingOptions()
    options = {"tiling": True} if "accurate" in modes else {}
    threshold = next((float(m[3:]) for m in modes if m.startswith("thr")), None)
    est = posekit.load("blazepose-full", detector=detector, detector_threshold=threshold, **options)
    keyframes = next((int(m[9:]) for m in modes if m.startswith("keyframes")), 1)
    detect = next((int(m[6:]) for m in modes if m.startswith("detect")), 1)
    back = next((int(m[4:]) for m in modes if m.startswith("back")), 0)
    return est, TrackingOptions(keyframe_interval=keyframes, detect_interval=detect, backtrack=back,
                                keep_followed="keep" in modes)


def run(est, options, frames):
    from dataclasses import replace

    from posekit.video.pipeline import smooth_tracks, track_frames

    def coco(r):
        if r.skeleton == "coco17":
            return replace(r, views={})
        views = {k: v for k, v in r.views.items() if k == "alignment"}
        return replace(r, keypoints=r.views["coco17"][0], keypoint_scores=r.views["coco17"][1], skeleton="coco17",
                       views=views)

    start = time.perf_counter()
    follow = (lambda f, t, last: coco(est.follow(f, last, image_id=t))) if hasattr(est, "follow") else None
    results, runs = track_frames(iter(frames), lambda f, t: coco(est.predict(f, image_id=t)), options, follow)
    results, _ = smooth_tracks(results, "one-euro")
    return results, time.perf_counter() - start, runs


def main() -> int:
    import torch

    from posekit.data.video import read_frames
    from posekit.video.person_metrics import person_track_stats

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--detectors", nargs="+", default=CHOICES)
    p.add_argument("--clips", type=int, default=3)
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--people", type=int, default=4)
    p.add_argument("--size", default="960x540")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "bench/results/track_speed.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    w, h = map(int, args.size.split("x"))
    data = list(clips(args.clips, args.frames, w, h, args.people, args.seed))
    real = list(read_frames(str(REAL)))
    rows = []
    print(f"{args.clips} synthetic clips x {args.frames} frames at {w}x{h}, {args.people} people standing apart; "
          f"real clip {REAL.name} ({len(real)} frames)")
    print(f"{'detector':28s} {'fps':>6s} {'recall':>7s} {'max sw':>6s} {'tracks/people':>13s} | "
          f"{'real fps':>8s} {'real tracks':>11s} {'people/frame':>12s}")
    for choice in args.detectors:
        est, options = tracker_for(choice)
        run(est, options, data[0][0][:2])  # warm-up
        recalls, switches, ratio, frames, seconds = [], [], [], 0, 0.0
        for images, gt in data:
            results, dt, _ = run(est, options, images)
            s = person_track_stats(gt, [(r.track_ids, r.boxes) for r in results])
            recalls.append(s.recall)
            switches.append(s.max_switches)
            ratio.append(f"{s.tracks}/{s.people}")
            frames, seconds = frames + len(images), seconds + dt
        real_results, real_dt, _ = run(est, options, real)
        real_tracks = len({int(t) for r in real_results for t in r.track_ids if t >= 0})
        per_frame = float(np.mean([int((r.track_ids >= 0).sum()) for r in real_results]))
        row = {"detector": choice, "fps": frames / seconds, "recall": recalls, "recall_mean": float(np.mean(recalls)),
               "max_switches_per_person": switches, "tracks_per_people": ratio, "real_fps": len(real) / real_dt,
               "real_tracks": real_tracks, "real_people_per_frame": per_frame}
        rows.append(row)
        print(f"{choice:28s} {row['fps']:6.1f} {row['recall_mean']:7.3f} {max(switches):6d} {' '.join(ratio):>13s} | "
              f"{row['real_fps']:8.1f} {real_tracks:11d} {per_frame:12.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=2))
    lines = ["| detector | frames/s | recall | max switches / person | tracks / people | real clip frames/s | "
             "real tracks | real people / frame |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| `{r['detector']}` | {r['fps']:.1f} | {r['recall_mean']:.3f} | {max(r['max_switches_per_person'])} | "
              f"{' '.join(r['tracks_per_people'])} | {r['real_fps']:.1f} | {r['real_tracks']} | "
              f"{r['real_people_per_frame']:.1f} |" for r in rows]
    Path(args.out).with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"written {args.out} and its .md table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
