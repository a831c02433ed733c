"""Tracklet refinement on held-out synthetic tracks: keypoint error and jitter, raw vs refined vs smoothers.

    OMP_NUM_THREADS=1 python bench/tracklet_refine.py [--steps 1500]

Three refiners (seeds 0, 1, 2; ``posekit.video.refiner_training.train_refiner``) are measured on the
same held-out tracks (synthetic clips of seed 5000, fresh simulated estimator errors) against the raw
estimates and the two smoothers of ``posekit.video.smoothing`` (One-Euro at 25 frames/s with its
defaults, centred Savitzky-Golay of 9 frames, order 2). Error: mean keypoint distance over the true
box's longer side; jitter: mean |p[t+1] - 2 p[t] + p[t-1]| in the same units; ``truth`` is the true
tracks' own jitter. Prints the table; writes ``bench/results/tracklet_refine.json``.

``--real-videos N`` adds the same table on a real estimator's tracks: N rendered synthetic clips
(``make_video``, 640x480, 50 frames, 1-2 people) run through ``posekit track --smooth none`` (BlazePose,
the default model); each predicted track is scored against the true track it lies closest to.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.fileio import write_json  # noqa: E402
from posekit.video.refiner_training import (TrainingConfig, noisy_tracks, synthetic_tracks,  # noqa: E402
                                            track_metrics, train_refiner)
from posekit.video.smoothing import one_euro, savgol  # noqa: E402
from posekit.video.tracklet_refine import refine_track  # noqa: E402


def real_tracks(videos: int, seed: int = 11) -> tuple[list, list]:
    """(estimates, truths) of ``posekit track`` on rendered synthetic clips: estimates are (keypoints,
    scores, boxes) per run of a predicted track, truths the matched true :class:`Track` over those frames."""
    import json
    import subprocess
    import tempfile

    from posekit.data.synthetic import make_video
    from posekit.data.video import write_video
    from posekit.video.refiner_training import Track

    est, truth = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for v in range(videos):
            rng = np.random.default_rng([seed, v])
            scenes = make_video(rng, 640, 480, 50, int(rng.integers(1, 3)))
            clip = Path(tmp) / f"{v}.mp4"
            write_video(clip, (s.image for s in scenes), 25.0)
            out = Path(tmp) / f"out{v}"
            subprocess.run([sys.executable, "-m", "posekit", "track", str(clip), "--out", str(out), "--smooth", "none",
                            "--no-overlay"], check=True, capture_output=True, cwd=ROOT)
            by_track: dict[int, list] = {}
            for r in json.loads((out / "tracks.json").read_text()):
                by_track.setdefault(r["track_id"], []).append(r)
            for recs in by_track.values():
                recs.sort(key=lambda r: r["frame_id"])
                kp = np.array([r["keypoints"] for r in recs]).reshape(len(recs), -1, 3)
                votes: dict[int, int] = {}
                for r, k in zip(recs, kp):
                    sc = scenes[r["frame_id"]]
                    if len(sc.track_ids):
                        d = np.linalg.norm(sc.keypoints - k[None, :, :2], axis=-1).mean(1)
                        votes[int(sc.track_ids[d.argmin()])] = votes.get(int(sc.track_ids[d.argmin()]), 0) + 1
                if not votes:
                    continue
                gid = max(votes, key=votes.get)
                frames = [r["frame_id"] for r in recs]
                keep = [i for i, t in enumerate(frames) if gid in scenes[t].track_ids.tolist()]
                if len(keep) < 3:
                    continue
                rows = [list(scenes[frames[i]].track_ids).index(gid) for i in keep]
                truth.append(Track(np.stack([scenes[frames[i]].keypoints[j] for i, j in zip(keep, rows)]),
                                   np.stack([scenes[frames[i]].visibility[j] for i, j in zip(keep, rows)]),
                                   np.stack([scenes[frames[i]].boxes[j] for i, j in zip(keep, rows)])))
                est.append((kp[keep, :, :2], kp[keep, :, 2], np.array([recs[i]["bbox"] for i in keep])))
    return est, truth


def table(held: list, est: list, models: list) -> dict:
    """Rows truth, raw, one-euro, savgol-9 and refiner (mean and std over ``models``)."""
    rows = {"truth": track_metrics([t.keypoints for t in held], held),
            "raw": track_metrics([e[0] for e in est], held),
            "one-euro": track_metrics([one_euro(e[0], fps=25.0) for e in est], held),
            "savgol-9": track_metrics([savgol(e[0], 9, 2) for e in est], held)}
    runs = [track_metrics([refine_track(m, *e) for e in est], held) for m in models]
    rows["refiner"] = {}
    for key in ("error", "jitter"):
        vals = [r[key] for r in runs]
        rows["refiner"][key] = float(np.mean(vals))
        rows["refiner"][f"{key}_std"] = float(np.std(vals))
    return {"rows": rows, "runs": runs}


def show(title: str, rows: dict) -> None:
    print(title)
    print(f"{'':10s} {'error':>16s} {'jitter':>16s}")
    for name, r in rows.items():
        spread = lambda k: f" ± {r[k + '_std']:.4f}" if k + "_std" in r else ""  # noqa: E731
        print(f"{name:10s} {r['error']:8.4f}{spread('error'):>8s} {r['jitter']:8.4f}{spread('jitter'):>8s}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--clips", type=int, default=40, help="held-out synthetic clips")
    ap.add_argument("--real-videos", type=int, default=0, help="also measure on BlazePose's tracks of N clips")
    args = ap.parse_args()
    torch.set_num_threads(1)
    held = synthetic_tracks(5000, args.clips)
    est = noisy_tracks(held, 5000)
    models, times = [], []
    for seed in args.seeds:
        start = time.perf_counter()
        models.append(train_refiner(TrainingConfig(steps=args.steps, seed=seed))[0])
        times.append(round(time.perf_counter() - start, 1))
    result = {"command": "OMP_NUM_THREADS=1 python bench/tracklet_refine.py --steps "
                         f"{args.steps} --real-videos {args.real_videos}", "seeds": args.seeds, "train_s": times,
              "simulated": dict(table(held, est, models), tracks=len(held))}
    show(f"simulated errors: {len(held)} held-out tracks, {sum(len(t.keypoints) for t in held)} frames; refiner "
         f"{args.steps} steps, seeds {args.seeds}", result["simulated"]["rows"])
    if args.real_videos:
        real_est, real_held = real_tracks(args.real_videos)
        result["blazepose"] = dict(table(real_held, real_est, models), tracks=len(real_held))
        show(f"BlazePose (posekit track) on {args.real_videos} rendered clips: {len(real_held)} tracks",
             result["blazepose"]["rows"])
    write_json(Path(__file__).parent / "results" / "tracklet_refine.json", result, indent=True)

if __name__ == "__main__":
    main()
