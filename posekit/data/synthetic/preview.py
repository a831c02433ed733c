"""A contact sheet of samples with their ground-truth skeletons, for a person to look at.

Limbs take posekit's overlay colours (:mod:`posekit.visualize`: left blue, right orange, midline green); visible keypoints (v=2) are
filled dots, hidden ones (v=1) hollow rings; the box is thin white; crowd regions are tinted.
"""
from __future__ import annotations

import cv2
import numpy as np

from ...skeletons import COCO17
from ...visualize import limb_colour, side_colour

__all__ = ["draw_ground_truth", "contact_sheet"]

def draw_ground_truth(image: np.ndarray, keypoints: np.ndarray, visibility: np.ndarray,
                      boxes: np.ndarray | None = None, crowd_masks=()) -> np.ndarray:
    """A copy of ``image`` (H, W, 3) RGB with skeletons (N, 17, 2), visibility (N, 17) and boxes drawn."""
    out = image.copy()
    for m in crowd_masks:
        out[m] = (0.5 * out[m] + 0.5 * np.array([255, 0, 255])).astype(np.uint8)
    names = COCO17.names
    th = max(1, round(min(image.shape[:2]) / 200))
    for i in range(len(keypoints)):
        if boxes is not None:
            x, y, w, h = boxes[i]
            cv2.rectangle(out, (int(x), int(y)), (int(x + w) - 1, int(y + h) - 1), (255, 255, 255), 1)
        kp, v = keypoints[i], visibility[i]
        for a, b in COCO17.limbs:
            if v[a] > 0 and v[b] > 0:
                cv2.line(out, _p(kp[a]), _p(kp[b]), limb_colour(names[a], names[b]), th, cv2.LINE_AA, 4)
        for k in range(len(kp)):
            if v[k] == 2:
                cv2.circle(out, _p(kp[k]), 3 * 16 * th // 2, side_colour(names[k]), -1, cv2.LINE_AA, 4)
            elif v[k] == 1:
                cv2.circle(out, _p(kp[k]), 3 * 16 * th // 2, side_colour(names[k]), 1, cv2.LINE_AA, 4)
    return out


def _p(xy) -> tuple[int, int]:
    return int(round((xy[0] - 0.5) * 16)), int(round((xy[1] - 0.5) * 16))


def contact_sheet(tiles: list[np.ndarray], columns: int = 4, tile_height: int = 240) -> np.ndarray:
    """Tiles (RGB, any sizes) scaled to ``tile_height`` and laid out in a grid, 4 px apart."""
    scaled = [cv2.resize(t, (max(1, round(t.shape[1] * tile_height / t.shape[0])), tile_height),
                         interpolation=cv2.INTER_AREA) for t in tiles]
    cw = max(t.shape[1] for t in scaled)
    rows = (len(scaled) + columns - 1) // columns
    sheet = np.full((rows * (tile_height + 4) + 4, min(columns, len(scaled)) * (cw + 4) + 4, 3), 32, np.uint8)
    for i, t in enumerate(scaled):
        r, c = divmod(i, columns)
        y, x = 4 + r * (tile_height + 4), 4 + c * (cw + 4)
        sheet[y:y + tile_height, x:x + t.shape[1]] = t
    return sheet
