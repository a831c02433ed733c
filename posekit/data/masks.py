"""COCO segmentations as pixel masks: polygons and run-length encodings (RLE).

The COCO format (Lin et al. "Microsoft COCO: Common Objects in Context". ECCV 2014; the cocoapi's
``maskApi.c``) stores an object's pixels either as polygons (lists of x, y in pixel-corner
coordinates) or as an RLE: column-major run lengths starting with a background run, as a list
(uncompressed, crowds) or as the cocoapi's compressed string. Used by the bottom-up loss masks
(crowds, unlabelled people) and by multi-task training's person-segmentation targets.
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["rle_decode", "rle_encode", "segmentation_mask"]


def rle_decode(rle: dict) -> np.ndarray:
    """A COCO RLE (uncompressed ``counts`` list, or the compressed string of the COCO API) as a bool mask (h, w)."""
    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, str):  # cocoapi maskApi.c rleFrString: 5-bit groups, continuation bit 0x20, deltas
        values, i, raw = [], 0, counts.encode()
        while i < len(raw):
            x, k, more = 0, 0, True
            while more:
                c = raw[i] - 48
                x |= (c & 0x1F) << (5 * k)
                more = bool(c & 0x20)
                i, k = i + 1, k + 1
                if not more and (c & 0x10):
                    x |= -1 << (5 * k)
            if len(values) > 2:
                x += values[-2]
            values.append(x)
        counts = values
    flat = np.zeros(h * w, bool)
    pos = 0
    for j, n in enumerate(counts):
        if j % 2:
            flat[pos:pos + n] = True
        pos += n
    return flat.reshape(w, h).T


def rle_encode(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE of a bool mask (H, W): run lengths in column-major order, zeros first."""
    flat = np.asarray(mask, bool).T.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def segmentation_mask(segmentation, height: int, width: int) -> np.ndarray | None:
    """The (height, width) bool mask of a COCO ``segmentation`` value: an RLE of that size, or
    polygons (each of at least 3 points) filled by OpenCV at pixel centres; None where there is
    nothing usable (missing, empty, an RLE of another size)."""
    if isinstance(segmentation, dict) and "counts" in segmentation:
        m = rle_decode(segmentation)
        return m if m.shape == (height, width) else None
    if isinstance(segmentation, list):
        polys = [np.round(np.asarray(p, np.float64).reshape(-1, 2) - 0.5).astype(np.int32)
                 for p in segmentation if isinstance(p, (list, tuple)) and len(p) >= 6]
        if polys:
            canvas = np.zeros((height, width), np.uint8)
            cv2.fillPoly(canvas, polys, 1)
            return canvas > 0
    return None
