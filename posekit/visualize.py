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
               trails: dict | None = None) -> np.ndarray:
    """A copy of RGB ``image`` with ``result``'s people drawn (``view``: e.g. 'coco17')."""
    import cv2

    out = np.ascontiguousarray(image.copy())
    name = view or result.skeleton
    kps, scores = (result.keypoints, result.keypoint_scores) if name == result.skeleton else result.views[name]
    skel: Skeleton = get_skeleton(name)
    scale = max(1, int(round(max(out.shape[:2]) / 640)))
    for p in range(len(kps)):
        xy, s = kps[p], scores[p]
        tid = None if result.track_ids is None else int(result.track_ids[p])
        for a, b in skel.limbs:
            if s[a] >= threshold and s[b] >= threshold:
                cv2.line(out, tuple(np.round(xy[a]).astype(int)), tuple(np.round(xy[b]).astype(int)),
                         limb_colour(skel.names[a], skel.names[b]),
                         2 * scale, cv2.LINE_AA)
        for k in range(len(xy)):
            if s[k] >= threshold:
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
