"""Drawing poses on images: skeleton limbs, keypoints above a score threshold, track ids.

Left limbs are drawn in blue, right limbs in orange and the midline in green, so
left/right mistakes show at a glance.
"""
from __future__ import annotations

import numpy as np

from .skeletons import Skeleton, get_skeleton
from .structures import PoseResult

__all__ = ["draw_poses", "track_colour", "side_colour", "limb_colour"]

_LEFT, _RIGHT, _MID = (66, 135, 245), (245, 140, 30), (40, 200, 90)  # RGB


def side_colour(name: str) -> tuple[int, int, int]:
    """RGB colour of a keypoint by its side: left blue, right orange, midline green."""
    return _LEFT if name.startswith("left") else _RIGHT if name.startswith("right") else _MID


def limb_colour(a: str, b: str) -> tuple[int, int, int]:
    """A limb takes its side's colour; a limb across the body is midline green."""
    return side_colour(a) if side_colour(a) == side_colour(b) else _MID


def track_colour(track_id: int) -> tuple[int, int, int]:
    """A stable, distinct colour per track id (golden-ratio hue steps)."""
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((track_id * 0.618033988749895) % 1.0, 0.75, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_poses(image: np.ndarray, result: PoseResult, threshold: float = 0.5, view: str | None = None,
               trails: dict | None = None, skeleton: Skeleton | str | None = None, boxes: bool = False) -> np.ndarray:
    """A copy of RGB ``image`` with ``result``'s people drawn.

    ``skeleton`` (or ``view``, e.g. 'coco17'): the keypoint set to draw, as
    :func:`posekit.data.results.keypoints_as` gives it; ``boxes`` adds each person's box and
    score. Keypoints below ``threshold`` and limbs with an end outside the image are not drawn.
    """
    import cv2

    from .data.results import keypoints_as

    out = np.ascontiguousarray(image.copy())
    target = skeleton if skeleton is not None else (view or result.skeleton)
    kps, scores = keypoints_as(result, target)
    skel: Skeleton = get_skeleton(target) if isinstance(target, str) else target
    scale = max(1, int(round(max(out.shape[:2]) / 640)))
    h, w = out.shape[:2]
    inside = lambda q: 0 <= q[0] < w and 0 <= q[1] < h  # noqa: E731
    for p in range(len(kps)):
        xy, s = kps[p], scores[p]
        tid = None if result.track_ids is None else int(result.track_ids[p])
        if boxes and result.boxes is not None and p < len(result.boxes):
            x, y, bw, bh = result.boxes[p]
            cv2.rectangle(out, (int(x), int(y)), (int(x + bw), int(y + bh)), (255, 255, 255), scale, cv2.LINE_AA)
            cv2.putText(out, f"{result.scores[p]:.2f}", (int(x) + 2, int(y) + 14 * scale), cv2.FONT_HERSHEY_SIMPLEX,
                        0.45 * scale, (255, 255, 255), scale, cv2.LINE_AA)
        for a, b in skel.limbs:
            if s[a] >= threshold and s[b] >= threshold and inside(xy[a]) and inside(xy[b]):
                cv2.line(out, tuple(np.round(xy[a]).astype(int)), tuple(np.round(xy[b]).astype(int)),
                         limb_colour(skel.names[a], skel.names[b]),
                         2 * scale, cv2.LINE_AA)
        for k in range(len(xy)):
            if s[k] >= threshold and inside(xy[k]):
                cv2.circle(out, tuple(np.round(xy[k]).astype(int)), 2 * scale + 1, side_colour(skel.names[k]), -1,
                           cv2.LINE_AA)
        if tid is not None and tid >= 0:
            colour = track_colour(tid)
            seen = xy[s >= threshold]
            if len(seen):
                x0, y0 = seen.min(0)
                cv2.putText(out, f"#{tid}", (int(x0), max(int(y0) - 6, 12)), cv2.FONT_HERSHEY_SIMPLEX,
                            0.6 * scale, colour, 2 * scale, cv2.LINE_AA)
            if trails is not None and tid in trails and len(trails[tid]) > 1:
                pts = np.round(np.array(trails[tid])).astype(np.int32).reshape(-1, 1, 2)
                cv2.polylines(out, [pts], False, colour, scale, cv2.LINE_AA)
    return out


CHART_COLOURS = [(200, 80, 20), (30, 140, 30), (30, 30, 200), (150, 60, 150), (20, 160, 200), (120, 120, 0),
                 (90, 90, 90), (200, 30, 140)]


def line_chart(xs, series: dict[str, list[float]], title: str, x_label: str, y_range: tuple[float, float] | None = None,
               size: tuple[int, int] = (800, 420), y_format: str = "{:.0f}") -> np.ndarray:
    """A line chart (BGR uint8 image, drawn with OpenCV): one coloured line per entry of
    ``series`` (name -> y per x of ``xs``), ticks at every x, a legend on the right."""
    import cv2

    w, h = size
    left, right, top, bottom = 70, 270, 40, 50
    img = np.full((h, w, 3), 255, np.uint8)
    xs = [float(x) for x in xs]
    ys = [v for vals in series.values() for v in vals if np.isfinite(v)]
    lo, hi = y_range if y_range is not None else (0.0, (max(ys) if ys else 1.0) * 1.1 or 1.0)
    x0, x1 = min(xs), max(max(xs), min(xs) + 1e-9)
    px = lambda v: int(left + (v - x0) / (x1 - x0) * (w - left - right))  # noqa: E731
    py = lambda v: int(h - bottom - (v - lo) / (hi - lo) * (h - top - bottom))  # noqa: E731
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (160, 160, 160), 1)
    cv2.putText(img, title, (left, 24), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for v in np.linspace(lo, hi, 5):
        cv2.putText(img, y_format.format(v), (8, py(v) + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    for x in xs:
        cv2.putText(img, f"{x:g}", (px(x) - 6, h - bottom + 18), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, x_label, (px(x1) - 8 * len(x_label), h - 10), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for k, (name, vals) in enumerate(series.items()):
        colour = CHART_COLOURS[k % len(CHART_COLOURS)]
        pts = np.array([[px(x), py(v)] for x, v in zip(xs, vals) if np.isfinite(v)], np.int32)
        if len(pts):
            cv2.polylines(img, [pts], False, colour, 2, cv2.LINE_AA)
            for p in pts:
                cv2.circle(img, (int(p[0]), int(p[1])), 4, colour, -1, cv2.LINE_AA)
        y = top + 20 + 22 * k
        cv2.line(img, (w - right + 10, y - 4), (w - right + 30, y - 4), colour, 2)
        cv2.putText(img, name, (w - right + 36, y), font, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return img
