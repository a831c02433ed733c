"""Request counts and a latency histogram, written in the Prometheus text exposition format
(version 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/).

``posekit_requests_total{method,path,status}`` counts the answered requests,
``posekit_request_seconds{path}`` is their latency histogram (cumulative ``_bucket`` lines with
``le``, then ``_sum`` and ``_count``), ``posekit_queue_depth`` / ``posekit_rejected_total`` the
queue. Paths are the routes' templates (``/v1/jobs/{id}``), so a client cannot grow the tables.
Each uvicorn worker counts its own requests.
"""
from __future__ import annotations

import bisect
import threading
from collections import defaultdict

__all__ = ["Metrics", "BUCKETS"]

# Prometheus client's default latency buckets (seconds), and two longer ones for video jobs.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, buckets: tuple[float, ...] = BUCKETS):
        self.buckets = tuple(buckets)
        self._lock = threading.Lock()
        self.counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self.hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(self.buckets) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        with self._lock:
            self.counts[(method, path, int(status))] += 1
            self.hist[path][bisect.bisect_left(self.buckets, seconds)] += 1  # le: upper bounds inclusive
            self.sums[path] += seconds

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        """The text exposition; ``gauges``: name -> (help, value) added after the histogram."""
        lines = ["# HELP posekit_requests_total Requests answered, by method, route and status.",
                 "# TYPE posekit_requests_total counter"]
        with self._lock:
            for (method, path, status), n in sorted(self.counts.items()):
                lines.append(f'posekit_requests_total{{method="{method}",path="{_escape(path)}",status="{status}"}} {n}')
            lines += ["# HELP posekit_request_seconds Request latency in seconds, by route.",
                      "# TYPE posekit_request_seconds histogram"]
            for path, counts in sorted(self.hist.items()):
                p, total = _escape(path), 0
                for le, n in zip([*map(_number, self.buckets), "+Inf"], counts):
                    total += n
                    lines.append(f'posekit_request_seconds_bucket{{path="{p}",le="{le}"}} {total}')
                lines.append(f'posekit_request_seconds_sum{{path="{p}"}} {self.sums[path]:.6f}')
                lines.append(f'posekit_request_seconds_count{{path="{p}"}} {total}')
        for name, (help_, value) in (gauges or {}).items():
            kind = "counter" if name.endswith("_total") else "gauge"
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"


def _number(v: float) -> str:
    return repr(float(v)) if float(v) != int(v) else str(int(v))


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
