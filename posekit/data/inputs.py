"""What a user passes to ``infer``: files, folders, videos, folders of frames, webcams.

Each input gets a *key*: its path relative to the folder it was found in (or its file name
when named directly). Keys name the outputs (``overlays/<key>.png``) and match images to a
ground truth's ``file_name`` (:class:`posekit.data.image_ids.FileNameIndex`), so two ``000000.jpg``
in different sub-folders stay apart.
What a folder holds that is not an image or video, and files that cannot be read (broken or
looping links, FIFOs), are listed with the reason instead of being dropped in silence.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError
from .images import IMAGE_SUFFIXES, file_problem

__all__ = ["InputItem", "expand_inputs", "VIDEO_SUFFIXES"]

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


@dataclass(frozen=True)
class InputItem:
    kind: str  # 'image', 'video' or 'webcam'
    path: str
    key: str


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None


def _walk(root: Path) -> tuple[list[InputItem], list[str]]:
    items, skipped = [], []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for d in list(dirs):
            if (Path(folder) / d).is_symlink():
                skipped.append(f"{Path(folder) / d}: symbolic link to a folder, not followed")
        for name in sorted(files):
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            kind = _kind(path)
            problem = file_problem(path)
            if kind is None:
                skipped.append(f"{path}: not an image or video ({path.suffix or 'no suffix'})")
            elif problem:
                skipped.append(f"{path}: {problem}")
            else:
                items.append(InputItem(kind, str(path), key))
    return items, skipped


def expand_inputs(inputs: list[str]) -> tuple[list[InputItem], list[str]]:
    """Inputs in order (folders walked in name order) and the lines saying what was skipped and why.

    A folder whose files are all frames of one video is still a folder of images here; ``track``
    reads such a folder as a video. A named file that cannot be read keeps its place and fails
    when it is read, with the reason.
    """
    items: list[InputItem] = []
    skipped: list[str] = []
    for item in inputs:
        path = Path(item)
        if item.isdigit() and not os.path.lexists(item):
            items.append(InputItem("webcam", item, f"webcam{item}"))
        elif path.is_dir():
            found, why = _walk(path)
            items += found
            skipped += why
            if not found:
                skipped.append(f"{path}: a folder with no image or video in it")
        else:
            items.append(InputItem("video" if _kind(path) == "video" else "image", item, path.name))
    return _unique_keys(items), skipped


def _unique_keys(items: list[InputItem]) -> list[InputItem]:
    """Named files that share a name are told apart by the path as given."""
    seen: dict[str, int] = {}
    for it in items:
        seen[it.key] = seen.get(it.key, 0) + 1
    out = []
    for it in items:
        if seen[it.key] > 1 and Path(it.path).name == it.key:
            parts = [p for p in PurePosixPath(Path(it.path).as_posix()).parts if p not in ("/", "..", ".")]
            it = InputItem(it.kind, it.path, "/".join(parts))
        out.append(it)
    keys = [it.key for it in out]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise InputError(f"two inputs have the same relative path {dup!r}; pass them in separate runs")
    return out
