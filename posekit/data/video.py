"""Video in and out: RGB frames from a file or a webcam, and mp4 files written atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import InputError

__all__ = ["read_frames", "video_info", "write_video"]


def _capture(source: str | int):
    import cv2

    webcam = isinstance(source, int) or (str(source).isdigit() and not os.path.exists(str(source)))
    cap = cv2.VideoCapture(int(source) if webcam else str(source))
    if not cap.isOpened():
        raise InputError(f"{source}: cannot open {'webcam' if webcam else 'video'}")
    return cap


def video_info(source: str | int) -> tuple[float, int | None]:
    """Frames per second (25 when unknown) and frame count (None when unknown, e.g. a webcam)."""
    import cv2

    cap = _capture(source)
    fps, count = cap.get(cv2.CAP_PROP_FPS) or 25.0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    cap.release()
    return fps, count


def read_frames(source: str | int, max_frames: int = 0) -> Iterator[np.ndarray]:
    """RGB uint8 frames of a video file or webcam index, at most ``max_frames`` (0: all)."""
    import cv2

    cap = _capture(source)
    n = 0
    try:
        while not max_frames or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float) -> int:
    """Write RGB frames as mp4 (MPEG-4 part 2) beside ``path``, renamed over it when complete.

    Returns the number of frames; with none, nothing is written. An interruption leaves no file.
    """
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".mp4", dir=path.parent)
    os.close(fd)
    writer, n = None, 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                if not writer.isOpened():
                    raise OSError(f"OpenCV cannot write mp4 to {path}")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            n += 1
        if writer is not None:
            writer.release()
            writer = None
            os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n
