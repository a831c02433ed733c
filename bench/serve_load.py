"""Load test of a real ``posekit serve``: throughput, p50/p99 latency, status counts, crossed
responses and the server's memory under N concurrent clients.

    python bench/serve_load.py [--clients 6] [--seconds 15] [--queue-size 4] [--torch-threads 1]

Starts ``python -m posekit serve`` on 127.0.0.1 at a free port, takes each test image's answer
from one request alone (the reference), then runs ``--clients`` threads that each post the real
COCO images of ``data/mmpose_tests/coco`` in turn for ``--seconds`` (one more client posts bytes
that are no image). Every 200 answer is compared with its image's reference (a crossed or lost
answer is a mismatch); 503s (queue full) are retried after a short pause. The server's RSS is
sampled from /proc every 0.25 s. Prints the figures and writes ``bench/results/serve_load.json``.
tests/serve/test_load.py runs the same code for a shorter time.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = sorted((ROOT / "data" / "mmpose_tests" / "coco").glob("*.jpg"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*args: str, env: dict | None = None, wait_s: float = 90.0):
    """A ``posekit serve`` subprocess on a free port of 127.0.0.1 and its base URL, once /healthz answers."""
    import httpx

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "posekit", "serve", "--port", str(port), "--log-level", "warning",
                             *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"posekit serve exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"posekit serve did not answer /healthz within {wait_s:.0f} s")


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def same_people(a: list[dict], b: list[dict], tol: float = 1e-3) -> bool:
    """The same records (keypoints, boxes, scores) within ``tol``, in the same order."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for key in ("keypoints", "bbox"):
            if len(ra[key]) != len(rb[key]) or any(abs(x - y) > tol for x, y in zip(ra[key], rb[key])):
                return False
        if abs(ra["score"] - rb["score"]) > tol:
            return False
    return True


def run_load(url: str, pid: int, clients: int = 6, seconds: float = 15.0, images=IMAGES, token: str | None = None) -> dict:
    import httpx
    import numpy as np

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    bodies = [(p.name, p.read_bytes()) for p in images]
    reference = {}
    with httpx.Client(timeout=60, headers=headers) as c:
        for name, body in bodies:
            r = c.post(url + "/v1/pose", content=body)
            r.raise_for_status()
            reference[name] = r.json()["records"]
    rss_start = rss_mb(pid)
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    mismatches: list[str] = []
    rss: list[tuple[float, float]] = []
    t0 = time.monotonic()

    def count(status: int) -> None:
        with lock:
            statuses[str(status)] = statuses.get(str(status), 0) + 1

    def client(k: int) -> None:
        with httpx.Client(timeout=60, headers=headers) as c:
            n = k
            while time.monotonic() < stop:
                name, body = bodies[n % len(bodies)]
                n += 1
                start = time.perf_counter()
                try:
                    r = c.post(url + "/v1/pose", content=body, headers={"Content-Type": "image/jpeg"})
                except httpx.HTTPError as e:
                    with lock:
                        mismatches.append(f"{name}: {type(e).__name__}: {e}")
                    continue
                elapsed = time.perf_counter() - start
                count(r.status_code)
                if r.status_code == 200:
                    with lock:
                        latencies.append(elapsed)
                    if not same_people(r.json()["records"], reference[name]):
                        with lock:
                            mismatches.append(f"{name}: the answer is not this image's")
                elif r.status_code == 503:
                    time.sleep(min(float(r.headers.get("Retry-After", 1)), 1) * 0.2)

    def bad_client() -> None:  # bytes that are no image, all along: 400 each, and nothing else breaks
        with httpx.Client(timeout=60, headers=headers) as c:
            while time.monotonic() < stop:
                r = c.post(url + "/v1/pose", content=b"\xff\xd8\xff not really a jpeg" * 50)
                count(r.status_code)
                if r.status_code not in (400, 503):
                    with lock:
                        mismatches.append(f"garbage got {r.status_code}")
                time.sleep(0.1)

    def sampler() -> None:
        while time.monotonic() < stop + 0.5:
            rss.append((time.monotonic() - t0, rss_mb(pid)))
            time.sleep(0.25)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    threads += [threading.Thread(target=bad_client), threading.Thread(target=sampler)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    lat = np.array(latencies) if latencies else np.array([np.nan])
    values = [v for _, v in rss]
    quarter = max(1, len(values) // 4)
    return {"clients": clients, "seconds": round(wall, 2), "ok": len(latencies),
            "throughput_per_s": round(len(latencies) / wall, 2),
            "latency_p50_ms": round(float(np.percentile(lat, 50)) * 1000, 1),
            "latency_p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1),
            "statuses": dict(sorted(statuses.items())), "mismatches": mismatches,
            "rss_start_mb": round(rss_start, 1), "rss_first_quarter_max_mb": round(max(values[:quarter]), 1),
            "rss_max_mb": round(max(values), 1), "rss_end_mb": round(values[-1], 1),
            "images": [p.name for p in images]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--queue-size", type=int, default=4)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "serve_load.json"))
    args = p.parse_args()
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine slows the server
    proc, url = start_server("--queue-size", str(args.queue_size), "--torch-threads", str(args.torch_threads),
                             "--threads", str(args.threads))
    try:
        figures = run_load(url, proc.pid, args.clients, args.seconds)
    finally:
        stop_server(proc)
    figures.update(queue_size=args.queue_size, torch_threads=args.torch_threads, threads=args.threads,
                   load_average_1min_before=load_before,
                   cpus=os.cpu_count(), command="python bench/serve_load.py " + " ".join(sys.argv[1:]))
    print(f"{figures['ok']} answers in {figures['seconds']} s: {figures['throughput_per_s']} images/s, "
          f"p50 {figures['latency_p50_ms']} ms, p99 {figures['latency_p99_ms']} ms; statuses {figures['statuses']}; "
          f"{len(figures['mismatches'])} mismatches; RSS {figures['rss_start_mb']} -> max {figures['rss_max_mb']} MB")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
