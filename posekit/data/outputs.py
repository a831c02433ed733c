"""A command's output folder: checked before work starts, one writer at a time, nothing stale.

:class:`OutputFolder` is what ``infer`` and ``track`` write through:

- the folder is created and a test file written *before* any model runs, so a read-only
  folder, a parent that is a file or a full disk is one line at the start, not a traceback
  at the end;
- an exclusive lock (``.posekit.lock``, ``flock``) refuses a second run into the same folder;
- hidden ``.part`` files left by a killed run are removed (the lock proves no one writes them);
- a manifest (``.posekit-COMMAND.json``) lists what the last run of this command wrote; a new
  run (not ``--resume``) first removes those files, and never any other file;
- a journal (``.COMMAND.journal.jsonl``) receives each finished input as soon as it is done,
  so a crash loses nothing and ``--resume`` skips what is done.
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..errors import InputError, OutputError
from ..fileio import atomic_write, dumps_json, read_json

__all__ = ["OutputFolder"]


class OutputFolder:
    def __init__(self, path: str | os.PathLike, command: str, resume: bool = False):
        self.path, self.command, self.resume = Path(path), command, resume
        self.manifest = self.path / f".posekit-{command}.json"
        self.journal_path = self.path / f".{command}.journal.jsonl"
        self.written: list[str] = []
        self._lock = None
        self._journal = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "OutputFolder":
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".posekit-write-test-{os.getpid()}"
            with open(probe, "wb") as f:
                f.write(b"0" * 4096)
                f.flush()
                os.fsync(f.fileno())
            probe.unlink()
        except OSError as e:
            raise OutputError(f"{self.path}: cannot write the output folder ({_reason(e)})") from None
        self._take_lock()
        for stale in self.path.rglob(".*.part"):
            with contextlib.suppress(OSError):
                stale.unlink()
        for stale in self.path.rglob(".*.tmp.mp4"):
            with contextlib.suppress(OSError):
                stale.unlink()
        if not self.resume:
            self._remove_previous()
            with contextlib.suppress(FileNotFoundError):
                self.journal_path.unlink()
        return self

    def __exit__(self, *exc) -> None:
        if self._journal is not None:
            self._journal.close()
        if self._lock is not None:
            import fcntl

            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            with contextlib.suppress(OSError):
                (self.path / ".posekit.lock").unlink()

    def _take_lock(self) -> None:
        import fcntl

        fd = os.open(self.path / ".posekit.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutputError(f"{self.path}: another posekit run (pid {other}) is writing to this folder; "
                              "wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd

    def _remove_previous(self) -> None:
        if not self.manifest.is_file():
            return
        try:
            previous = read_json(self.manifest).get("files", [])
        except Exception:  # an unreadable manifest owns nothing
            previous = []
        for rel in previous:
            target = (self.path / rel).resolve()
            if self.path.resolve() in target.parents and target.is_file():
                target.unlink()

    # -- writing -----------------------------------------------------------------------------
    def file(self, rel: str | os.PathLike) -> Path:
        """The path of output ``rel`` (relative to the folder), recorded as written by this run."""
        rel = Path(rel).as_posix()
        if rel not in self.written:
            self.written.append(rel)
        return self.path / rel

    def journal(self, record: dict) -> None:
        """Append one finished input's record to the journal, flushed to disk."""
        if self._journal is None:
            self._journal = open(self.journal_path, "ab")
        self._journal.write(dumps_json(record) + b"\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def done(self) -> list[dict]:
        """The records a previous, interrupted run journaled (``--resume``); a torn last line is dropped."""
        import orjson

        if not self.resume or not self.journal_path.is_file():
            return []
        out = []
        for line in self.journal_path.read_bytes().splitlines():
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                break
        return out

    def commit(self, extra: list[str] | None = None) -> None:
        """Record this run's files in the manifest (written last) and drop the journal."""
        files = sorted(set(self.written) | set(extra or []))
        with atomic_write(self.manifest) as f:
            f.write(dumps_json({"command": self.command, "files": files}, indent=True))
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied or read-only"
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a parent is a file, not a folder"
    return e.strerror or str(e)


def check_input(path: str | os.PathLike) -> None:
    """Raise :class:`InputError` with the reason when ``path`` cannot be read as an input file."""
    from .images import file_problem

    problem = file_problem(path)
    if problem:
        raise InputError(f"{path}: {problem}")
