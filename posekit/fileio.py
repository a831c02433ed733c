"""Reading and writing files safely: atomic writes and JSON with clear errors.

Every output posekit writes goes through :func:`atomic_write`: the data lands in a
temporary file beside the target and is renamed over it only when complete, so an
interrupted run never leaves a half-written result.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

from .errors import DataError

try:  # orjson parses and writes JSON several times faster; plain json is the fallback.
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None
import json as _json

__all__ = ["atomic_write", "write_bytes", "write_json", "read_json", "dumps_json", "sha256_file", "chmod_default"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success rename it over ``path``."""
    import tempfile  # here: readers (posekit eval) need not load it

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    done = False
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        chmod_default(tmp)
        os.replace(tmp, path)
        done = True
    finally:
        if not done:  # interrupted or failed: no partial file is left behind
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, as hex (read in 1 MB blocks)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def chmod_default(path: str | os.PathLike) -> None:
    """Give a temporary file (mkstemp makes 0600) the permissions a new file gets under the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


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
        raise json_error(data, e, path) from None


def json_error(data: bytes, error: ValueError, path: str | os.PathLike | None) -> DataError:
    """A :class:`DataError` naming the file, the record that holds the bad byte (``annotations[12]``)
    and the byte offset; NaN/Infinity and bad UTF-8 are named as such."""
    pos = getattr(error, "pos", None)
    reason = str(error)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as u:  # parsers report the string's start, or 0; this is the bad byte
        pos, reason = u.start, f"byte 0x{data[u.start]:02x} at offset {u.start} is not UTF-8 text"
    else:
        if pos is not None:
            head = data[pos:pos + 9].lstrip(b"-")
            word = next((w for w in ("NaN", "Infinity") if head.startswith(w.encode())), None)
            if not data.strip():
                reason = "the file is empty"
            elif word:
                reason = f"{word} at offset {pos}: NaN and Infinity are not JSON numbers"
            else:
                reason = f"{reason.split(':')[0]} at offset {pos}"
    record = json_location(data, pos) if pos else None
    return DataError(f"not valid JSON: {reason}", path, record)


def json_location(data: bytes, offset: int) -> str | None:
    """The path of the innermost container record that is open at ``offset``, as
    ``annotations[12]`` or ``[3]``; None at the top level. Strings are skipped, so brackets and
    quotes inside them do not count."""
    stack: list[list] = []  # [kind, key or index]
    key, i, n = None, 0, min(offset, len(data))
    while i < n:
        c = data[i]
        if c == 0x22:  # a string: a key when followed by ':'
            j = i + 1
            while j < len(data) and data[j] != 0x22:
                j += 2 if data[j] == 0x5C else 1
            text = data[i + 1:j]
            k = j + 1
            while k < len(data) and data[k] in b" \t\r\n":
                k += 1
            if k < len(data) and data[k] == 0x3A and stack and stack[-1][0] == "{":
                key = text.decode("utf-8", "replace")
                stack[-1][1] = key
            i = j + 1
            continue
        if c in b"[{":
            stack.append(["[", 0] if c == 0x5B else ["{", None])
        elif c in b"]}":
            if stack:
                stack.pop()
        elif c == 0x2C and stack and stack[-1][0] == "[":
            stack[-1][1] += 1
        i += 1
    parts = []
    for kind, at in stack:
        if kind == "[":
            parts.append(f"[{at}]")
        elif at is not None:
            parts.append(("." if parts else "") + at)
    # name the record (the outermost list element and its container), not every level below it
    out, seen_index = "", False
    for p in parts:
        out += p
        if p.startswith("["):
            seen_index = True
            break
    return out if seen_index else (out or None)


def _to_builtin(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
