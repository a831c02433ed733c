"""The HTTP API in process (FastAPI TestClient over httpx): every endpoint, against the library's
own answer for the same image, and the documented status of every error."""
from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli
from tests.serve.conftest import COCO, make_client


def _close(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b) > 0
    for ra, rb in zip(a, b):
        np.testing.assert_allclose(ra["keypoints"], rb["keypoints"], atol=1e-3)
        np.testing.assert_allclose(ra["bbox"], rb["bbox"], atol=1e-3)
        assert ra["score"] == pytest.approx(rb["score"], rel=1e-5)


@pytest.mark.parametrize("path", COCO[:2], ids=lambda p: p.name)
def test_pose_matches_the_library(client, direct, path):
    r = client.post("/v1/pose", content=path.read_bytes(), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200
    body = r.json()
    ref, result, image = direct(path)
    _close(body["records"], ref)
    assert (body["width"], body["height"]) == (image.shape[1], image.shape[0])
    assert body["keypoint_names"][0] == "nose" and len(body["keypoint_names"]) == 17
    # "people" is the same content as "records", as (x, y) pairs and scores
    for person, rec in zip(body["people"], body["records"]):
        trip = np.asarray(rec["keypoints"]).reshape(17, 3)
        np.testing.assert_allclose(person["keypoints"], trip[:, :2], atol=1e-3)
        np.testing.assert_allclose(person["scores"], trip[:, 2], atol=1e-3)
        np.testing.assert_allclose(person["box"], rec["bbox"], atol=1e-3)
    assert set(body["timing"]) >= {"queue_ms", "decode_ms", "inference_ms", "total_ms"}
    assert body["timing"]["total_ms"] >= body["timing"]["inference_ms"] > 0


def test_multipart_equals_raw_body_and_infer_cli(client, tmp_path):
    path = COCO[1]
    raw = client.post("/v1/pose", content=path.read_bytes()).json()
    form = client.post("/v1/pose", files={"image": (path.name, path.read_bytes(), "image/jpeg")}).json()
    assert raw["records"] == form["records"]
    run_cli("infer", path, "--out", tmp_path / "out", "--no-overlays", check=True)
    infer = json.loads((tmp_path / "out" / "results.json").read_text())
    _close(raw["records"], infer)  # the records `posekit infer` writes (its image_id aside)


def test_overlay_is_infers_drawing(client, direct):
    from posekit.visualize import draw_poses

    path = COCO[0]
    r = client.post("/v1/pose/overlay", content=path.read_bytes())
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    got = cv2.cvtColor(cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    _, result, image = direct(path)
    want = draw_poses(image, result, 0.5, skeleton="coco17")
    assert int(r.headers["x-posekit-people"]) == len(result.scores)
    assert np.array_equal(got, want)
    assert not np.array_equal(got, image)  # something was drawn


def _png(array: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", array)
    return data.tobytes()


def _converted_inputs():
    rgb = np.asarray(Image.open(COCO[0]).convert("RGB"))
    bgr = rgb[:, :, ::-1]
    sixteen = _png(bgr.astype(np.uint16) << 8)  # 16-bit PNG whose high bytes are the image
    rgba = _png(np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)]))
    # EXIF orientation 6 (rotate 90 degrees clockwise to view): the stored pixels are the image
    # turned counter-clockwise, so the viewed image is the original
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(rgb, 1)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=100, exif=exif.tobytes())
    return {"16-bit": (sixteen, rgb), "alpha dropped": (rgba, rgb),
            "EXIF-rotated": (buf.getvalue(), np.asarray(Image.open(io.BytesIO(buf.getvalue())).transpose(
                Image.Transpose.ROTATE_270)))}


@pytest.mark.parametrize("note", ["16-bit", "alpha dropped", "EXIF-rotated"])
def test_converted_images_give_the_plain_images_answer(client, direct, note):
    data, plain = _converted_inputs()[note]
    r = client.post("/v1/pose", content=data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert note in body["notes"]
    assert (body["height"], body["width"]) == plain.shape[:2]
    ref, _, _ = direct(plain)
    _close(body["records"], ref)


def _truncated() -> bytes:
    data = COCO[0].read_bytes()
    return data[: len(data) // 3]


BAD = {
    "not an image": (b"just some text, no image " * 40, 400, "unreadable"),
    "a GIF header claiming a huge image": (b"GIF89a? no, just text " * 40, 413, "too large"),
    "truncated": (_truncated(), 400, "truncated"),
    "zero-size": (b"", 400, "empty"),
    "a video": (None, 400, "unreadable"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_images_get_a_one_line_4xx_and_serving_goes_on(client, case):
    from tests.serve.conftest import VIDEO

    data, status, word = BAD[case]
    data = VIDEO.read_bytes() if data is None else data
    r = client.post("/v1/pose", content=data)
    assert r.status_code == status
    error = r.json()["error"]
    assert word in error and "\n" not in error and "0x" not in error
    assert client.post("/v1/pose", content=COCO[0].read_bytes()).status_code == 200


def test_limits_upload_size_and_pixels():
    big = np.zeros((1200, 1000, 3), np.uint8)  # 1.2 million pixels, a few kB as PNG
    with make_client(max_upload_bytes=50_000, max_pixels=1_000_000) as c:
        r = c.post("/v1/pose", content=COCO[0].read_bytes())  # ~ 150 kB
        assert r.status_code == 413 and "over the limit of 50,000 bytes" in r.json()["error"]
        r = c.post("/v1/pose", files={"image": ("x.jpg", COCO[0].read_bytes(), "image/jpeg")})
        assert r.status_code == 413
        r = c.post("/v1/pose", content=_png(big))
        assert r.status_code == 413 and "1000x1200 is too large" in r.json()["error"]
        r = c.post("/v1/pose", content=_png(big[:900]))
        assert r.status_code == 200 and r.json()["people"] == []


def test_bad_queries_and_forms(client, image_bytes):
    cases = [("/v1/pose?threshold=2", 422, "threshold"), ("/v1/pose?accurate=maybe", 422, "accurate"),
             ("/v1/pose?model=/etc/passwd", 400, "unknown model"), ("/v1/pose?model=hrnet-w32", 400, "unknown model")]
    for url, status, word in cases:
        r = client.post(url, content=image_bytes)
        assert r.status_code == status and word in r.json()["error"], (url, r.text)
    r = client.post("/v1/pose", data={"name": "x"}, files={})
    assert r.status_code == 400
    r = client.post("/v1/pose", data={"name": "x"}, headers={"Content-Type": "multipart/form-data; boundary=zz"})
    assert r.status_code == 400 and "\n" not in r.json()["error"]
    assert client.get("/v1/pose").status_code == 405
    assert client.get("/nowhere").json() == {"error": "Not Found"}


def test_threshold_and_model_options(client, image_bytes):
    low = client.post("/v1/pose/overlay?threshold=0.0", content=image_bytes).content
    high = client.post("/v1/pose/overlay?threshold=1.0", content=image_bytes).content
    assert low != high  # a threshold of 1 draws no keypoint
    body = client.post("/v1/pose?model=openpose-lightweight&threshold=0.3", content=image_bytes).json()
    assert body["model"] == "openpose-lightweight" and body["threshold"] == 0.3


def test_queue_full_is_503_with_retry_after(image_bytes):
    with make_client(queue_size=1) as c:
        slot = c.app.state.admission.enter()  # the one place is taken
        try:
            r = c.post("/v1/pose", content=image_bytes)
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert "server busy" in r.json()["error"]
        finally:
            slot.leave()
        assert c.post("/v1/pose", content=image_bytes).status_code == 200
        assert c.app.state.admission.held == 0
        assert "posekit_rejected_total 1" in c.get("/metrics").text


def test_request_timeout_is_504_and_the_server_goes_on(image_bytes):
    with make_client(timeout_s=0.001) as c:
        r = c.post("/v1/pose", content=image_bytes)
        assert r.status_code == 504 and "took over" in r.json()["error"]
        assert c.get("/healthz").status_code == 200
        assert c.app.state.admission.held == 0


def test_token_is_required_and_compared_in_constant_time(monkeypatch, image_bytes):
    import hmac

    import posekit.serve.app as app_module

    seen, real = [], hmac.compare_digest

    def compare(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(app_module.hmac, "compare_digest", compare)
    with make_client(token="s3cret") as c:
        assert c.post("/v1/pose", content=image_bytes).status_code == 401
        r = c.post("/v1/pose", content=image_bytes, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "token" in r.json()["error"]
        assert c.get("/metrics").status_code == 401 and c.get("/v1/models").status_code == 401
        assert c.post("/v1/pose", content=image_bytes, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/v1/models", headers={"X-Posekit-Token": "s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # open: no data in them
    assert (b"wrong", b"s3cret") in seen and (b"s3cret", b"s3cret") in seen


def test_models_healthz_and_docs(client):
    from posekit.zoo import PRESETS

    models = client.get("/v1/models").json()
    assert models["default"] == "openpose-lightweight"
    assert models["loaded"] == {"openpose-lightweight": 1}  # loaded once, at start-up
    assert set(models["allowed"]) == {"openpose-lightweight", "blazepose-full"}
    assert [z["name"] for z in models["zoo"]] == list(PRESETS)
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert {"/v1/pose", "/v1/pose/overlay", "/v1/track", "/v1/jobs/{id}", "/v1/models", "/healthz",
            "/metrics"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/v1/pose"]["post"]["requestBody"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    # the Swagger UI comes from this server (the swagger-ui-bundle wheel), not a CDN: /docs works offline
    assert "https://" not in docs.text and "http://" not in docs.text
    for asset in ("/static/swagger-ui-bundle.js", "/static/swagger-ui.css"):
        assert asset in docs.text
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 10_000


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text and "<canvas" in page.text
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "/v1/pose" in script.text and "/v1/track" in script.text
    for text in (page.text, script.text):  # nothing fetched from another site
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert client.get("/static/..%2Fapp.py").status_code == 404
    assert client.get("/static/../app.py").status_code in (404, 405)
