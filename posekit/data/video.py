"""Video in and out: RGB frames from a file, a folder of frames or a webcam, and mp4 files written atomically.

mp4 files are H.264 where OpenCV's build can write it (browsers play it), else MPEG-4 Part 2
(``mp4v``, which desktop players read but browsers do not); :func:`video_codec` says which.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import InputError
from ..fileio import chmod_default

__all__ = ["read_frames", "video_info", "write_video", "video_codec", "codec_note", "frame_files"]

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def frame_files(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder of frames, in name order."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file())


def _capture(source: str | int):
    import cv2

    webcam = isinstance(source, int) or (str(source).isdigit() and not os.path.exists(str(source)))
    if not webcam and not os.path.exists(str(source)):
        raise InputError(f"{source}: no such file")
    cap = cv2.VideoCapture(int(source) if webcam else str(source))
    if not cap.isOpened():
        raise InputError(f"{source}: cannot open {'webcam' if webcam else 'video'} "
                         f"({'no camera at that index' if webcam else 'not a video OpenCV can decode'})")
    return cap


def video_info(source: str | int) -> tuple[float, int | None]:
    """Frames per second (25 when unknown) and frame count (None when unknown, e.g. a webcam).

    A folder of frames is a video at 25 frames/s."""
    import cv2

    if not isinstance(source, int) and os.path.isdir(str(source)):
        frames = frame_files(source)
        if not frames:
            raise InputError(f"{source}: a folder with no frame images ({', '.join(FRAME_SUFFIXES)})")
        return 25.0, len(frames)
    cap = _capture(source)
    fps, count = cap.get(cv2.CAP_PROP_FPS) or 25.0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    cap.release()
    return fps, count


def read_frames(source: str | int, max_frames: int = 0, notes: list[str] | None = None) -> Iterator[np.ndarray]:
    """RGB uint8 frames of a video file, a folder of frames or a webcam index, at most ``max_frames`` (0: all).

    When a file ends before the frame count its header announces, a line saying so is
    appended to ``notes`` (a truncated file)."""
    import cv2

    if not isinstance(source, int) and os.path.isdir(str(source)):
        from .images import read_image

        for n, path in enumerate(frame_files(source)):
            if max_frames and n >= max_frames:
                break
            yield read_image(path)
        return
    cap = _capture(source)
    announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
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
    expected = min(announced, max_frames) if max_frames else announced
    if notes is not None and expected and n < expected:
        notes.append(f"{source}: read {n} of the {expected} frames its header announces (truncated or damaged file)")


_CODEC = None


def codec_note() -> str:
    """One phrase naming the codec of written videos, for a command's summary line."""
    return ("videos H.264" if video_codec() == "avc1" else
            "videos MPEG-4 Part 2 (mp4v: this OpenCV build cannot write H.264; browsers may not play them)")


def video_codec() -> str:
    """The fourcc :func:`write_video` uses: 'avc1' (H.264) where OpenCV can write it, else 'mp4v'."""
    global _CODEC
    if _CODEC is None:
        import cv2

        _CODEC = "mp4v"
        fd, tmp = tempfile.mkstemp(suffix=".mp4")
        os.close(fd)
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        saved = os.dup(2)  # FFmpeg's own log of the failed H.264 probe goes to fd 2
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        try:
            writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"avc1"), 25, (64, 48))
            if writer.isOpened():
                writer.write(np.zeros((48, 64, 3), np.uint8))
                writer.release()
                _CODEC = "avc1" if os.path.getsize(tmp) > 0 else "mp4v"
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)
            cv2.utils.logging.setLogLevel(level)
            os.unlink(tmp)
    return _CODEC


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float) -> int:
    """Write RGB frames as mp4 (codec: :func:`video_codec`) beside ``path``, renamed over it when complete.

    Returns the number of frames; with none, nothing is written. An interruption leaves no file.
    """
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.mp4", dir=path.parent)
    os.close(fd)
    writer, n = None, 0
    codec = video_codec()
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*codec), fps, (w, h))
                if not writer.isOpened():
                    raise OSError(f"OpenCV cannot write mp4 to {path}")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            n += 1
        if writer is not None:
            writer.release()
            writer = None
            chmod_default(tmp)
            os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n

