"""The server's limits: its configuration, reading an upload under a size limit, and the bounded
queue in front of the model.

The queue admits a request before its body is read: at most ``queue_size`` requests wait or run
at once, so memory stays below ``queue_size x max_upload_bytes`` of bodies however many clients
connect; one more gets ``503`` with ``Retry-After`` at once (never an unbounded backlog). A
request that waits or runs longer than ``timeout_s`` gets ``504``; if it had not started, its
work is dropped from the executor.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
from dataclasses import asdict, dataclass, field

__all__ = ["ServeConfig", "ApiError", "Admission", "read_body"]

CONFIG_ENV = "POSEKIT_SERVE_CONFIG"  # the CLI hands the configuration to uvicorn's worker processes


@dataclass
class ServeConfig:
    model: str = "openpose-lightweight"  # the default model (loaded at start-up)
    models: tuple[str, ...] = ()  # further models a request may name (?model=); the pretrained ones by default
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    timeout_s: float = 30.0
    queue_size: int = 8  # requests waiting or running per worker, images and videos apart
    inference_threads: int = 1  # executor threads running the model (each holds its own copy)
    torch_threads: int = 0  # torch.set_num_threads in each worker (0: torch's default)
    job_queue_size: int = 2  # video jobs waiting or running per worker
    max_video_frames: int = 300
    token: str | None = field(default=None, repr=False)
    jobs_dir: str | None = None  # where jobs keep their state (shared by the workers); a temp dir if None

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "ServeConfig":
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            return cls()
        values = json.loads(raw)
        values["models"] = tuple(values.get("models") or ())
        return cls(**values)


class ApiError(Exception):
    """An error the client gets as ``status`` with ``{"error": message}`` (one line)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, " ".join(message.split()), headers or {}


class Admission:
    """At most ``capacity`` holders at once; :meth:`enter` raises 503 when full (thread-safe)."""

    def __init__(self, capacity: int, retry_after_s: int = 1):
        self.capacity, self.retry_after_s = capacity, retry_after_s
        self._held = 0
        self._lock = threading.Lock()
        self.rejected = 0

    @property
    def held(self) -> int:
        return self._held

    def enter(self) -> "Admission":
        with self._lock:
            if self._held >= self.capacity:
                self.rejected += 1
                raise ApiError(503, f"server busy: {self._held} requests queued (limit {self.capacity}); "
                                    "retry later", {"Retry-After": str(self.retry_after_s)})
            self._held += 1
        return self

    def leave(self) -> None:
        with self._lock:
            self._held -= 1


async def read_body(request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"upload of {int(declared):,} bytes is over the limit of {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"upload is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def upload_bytes(request, limit: int) -> tuple[bytes, str]:
    """The uploaded file's bytes and name: a multipart form's first file, or the raw body."""
    body = await read_body(request, limit)
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        return body, "upload"
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream():
        yield body

    parser = MultiPartParser(request.headers, stream(), max_files=1, max_fields=16)
    parser.spool_max_size = limit + 1  # the file stays in memory (it is already): nothing is written to disk
    try:
        form = await parser.parse()
    except MultiPartException as e:
        raise ApiError(400, f"bad multipart form: {e}") from None
    try:
        for _, value in form.multi_items():
            if hasattr(value, "read"):
                return await value.read(), "upload"
    finally:
        await form.close()
    raise ApiError(400, "the multipart form has no file (send the image as a file field, e.g. -F image=@x.jpg)")


async def run_limited(executor, fn, timeout_s: float):
    """``fn()`` on ``executor``, awaited for at most ``timeout_s`` (504 past it; not started: dropped)."""
    future = executor.submit(fn)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
    except asyncio.TimeoutError:
        future.cancel()
        raise ApiError(504, f"request took over {timeout_s:g} s") from None
