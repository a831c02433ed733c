"""Tracking jobs against ``posekit track`` on the same video, the Prometheus text against counts
made by hand, and the temp dir the uploads live in."""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.serve.conftest import COCO, VIDEO, make_client


def _wait(client, job_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(f"/v1/jobs/{job_id}").json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not done in {seconds} s: {state}")


def test_track_job_equals_posekit_track(tmp_path):
    with make_client() as c:
        r = c.post("/v1/track", files={"video": (VIDEO.name, VIDEO.read_bytes(), "video/mp4")})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["url"] == f"/v1/jobs/{job['id']}" and job["frames"] == 5 and job["model"] == "blazepose-full"
        state = _wait(c, job["id"])
        assert state["status"] == "done", state
        result = state["result"]
        assert result["frames"] == state["frames_done"] == 5 and (result["width"], result["height"]) == (1280, 720)
        folder = c.app.state.serve["jobs"].root / job["id"]
        assert not (folder / "upload.mp4").exists()  # the upload is deleted once tracked
        root = c.app.state.serve["jobs"].root
    assert not root.exists()  # the server's temp dir is removed at shutdown
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))  # one thread, as the server's: the same floats
    subprocess.run([sys.executable, "-m", "posekit", "track", str(VIDEO), "--out", str(tmp_path / "t"), "--no-overlay"],
                   check=True, env=env, cwd=ROOT, capture_output=True)
    want = json.loads((tmp_path / "t" / "tracks.json").read_text())
    got = result["tracks"]
    assert len(got) == len(want) > 0 and result["tracks_count"] == len({r["track_id"] for r in want})
    for a, b in zip(got, want):
        assert (a["frame_id"], a["track_id"]) == (b["frame_id"], b["track_id"])
        assert a["keypoints"] == pytest.approx(b["keypoints"], abs=1e-3)
        assert a["bbox"] == pytest.approx(b["bbox"], abs=1e-3)


def test_bad_videos_and_job_ids(client):
    r = client.post("/v1/track", content=b"no video here, just text " * 100)
    assert r.status_code == 400 and "not a video" in r.json()["error"]
    assert client.post("/v1/track", content=b"").status_code == 400
    for bad in ("0123456789abcdef", "..", "..%2F..%2Fetc", "x" * 16):
        r = client.get(f"/v1/jobs/{bad}")
        assert r.status_code == 404 and "error" in r.json()
    root = client.app.state.serve["jobs"].root
    assert list(root.iterdir()) == []  # refused uploads leave nothing behind
    assert client.app.state.job_admission.held == 0


def test_job_queue_full_is_503():
    with make_client(job_queue_size=1) as c:
        slot = c.app.state.job_admission.enter()
        try:
            r = c.post("/v1/track", content=VIDEO.read_bytes())
            assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
        finally:
            slot.leave()


def test_histogram_buckets_by_hand():
    from posekit.serve.metrics import Metrics

    m = Metrics(buckets=(0.01, 0.1, 1.0))
    for s in (0.001, 0.01, 0.05, 0.1, 0.5, 3.0):  # le is inclusive: 0.01 and 0.1 fall in their own buckets
        m.observe("POST", "/v1/pose", 200, s)
    m.observe("POST", "/v1/pose", 400, 0.002)
    text = m.render({"posekit_queue_depth": ("help", 2)})
    assert 'posekit_requests_total{method="POST",path="/v1/pose",status="200"} 6' in text
    assert 'posekit_requests_total{method="POST",path="/v1/pose",status="400"} 1' in text
    buckets = dict(re.findall(r'posekit_request_seconds_bucket\{path="/v1/pose",le="([^"]+)"\} (\d+)', text))
    assert buckets == {"0.01": "3", "0.1": "5", "1": "6", "+Inf": "7"}
    assert 'posekit_request_seconds_count{path="/v1/pose"} 7' in text
    total = float(re.search(r'posekit_request_seconds_sum\{path="/v1/pose"\} (\S+)', text).group(1))
    assert total == pytest.approx(0.001 + 0.01 + 0.05 + 0.1 + 0.5 + 3.0 + 0.002, abs=1e-6)
    assert "# TYPE posekit_request_seconds histogram" in text and "posekit_queue_depth 2" in text


def test_metrics_endpoint_counts_the_requests():
    with make_client() as c:
        for _ in range(2):
            c.post("/v1/pose", content=COCO[0].read_bytes())
        c.post("/v1/pose", content=b"nope")
        c.get("/v1/jobs/0123456789abcdef")
        c.get("/healthz")
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    counts = {(m, p, s): int(n) for m, p, s, n in
              re.findall(r'posekit_requests_total\{method="(\w+)",path="([^"]+)",status="(\d+)"\} (\d+)', r.text)}
    assert counts == {("POST", "/v1/pose", "200"): 2, ("POST", "/v1/pose", "400"): 1,
                      ("GET", "/v1/jobs/{id}", "404"): 1, ("GET", "/healthz", "200"): 1}
    inf = re.search(r'posekit_request_seconds_bucket\{path="/v1/pose",le="\+Inf"\} (\d+)', r.text)
    assert int(inf.group(1)) == 3
    lines = [l for l in r.text.splitlines() if l.startswith('posekit_request_seconds_bucket{path="/v1/pose"')]
    values = [int(l.rsplit(" ", 1)[1]) for l in lines]
    assert values == sorted(values)  # cumulative


def test_serve_without_the_extra_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    fake = tmp_path / "fastapi"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'fastapi'\", name='fastapi')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    proc = subprocess.run([sys.executable, "-m", "posekit", "serve"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install posekit[serve]" in lines[0] and "fastapi" in lines[0]


def test_docs_figures_come_from_the_bench_json():
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "serve.md").read_text()
    files = sorted((ROOT / "bench" / "results").glob("serve_load*.json"))
    assert len(files) == 2
    for path in files:
        f = json.loads(path.read_text())
        row = next(line for line in doc.splitlines() if line.startswith("| `" + f["command"].strip() + "`"))
        assert f"| {f['clients']} | {f['throughput_per_s']} | {f['latency_p50_ms']:.0f} ms | " \
               f"{f['latency_p99_ms']:.0f} ms |" in row, (row, f)
        assert f"{f['statuses']['200']} x 200" in row and f["mismatches"] == []
        assert f"max {f['rss_max_mb']:.0f} MB" in row


def test_a_refused_start_leaves_no_temp_dir(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp))
    proc = subprocess.run([sys.executable, "-m", "posekit", "serve", "--model", str(tmp_path / "none.safetensors")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.startswith("posekit serve: error: ") and "none.safetensors" in proc.stderr
    assert list(tmp.iterdir()) == []
