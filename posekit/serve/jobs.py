"""Video tracking jobs: ``POST /v1/track`` starts one, ``GET /v1/jobs/{id}`` gives its progress
and, once done, its tracks.json records.

A job tracks the uploaded video as ``posekit track VIDEO`` does (the same model default,
:data:`posekit.commands.track.TRACK_MODEL`, the same detect-every-D-frames loop
(:func:`posekit.video.pipeline.track_frames`), One-Euro smoothing, and records with ``frame_id``
and ``track_id``). The upload is written only inside the job's folder under the server's temp
dir and deleted when the job ends; the job's state is a JSON file there, written atomically, so
every uvicorn worker answers ``GET /v1/jobs/{id}`` whichever worker runs it. Job ids are random
hex; a request's id is checked against that form before it is joined to a path.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from .limits import ApiError

__all__ = ["JobStore", "track_video"]

JOB_ID = re.compile(r"^[0-9a-f]{16}$")
KEEP_JOBS = 64  # finished jobs kept per server (the oldest are removed)


class JobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def create(self, video: bytes) -> tuple[str, Path]:
        self._prune()
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        path = folder / "upload.mp4"
        path.write_bytes(video)
        self.write(job_id, status="queued", frames_done=0, frames=None, created=time.time())
        return job_id, path

    def folder(self, job_id: str) -> Path:
        if not JOB_ID.match(job_id) or not (self.root / job_id / "state.json").exists():
            raise ApiError(404, f"no job {job_id!r}")
        return self.root / job_id

    def read(self, job_id: str) -> dict:
        return json.loads((self.folder(job_id) / "state.json").read_text())

    def write(self, job_id: str, **state) -> None:
        target = self.root / job_id / "state.json"
        old = json.loads(target.read_text()) if target.exists() else {"id": job_id}
        old.update(state)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(old))
        os.replace(tmp, target)

    def _prune(self) -> None:
        done = []
        for state in self.root.glob("*/state.json"):
            try:
                s = json.loads(state.read_text())
            except (OSError, ValueError):
                continue
            if s.get("status") in ("done", "failed"):
                done.append((s.get("created", 0), state.parent))
        for _, folder in sorted(done)[:max(0, len(done) - KEEP_JOBS + 1)]:
            shutil.rmtree(folder, ignore_errors=True)


def probe_video(path: Path, max_frames: int) -> tuple[float, int | None]:
    """fps and frame count of an uploaded video; 400 when OpenCV cannot open or read it."""
    from ..data.video import read_frames, video_info
    from ..errors import InputError

    try:
        fps, count = video_info(str(path))
        next(iter(read_frames(str(path), 1)))
    except (InputError, StopIteration):
        raise ApiError(400, "upload: not a video OpenCV can decode (or it has no frame)") from None
    return fps, min(count, max_frames) if count else None


def track_video(store: JobStore, job_id: str, video: Path, load_estimator, fps: float, max_frames: int) -> None:
    """Track ``video`` into the job's result with the estimator ``load_estimator()`` gives; any failure
    becomes the job's one-line error."""
    from dataclasses import replace

    from ..commands.track import BACKTRACK, DETECT_INTERVAL
    from ..data.results import keypoints_as, results_to_records
    from ..data.video import read_frames
    from ..skeletons import get_skeleton
    from ..video.pipeline import TrackingOptions, smooth_tracks, track_frames

    try:
        store.write(job_id, status="running", started=time.time())
        estimator = load_estimator()
        skeleton = get_skeleton("coco17")
        sizes: list = []

        def frames():
            for n, frame in enumerate(read_frames(str(video), max_frames)):
                sizes.append(frame.shape[:2])
                if n % 5 == 0:
                    store.write(job_id, frames_done=n)
                yield frame

        def as_output(result):
            kp, ks = keypoints_as(result, skeleton)
            keep = {k: v for k, v in result.views.items() if k == "alignment"}
            return replace(result, keypoints=kp, keypoint_scores=ks, skeleton=skeleton.name, views=keep)

        follow = getattr(estimator, "follow", None)
        options = TrackingOptions(smooth="one-euro", detect_interval=DETECT_INTERVAL, fps=fps, backtrack=BACKTRACK,
                                  keep_followed=True)
        start = time.perf_counter()
        results, runs = track_frames(frames(), lambda f, t: as_output(estimator.predict(f, image_id=t)), options,
                                     (lambda f, t, last: as_output(follow(f, last, image_id=t))) if follow else None)
        results, _ = smooth_tracks(results, "one-euro", fps)
        records = [dict(rec, frame_id=t) for t, r in enumerate(results)
                   for rec in results_to_records([r]) if rec["track_id"] >= 0]
        h, w = sizes[0] if sizes else (0, 0)
        store.write(job_id, status="done", frames_done=len(results), frames=len(results), finished=time.time(),
                    result={"tracks": records, "fps": fps, "frames": len(results), "width": w, "height": h,
                            "tracks_count": len({r["track_id"] for r in records}),
                            "seconds": round(time.perf_counter() - start, 3),
                            "keypoint_names": list(skeleton.names), "limbs": [list(l) for l in skeleton.limbs]})
    except Exception as e:  # a job's failure is its state, never the server's
        store.write(job_id, status="failed", error=" ".join(f"{type(e).__name__}: {e}".split()), finished=time.time())
    finally:
        video.unlink(missing_ok=True)
