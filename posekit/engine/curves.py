"""Run logs: ``log.csv`` (one row per epoch), ``steps.csv`` (loss and lr every few steps) and
``curve.png``, the training loss and the validation metric drawn with OpenCV."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import cv2
import numpy as np

from ..fileio import write_bytes

__all__ = ["append_csv", "read_csv", "truncate_csv", "plot_curves"]


def append_csv(path: str | os.PathLike, row: dict) -> None:
    """Append ``row``, rewriting the file atomically (with a header made of every key seen so far)."""
    rows = read_csv(path) + [row]
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_bytes(path, buf.getvalue().encode())


def truncate_csv(path: str | os.PathLike, step: int) -> None:
    """Drop the rows logged after optimisation step ``step`` (and duplicates of a step), so a resumed
    run does not log twice what it redoes."""
    rows = read_csv(path)
    keep, seen = [], set()
    for r in rows:
        s = int(float(r["step"]))
        if s <= step and s not in seen:
            keep.append(r)
            seen.add(s)
    if len(keep) == len(rows):
        return
    if not keep:
        Path(path).unlink()
        return
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(keep)
    write_bytes(path, buf.getvalue().encode())


def read_csv(path: str | os.PathLike) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _panel(xs, ys, title: str, size=(480, 300), log=False) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), 255, np.uint8)
    left, right, top, bottom = 60, 15, 28, 30
    cv2.putText(img, title, (left, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (160, 160, 160), 1)
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(ys) & (ys > 0 if log else True)
    xs, ys = xs[ok], ys[ok]
    if len(xs) == 0:
        return img
    yv = np.log10(ys) if log else ys
    x0, x1 = xs.min(), max(xs.max(), xs.min() + 1e-9)
    y0, y1 = yv.min(), max(yv.max(), yv.min() + 1e-9)
    px = left + (xs - x0) / (x1 - x0) * (w - left - right)
    py = h - bottom - (yv - y0) / (y1 - y0) * (h - top - bottom)
    pts = np.stack([px, py], 1).round().astype(np.int32)
    cv2.polylines(img, [pts], False, (200, 80, 20), 2, cv2.LINE_AA)
    if len(pts) < 30:
        for p in pts:
            cv2.circle(img, tuple(int(v) for v in p), 3, (200, 80, 20), -1, cv2.LINE_AA)
    fmt = (lambda v: f"{10 ** v:.3g}") if log else (lambda v: f"{v:.3g}")
    for v, y in ((y1, top), (y0, h - bottom)):
        cv2.putText(img, fmt(v), (4, int(y) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    for v, x in ((x0, left), (x1, w - right - 30)):
        cv2.putText(img, f"{v:g}", (int(x), h - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def plot_curves(run_dir: str | os.PathLike, metric: str) -> Path:
    """Draw ``curve.png`` in ``run_dir``: training loss per step (log scale) and ``metric`` per epoch."""
    d = Path(run_dir)
    steps, epochs = read_csv(d / "steps.csv"), read_csv(d / "log.csv")
    loss = _panel([float(r["step"]) for r in steps], [float(r["loss"]) for r in steps], "training loss (log) vs step",
                  log=True)
    vals = [(float(r["epoch"]), float(r[metric])) for r in epochs if r.get(metric) not in (None, "")]
    val = _panel([v[0] for v in vals], [v[1] for v in vals], f"validation {metric} vs epoch")
    ok, png = cv2.imencode(".png", np.concatenate([loss, val], axis=1))
    write_bytes(d / "curve.png", png.tobytes())
    return d / "curve.png"
