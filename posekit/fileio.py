"""Reading and writing files safely: atomic writes and JSON with clear errors.

Every output posekit writes goes through :func:`atomic_write`: the data lands in a
temporary file beside the target and is renamed over it only when complete, so an
interrupted run never leaves a half-written result.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import DataError

try:  # orjson parses and writes JSON several times faster; plain json is the fallback.
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None
import json as _json

__all__ = ["atomic_write", "write_bytes", "write_json", "read_json", "dumps_json"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    done = False
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
        done = True
    finally:
        if not done:  # interrupted or failed: no partial file is left behind
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_write(path, "wb") as f:
        f.write(data)


def dumps_json(obj: Any, indent: bool = False) -> bytes:
    """JSON bytes; NumPy scalars and arrays are converted."""
    if _orjson is not None:
        opt = _orjson.OPT_SERIALIZE_NUMPY | (_orjson.OPT_INDENT_2 if indent else 0)
        return _orjson.dumps(obj, option=opt, default=_to_builtin)
    return _json.dumps(obj, indent=2 if indent else None, default=_to_builtin).encode()


def write_json(path: str | os.PathLike, obj: Any, indent: bool = False) -> None:
    write_bytes(path, dumps_json(obj, indent))


def read_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file; a missing or malformed file raises :class:`DataError` naming it."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"cannot read file ({e.strerror or e})", path) from None
    try:
        return _orjson.loads(data) if _orjson is not None else _json.loads(data)
    except ValueError as e:
        raise DataError(f"not valid JSON ({e})", path) from None


def _to_builtin(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
