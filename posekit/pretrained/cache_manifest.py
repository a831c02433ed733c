"""A checksum beside every converted file of the weights cache, checked before the file is used.

Each cached file ``F`` (safetensors weights, an exported ``.onnx``) gets ``F.sha256``
written right after it, in ``sha256sum`` format (``sha256sum -c F.sha256`` checks it by
hand). :func:`ensure` rebuilds a file that is missing, truncated, altered or has no record,
with one note on stderr when it replaces a damaged one, so that a bad cache never yields
silently wrong keypoints or a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from ..errors import ModelError
from ..fileio import atomic_write, sha256_file

__all__ = ["record", "problem", "ensure", "sha256_file"]


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def record(path: str | Path) -> None:
    """Write ``path``'s checksum beside it (call once the file itself is complete)."""
    path = Path(path)
    with atomic_write(_sidecar(path), "w") as f:
        f.write(f"{sha256_file(path)}  {path.name}\n")


def problem(path: str | Path) -> str | None:
    """None if ``path`` exists and matches its recorded checksum, else what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    try:
        recorded = _sidecar(path).read_text().split()[0]
    except (OSError, IndexError):
        return "no checksum record"
    return None if recorded == sha256_file(path) else "checksum mismatch (truncated or altered)"


def ensure(path: str | Path, build: Callable[[], None], force: bool = False) -> Path:
    """``path``, (re)built by ``build()`` (which writes it) when missing, damaged or ``force``d."""
    path = Path(path)
    wrong = "rebuild requested" if force else problem(path)
    if wrong is None:
        return path
    damaged = wrong not in ("missing", "rebuild requested")
    if damaged:
        print(f"posekit: {path}: {wrong}; converting it again from its source", file=sys.stderr)
    try:
        build()
    except ModelError as e:
        if damaged:
            raise ModelError(f"{path}: {wrong}, and it cannot be rebuilt: {e}") from None
        raise
    record(path)
    return path
