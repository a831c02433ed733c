"""The ``posekit serve`` application: ``create_app(ServeConfig) -> FastAPI``.

Endpoints (docs/serve.md has the full description; OpenAPI at ``/docs`` and ``/openapi.json``):
``POST /v1/pose`` (an image: multipart file or raw body -> the people as JSON, with the COCO
records ``posekit infer`` writes), ``POST /v1/pose/overlay`` (-> PNG), ``POST /v1/track`` (a short
video -> a job), ``GET /v1/jobs/{id}``, ``GET /v1/models``, ``GET /healthz``, ``GET /metrics``, and
the page at ``/``. Every error is ``{"error": "one line"}`` with a 4xx status (or the documented
503 when the queue is full and 504 past the request timeout); the server keeps serving.
With a token set, ``/v1/*`` and ``/metrics`` need ``Authorization: Bearer TOKEN`` (or
``X-Posekit-Token``), compared in constant time (``hmac.compare_digest``).
"""

import asyncio
import hmac
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from importlib import resources

from .limits import Admission, ApiError, ServeConfig, run_limited, upload_bytes
from .metrics import Metrics

__all__ = ["create_app", "app_from_env"]

_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}}}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}}}}}
_OPEN = ("/", "/healthz", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")


def create_app(config: ServeConfig | None = None):
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException

    from .. import __version__
    from ..commands.track import TRACK_MODEL
    from ..errors import InputError
    from .jobs import JobStore, probe_video, track_video
    from .models import ModelRegistry, estimate, overlay_png

    config = config or ServeConfig()
    state: dict = {}
    metrics = Metrics()
    registry = ModelRegistry(config.model, config.models, config.torch_threads)
    admission = Admission(config.queue_size)
    job_admission = Admission(config.job_queue_size, retry_after_s=10)

    @asynccontextmanager
    async def lifespan(app):
        state["executor"] = ThreadPoolExecutor(config.inference_threads, thread_name_prefix="posekit-infer")
        state["jobs_executor"] = ThreadPoolExecutor(1, thread_name_prefix="posekit-track")
        own = config.jobs_dir is None
        state["jobs"] = JobStore(tempfile.mkdtemp(prefix="posekit-serve-") if own else config.jobs_dir)
        # the default model, loaded once in each inference thread before the first request
        barrier = threading.Barrier(config.inference_threads)
        await asyncio.gather(*[asyncio.wrap_future(state["executor"].submit(_load_default, registry, barrier))
                               for _ in range(config.inference_threads)])
        try:
            yield
        finally:
            state["executor"].shutdown(wait=False, cancel_futures=True)
            state["jobs_executor"].shutdown(wait=False, cancel_futures=True)
            if own:
                shutil.rmtree(state["jobs"].root, ignore_errors=True)

    app = FastAPI(title="posekit", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="2D human pose estimation: COCO-17 keypoints of every person in an image.")

    def error(status: int, message: str, headers: dict | None = None):
        return JSONResponse({"error": " ".join(str(message).split())}, status, headers=headers)

    @app.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return error(e.status, e.message, e.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request, e: RequestValidationError):
        parts = [f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg')}" for err in e.errors()]
        return error(422, "; ".join(parts))

    @app.exception_handler(HTTPException)
    async def _http(request, e: HTTPException):
        return error(e.status_code, e.detail, getattr(e, "headers", None))

    @app.middleware("http")
    async def _guard(request: Request, call_next):
        start = time.perf_counter()
        path = request.url.path
        if config.token and path not in _OPEN and not path.startswith("/static/") and not _authorised(request):
            response = error(401, "missing or wrong API token (send Authorization: Bearer TOKEN)",
                             {"WWW-Authenticate": "Bearer"})
        else:
            try:
                response = await call_next(request)
            except Exception as e:  # the server keeps serving; the client gets one line
                response = error(500, f"internal error: {type(e).__name__}: {e}")
        route = request.scope.get("route")
        metrics.observe(request.method, getattr(route, "path", "(unmatched)"), response.status_code,
                        time.perf_counter() - start)
        return response

    def _authorised(request) -> bool:
        given = request.headers.get("authorization", "")
        given = given[7:] if given.lower().startswith("bearer ") else request.headers.get("x-posekit-token", "")
        return hmac.compare_digest(given.strip().encode(), config.token.encode())

    def decode(data: bytes, notes: list[str]):
        from ..data.images import decode_image

        try:
            return decode_image(data, "upload", notes, config.max_pixels)
        except InputError as e:
            raise ApiError(413 if "too large" in str(e) else 400, str(e)) from None

    async def infer(request, model, accurate, threshold, overlay: bool):
        name = registry.check(model)
        start = time.perf_counter()
        slot = admission.enter()
        try:
            data, _ = await upload_bytes(request, config.max_upload_bytes)
            submitted = time.perf_counter()
            timing = {"upload_ms": round((submitted - start) * 1000, 2)}

            def work():
                notes: list[str] = []
                t = time.perf_counter()
                timing["queue_ms"] = round((t - submitted) * 1000, 2)
                image = decode(data, notes)
                timing["decode_ms"] = round((time.perf_counter() - t) * 1000, 2)
                answer, result = estimate(registry, image, name, accurate, threshold, notes, timing)
                return answer, (overlay_png(image, result, threshold) if overlay else None)

            answer, png = await run_limited(state["executor"], work, config.timeout_s)
        finally:
            slot.leave()
        answer["timing"]["total_ms"] = round((time.perf_counter() - start) * 1000, 2)
        return answer, png

    @app.post("/v1/pose", openapi_extra=_BODY, summary="COCO-17 people of an image")
    async def pose(request: Request, model: str | None = None, accurate: bool = False,
                   threshold: float = Query(0.5, ge=0.0, le=1.0)):
        answer, _ = await infer(request, model, accurate, threshold, overlay=False)
        return answer

    @app.post("/v1/pose/overlay", openapi_extra=_BODY, summary="the image with its people drawn (PNG)",
              response_class=Response, responses={200: {"content": {"image/png": {}}}})
    async def pose_overlay(request: Request, model: str | None = None, accurate: bool = False,
                           threshold: float = Query(0.5, ge=0.0, le=1.0)):
        answer, png = await infer(request, model, accurate, threshold, overlay=True)
        return Response(png, media_type="image/png",
                        headers={"X-Posekit-People": str(len(answer["people"])),
                                 "X-Posekit-Total-Ms": str(answer["timing"]["total_ms"])})

    @app.post("/v1/track", openapi_extra=_BODY, status_code=202, summary="track the people of a short video (a job)")
    async def track(request: Request, model: str | None = None):
        name = registry.check(model or (TRACK_MODEL if TRACK_MODEL in registry.allowed else None))
        slot = job_admission.enter()
        store: JobStore = state["jobs"]
        future = None
        try:
            data, _ = await upload_bytes(request, config.max_upload_bytes)
            if not data:
                raise ApiError(400, "upload: empty file")
            job_id, path = await asyncio.to_thread(store.create, data)
            try:
                fps, frames = await asyncio.to_thread(probe_video, path, config.max_video_frames)
            except ApiError:
                shutil.rmtree(path.parent, ignore_errors=True)
                raise
            store.write(job_id, frames=frames, fps=fps, model=name)
            future = state["jobs_executor"].submit(track_video, store, job_id, path, lambda: registry.get(name)[0],
                                                   fps, config.max_video_frames)
            future.add_done_callback(lambda f: slot.leave())  # the job holds the slot until it ends
        finally:
            if future is None:  # refused or failed before the job started: give the slot back, error goes on
                slot.leave()
        return {"id": job_id, "status": "queued", "url": f"/v1/jobs/{job_id}", "frames": frames, "model": name}

    @app.get("/v1/jobs/{id}", summary="a tracking job's progress, and its tracks.json records once done")
    async def job(id: str):
        return await asyncio.to_thread(state["jobs"].read, id)

    @app.get("/v1/models", summary="the zoo, the models this server runs and those loaded")
    async def models():
        from ..estimators import PRETRAINED
        from ..zoo import PRESETS

        return {"default": registry.default, "allowed": list(registry.allowed), "loaded": dict(registry.loaded),
                "pretrained": {k: {"what": v[0], "paper": v[1]} for k, v in PRETRAINED.items()},
                "zoo": [{"name": p.name, "section": p.section, "paper": p.paper} for p in PRESETS.values()]}

    @app.get("/healthz", summary="liveness")
    async def healthz():
        return {"status": "ok", "version": __version__, "model": registry.default, "queue": admission.held}

    @app.get("/metrics", response_class=Response, summary="Prometheus text format")
    async def prometheus():
        text = metrics.render({
            "posekit_queue_depth": ("Image requests waiting or running.", admission.held),
            "posekit_queue_capacity": ("Most image requests waiting or running at once.", admission.capacity),
            "posekit_rejected_total": ("Requests refused with 503 because the queue was full.",
                                       admission.rejected + job_admission.rejected),
            "posekit_jobs_active": ("Tracking jobs queued or running.", job_admission.held)})
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/", response_class=Response, include_in_schema=False)
    async def page():
        return Response(_static("index.html"), media_type="text/html; charset=utf-8")

    @app.get("/docs", response_class=Response, include_in_schema=False)
    async def docs():
        # Swagger UI from the swagger-ui-bundle wheel (Apache-2.0), served here: no CDN, works offline
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="posekit API",
                                   swagger_js_url="/static/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui.css", swagger_favicon_url="/static/favicon.png")

    @app.get("/static/{name}", response_class=Response, include_in_schema=False)
    async def static(name: str):
        kinds = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
        swagger = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
                   "favicon.png": "image/png"}
        if name in swagger:
            return Response(_swagger(name), media_type=swagger[name])
        if name not in kinds:  # a fixed list: no path from the request reaches the file system
            raise ApiError(404, f"no static file {name!r}")
        return Response(_static(name), media_type=kinds[name])

    app.state.config, app.state.registry, app.state.metrics = config, registry, metrics
    app.state.admission, app.state.job_admission, app.state.serve = admission, job_admission, state
    return app


def _load_default(registry, barrier) -> None:
    registry.get(registry.default)
    barrier.wait()  # each thread holds one of these tasks until all have started: every thread loads its copy


def _static(name: str) -> bytes:
    return resources.files("posekit.serve").joinpath("static", name).read_bytes()


def _swagger(name: str) -> bytes:
    try:
        import swagger_ui_bundle
    except ImportError:  # pragma: no cover - part of the serve extra
        raise ApiError(404, "Swagger UI needs the swagger-ui-bundle package (pip install posekit[serve])") from None
    folder = Path(swagger_ui_bundle.swagger_ui_path)
    path = folder / ("favicon-32x32.png" if name == "favicon.png" else name)
    if not path.is_file():
        raise ApiError(404, f"no static file {name!r}")
    return path.read_bytes()


def app_from_env():
    """The application uvicorn's workers build (``--workers N``): its configuration from the environment."""
    return create_app(ServeConfig.from_env())
