"""MPII Human Pose annotations in the JSON form MMPose distributes.

MPII (Andriluka et al., "2D Human Pose Estimation: New Benchmark and State of the Art
Analysis", CVPR 2014): one record per person with 16 ``joints`` (x, y), ``joints_vis``
flags, the person's ``center`` and ``scale`` (box height / 200 px), and the ``image``
file name. The official evaluation normalises by a head box; records may carry one as
``headbox`` [x1, y1, x2, y2]. Without it, :func:`head_boxes` builds one whose PCKh
head size equals the upper-neck to head-top distance (a stand-in, documented as such).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import ValidationError
from ..fileio import read_json, write_json
from ..skeletons import MPII16
from ..structures import PoseSample
from .validate import mpii_problems

__all__ = ["load_mpii", "mpii_samples", "save_mpii", "head_boxes", "MPII_BOX_UNIT"]

MPII_BOX_UNIT = 200.0  # MPII's scale is the person's height in units of 200 pixels


def load_mpii(path: str | os.PathLike) -> list[PoseSample]:
    """One :class:`PoseSample` per record (MPII is annotated per person); image ids count from 1.

    Boxes are squares of side ``scale * 200`` centred on ``center``; visibility is 2 for
    visible joints and 0 otherwise (MPII's missing joints are marked by ``joints_vis = 0``).
    """
    return mpii_samples(read_json(path), path)


def mpii_samples(records: list, path: str | os.PathLike | None = None) -> list[PoseSample]:
    """:func:`load_mpii` of records already read (validated here)."""
    problems = mpii_problems(records, None if path is None else str(path))
    if problems:
        raise ValidationError(problems)
    out = []
    for i, r in enumerate(records):
        joints = np.asarray(r["joints"], np.float64).reshape(1, MPII16.num_keypoints, 2)
        vis = (np.asarray(r["joints_vis"]) > 0).astype(np.int64).reshape(1, -1) * 2
        side = float(r["scale"]) * MPII_BOX_UNIT
        cx, cy = r["center"]
        sample = PoseSample(image_id=i + 1, file_name=r["image"], width=0, height=0, keypoints=joints,
                            visibility=vis, boxes=np.array([[cx - side / 2, cy - side / 2, side, side]]),
                            ann_ids=np.array([i + 1]))
        sample.extra.update(center=[float(cx), float(cy)], scale=float(r["scale"]))
        if "headbox" in r:
            sample.extra["headbox"] = [float(v) for v in r["headbox"]]
        out.append(sample)
    return out


def save_mpii(samples: Sequence[PoseSample], path: str | os.PathLike) -> None:
    """Write samples (one person each, MPII-16 joints) in the same JSON form, atomically."""
    records = []
    for s in samples:
        for p in range(len(s)):
            x, y, w, h = s.boxes[p]
            rec = {"image": s.file_name, "joints": s.keypoints[p].tolist(),
                   "joints_vis": [int(v > 0) for v in s.visibility[p]],
                   "center": s.extra.get("center", [x + w / 2, y + h / 2]),
                   "scale": s.extra.get("scale", max(w, h) / MPII_BOX_UNIT)}
            if "headbox" in s.extra:
                rec["headbox"] = s.extra["headbox"]
            records.append(rec)
    write_json(path, records)


def head_boxes(samples: Sequence[PoseSample]) -> np.ndarray:
    """(N, 4) head boxes x1, y1, x2, y2, one per sample's first person.

    A sample's ``headbox`` is used when present; otherwise a square centred between
    upper neck and head top whose diagonal is that distance / 0.6, so that the MPII
    head size (0.6 * diagonal) equals the neck-to-top distance.
    """
    from ..oks import MPII_HEAD_SCALE

    neck, top = MPII16.index("upper_neck"), MPII16.index("head_top")
    out = []
    for s in samples:
        if "headbox" in s.extra:
            out.append(s.extra["headbox"])
            continue
        a, b = s.keypoints[0, neck], s.keypoints[0, top]
        half = np.linalg.norm(b - a) / MPII_HEAD_SCALE / np.sqrt(2) / 2
        c = (a + b) / 2
        out.append([c[0] - half, c[1] - half, c[0] + half, c[1] + half])
    return np.asarray(out, np.float64).reshape(len(out), 4)
