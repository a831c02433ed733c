"""Keypoint-convention calibration: a per-keypoint offset in each person's own frame.

A pretrained model's keypoints follow its own annotators' rules (BlazePose's hips,
shoulders and ears need not sit where COCO's annotators put them). Survey section 3
(domain adaptation): fit, on annotations of the target convention, the mean offset
of each keypoint from the model's prediction, expressed in the person's frame
(origin at the hip centre, x along the hips-to-shoulders axis turned a quarter,
unit = the torso length), and add it back at inference. A robust (median) fit over
people whose torso is visible in both.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..fileio import read_json, write_json
from ..skeletons import COCO17

__all__ = ["KeypointCalibration", "person_frames", "fit_calibration", "BUNDLED"]

BUNDLED = Path(__file__).parent / "data" / "blazepose_coco17_calibration.json"

_LS, _RS, _LH, _RH = (COCO17.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))


def person_frames(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin (N, 2), unit axes (N, 2, 2) (rows: x, y) and scale (N,) of each COCO-17 pose."""
    hip = (kp[:, _LH] + kp[:, _RH]) / 2
    up = (kp[:, _LS] + kp[:, _RS]) / 2 - hip
    scale = np.linalg.norm(up, axis=1)
    y = -up / np.maximum(scale, 1e-9)[:, None]  # image y grows downwards: the body's "down"
    x = np.stack([y[:, 1], -y[:, 0]], axis=1)  # y turned a quarter: right for an upright person
    return hip, np.stack([x, y], axis=1), scale


@dataclass
class KeypointCalibration:
    """``offsets`` (17, 2) in torso units in the person's frame."""

    offsets: np.ndarray
    fitted_on: str = ""
    people: int = 0

    def apply(self, keypoints: np.ndarray) -> np.ndarray:
        """Corrected COCO-17 keypoints (N, 17, 2)."""
        kp = np.asarray(keypoints, np.float64)
        if len(kp) == 0:
            return kp.copy()
        origin, axes, scale = person_frames(kp)
        shift = np.einsum("kc,ncd->nkd", self.offsets, axes) * scale[:, None, None]
        return kp + np.where(scale[:, None, None] > 0, shift, 0)

    def save(self, path: str | os.PathLike) -> None:
        write_json(path, {"skeleton": COCO17.name, "offsets": self.offsets.round(5).tolist(),
                          "fitted_on": self.fitted_on, "people": self.people}, indent=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "KeypointCalibration":
        """A file from ``posekit calibrate``, or ``"coco"``: the one bundled with posekit (BlazePose
        to COCO's convention, fitted on 53 people of coco_mini train2017: 30 COCO photos with their
        official keypoints, not the whole of COCO train2017)."""
        if str(path) == "coco":
            path = BUNDLED
        d = read_json(path)
        try:
            offsets = np.asarray(d["offsets"], np.float64)
        except (KeyError, TypeError, ValueError):
            raise DataError("not a posekit calibration file", str(path), None, "offsets") from None
        if offsets.shape != (COCO17.num_keypoints, 2) or not np.isfinite(offsets).all():
            raise DataError(f"offsets must be 17 finite (x, y) pairs, got shape {offsets.shape}", str(path),
                            None, "offsets")
        return cls(offsets, d.get("fitted_on", ""), int(d.get("people", 0)))


def fit_calibration(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray, source: str = "",
                    max_error: float = 0.5) -> KeypointCalibration:
    """Median offsets from paired predictions and annotations, (N, 17, 2) each, ``visible`` (N, 17).

    The frame comes from the prediction. Pairs further apart than ``max_error`` torso lengths
    say nothing about the convention (a failed keypoint, a swapped side) and are left out.
    """
    origin, axes, scale = person_frames(pred)
    ok = scale > 1
    if ok.sum() < 5:
        raise DataError(f"only {int(ok.sum())} people with a measurable torso to fit on (need 5)", source)
    local = np.einsum("nkd,ncd->nkc", gt[ok] - pred[ok], axes[ok]) / scale[ok][:, None, None]
    use = visible[ok] & (np.linalg.norm(local, axis=-1) < max_error)
    offsets = np.zeros((COCO17.num_keypoints, 2))
    for k in range(COCO17.num_keypoints):
        if use[:, k].sum() >= 3:
            offsets[k] = np.median(local[use[:, k], k], axis=0)
    return KeypointCalibration(offsets, source, int(ok.sum()))
