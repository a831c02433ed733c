"""``posekit serve [--model M] [--host 127.0.0.1] [--port 8000] [--workers N]``: poses over HTTP.

A FastAPI application (:mod:`posekit.serve.app`) on uvicorn, with the web page at ``/`` and the
OpenAPI docs at ``/docs``. Binds to 127.0.0.1 unless ``--host`` says otherwise; ``--token`` (or
``$POSEKIT_TOKEN``) requires ``Authorization: Bearer TOKEN`` on ``/v1/*`` and ``/metrics``. Each
worker process loads the models once and runs them on its own executor threads, behind a queue of
``--queue-size`` requests (one more gets 503 with Retry-After). Needs ``pip install posekit[serve]``.
"""
from __future__ import annotations

import argparse
import os


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help="the default model: openpose-lightweight (default), blazepose-full, "
                                                 "a run folder of posekit train or a .safetensors checkpoint")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (each loads its own models)")
    p.add_argument("--threads", type=int, default=1, help="inference threads per worker (each holds a model copy)")
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads per worker (0: torch's default)")
    p.add_argument("--token", default=None, help="API token required on /v1/* and /metrics (default: $POSEKIT_TOKEN)")
    p.add_argument("--max-upload-mb", type=float, default=20.0, help="largest upload in MB (default 20)")
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="largest image in pixels (default 40 million)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a request may wait and run (default 30; 504 past it)")
    p.add_argument("--queue-size", type=int, default=8, help="image requests waiting or running per worker (default 8)")
    p.add_argument("--max-video-frames", type=int, default=300, help="frames of an uploaded video tracked (default 300)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))


def run(args: argparse.Namespace) -> int:
    import shutil
    import signal
    import tempfile

    from ..errors import PosekitError

    try:
        import fastapi  # noqa: F401
        import python_multipart  # noqa: F401
        import uvicorn
    except ImportError as e:
        raise PosekitError(f"the server needs its extra dependencies ({e.name} is missing): "
                           "pip install posekit[serve]") from None
    from ..estimators import DEFAULT_MODEL
    from ..serve.limits import CONFIG_ENV, ServeConfig

    if args.workers < 1 or args.threads < 1 or args.queue_size < 1:
        raise PosekitError("--workers, --threads and --queue-size must be at least 1")
    token = args.token or os.environ.get("POSEKIT_TOKEN") or None
    if args.host not in ("127.0.0.1", "localhost", "::1") and not token:
        print(f"posekit serve: warning: listening on {args.host} with no API token: anyone who can reach it can use it")
    config = ServeConfig(model=args.model or DEFAULT_MODEL, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                         max_pixels=args.max_pixels, timeout_s=args.timeout, queue_size=args.queue_size,
                         inference_threads=args.threads, torch_threads=args.torch_threads,
                         max_video_frames=args.max_video_frames, token=token)
    if config.model not in ("openpose-lightweight", "blazepose-full"):  # load it here once: a bad path fails now
        from ..estimators import load

        load(config.model)
    jobs_dir = config.jobs_dir = tempfile.mkdtemp(prefix="posekit-serve-")  # shared by the workers
    os.environ[CONFIG_ENV] = config.to_env()  # the workers read it (uvicorn starts them by import string)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: exit through Python
    # (the temp dir is removed) rather than die of it
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        uvicorn.run("posekit.serve.app:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, timeout_graceful_shutdown=5)
    finally:
        shutil.rmtree(jobs_dir, ignore_errors=True)
    return 0


def _exit_quietly(signum, frame) -> None:
    raise SystemExit(0)
