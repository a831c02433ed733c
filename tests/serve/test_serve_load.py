"""A real ``posekit serve`` subprocess on 127.0.0.1 under concurrent clients (bench/serve_load.py's
code, for ~12 s): only 200, the garbage client's 400 and the documented 503; every answer is its
own image's; the server counted exactly the requests the clients saw; its memory stays flat."""
from __future__ import annotations

import importlib.util
import re

from tests.conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("serve_load", ROOT / "bench" / "serve_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_concurrent_clients_get_their_own_answers(tmp_path):
    import httpx

    bench = _bench()
    proc, url = bench.start_server("--queue-size", "3", "--torch-threads", "1", "--token", "t0ken",
                                     env={"TMPDIR": str(tmp_path)})
    assert [p.name[:14] for p in tmp_path.iterdir()] == ["posekit-serve-"]  # its temp dir, where it was told
    try:
        figures = bench.run_load(url, proc.pid, clients=5, seconds=12, token="t0ken")
        metrics = httpx.get(url + "/metrics", headers={"Authorization": "Bearer t0ken"}).text
        models = httpx.get(url + "/v1/models", headers={"Authorization": "Bearer t0ken"}).json()
    finally:
        bench.stop_server(proc)
    print(figures)
    assert figures["mismatches"] == []
    assert set(figures["statuses"]) <= {"200", "400", "503"}, figures["statuses"]
    assert figures["ok"] >= 10 and figures["statuses"].get("503", 0) > 0  # the queue filled and said so
    served = {s: int(n) for s, n in re.findall(r'posekit_requests_total\{method="POST",path="/v1/pose",'
                                             r'status="(\d+)"\} (\d+)', metrics)}
    seen = dict(figures["statuses"])
    seen["200"] = seen["200"] + len(figures["images"])  # the reference requests
    assert served == {s: n for s, n in seen.items()}  # nothing lost, nothing counted twice
    assert models["loaded"] == {"openpose-lightweight": 1}  # once per worker, however many requests
    assert figures["rss_max_mb"] - figures["rss_first_quarter_max_mb"] < 64, figures
    assert proc.returncode == 0
    assert list(tmp_path.iterdir()) == []  # the server's temp dir (jobs, uploads) is removed at exit
