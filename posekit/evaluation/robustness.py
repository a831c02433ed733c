"""Robustness to the survey's challenging conditions, summarised as the corruption benchmarks do.

Hendrycks & Dietterich ("Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations", ICLR 2019) score a model on every corruption kind at severities 1-5; for pose
(COCO-C, Wang et al. 2021, "When Human Pose Estimation Meets Robustness") the figures are:

- **AP per kind and severity**;
- **mAP_c**, the mean corruption AP: the mean over every (kind, severity) evaluated;
- **relative robustness** rR = mAP_c / AP_clean.

This module holds the table, its summary and the chart; ``posekit robustness`` fills it. Besides
AP on every labelled keypoint, each condition has ``AP_visible``: AP with the ground truth cut to
the keypoints that were visible (v = 2) before the corruption, so an occluder's covered joints
count in one and not the other.
"""
from __future__ import annotations

import numpy as np

__all__ = ["summarise", "visible_only", "chart", "table"]


def visible_only(gt: dict) -> dict:
    """A copy of COCO ground truth ``gt`` keeping only the keypoints labelled visible (v = 2)."""
    anns = []
    for a in gt["annotations"]:
        kp = np.asarray(a.get("keypoints", []), np.float64).reshape(-1, 3).copy()
        if len(kp):
            kp[kp[:, 2] != 2] = 0
        anns.append({**a, "keypoints": kp.reshape(-1).tolist(), "num_keypoints": int((kp[:, 2] > 0).sum())})
    return {**gt, "annotations": anns}


def summarise(clean: dict, conditions: list[dict]) -> dict:
    """``clean``: {"AP", "AP_visible"}; ``conditions``: rows {"kind", "severity", "AP", "AP_visible"}.
    Returns mAP_c and rR for both kinds of AP, and the mean AP per kind."""
    out: dict = {"AP_clean": clean["AP"], "AP_visible_clean": clean["AP_visible"]}
    for key, name in (("AP", "mAP_c"), ("AP_visible", "mAP_c_visible")):
        values = [c[key] for c in conditions]
        m = float(np.mean(values)) if values else float("nan")
        out[name] = m
        base = clean[key]
        out["rR" if key == "AP" else "rR_visible"] = m / base if base > 0 else float("nan")
    kinds = sorted({c["kind"] for c in conditions}, key=[c["kind"] for c in conditions].index)
    out["AP_per_kind"] = {k: float(np.mean([c["AP"] for c in conditions if c["kind"] == k])) for k in kinds}
    return out


def chart(clean_ap: float, conditions: list[dict], title: str) -> np.ndarray:
    """AP against severity (0 = clean), one line per corruption kind (BGR image)."""
    from ..visualize import line_chart

    severities = sorted({c["severity"] for c in conditions})
    kinds = sorted({c["kind"] for c in conditions}, key=[c["kind"] for c in conditions].index)
    by = {(c["kind"], c["severity"]): c["AP"] for c in conditions}
    series = {k: [clean_ap] + [by.get((k, s), float("nan")) for s in severities] for k in kinds}
    return line_chart([0, *severities], series, title, "severity", y_range=(0.0, max(1e-3, clean_ap) * 1.1),
                      y_format="{:.2f}")


def table(clean: dict, conditions: list[dict], summary: dict) -> str:
    """A plain-text table: AP (AP on originally visible keypoints) per kind and severity."""
    severities = sorted({c["severity"] for c in conditions})
    kinds = sorted({c["kind"] for c in conditions}, key=[c["kind"] for c in conditions].index)
    by = {(c["kind"], c["severity"]): c for c in conditions}
    lines = [f"{'kind':16s}" + "".join(f"{'sev ' + str(s):>16s}" for s in severities),
             f"{'clean':16s}{clean['AP']:>8.3f} ({clean['AP_visible']:.3f})"]
    for k in kinds:
        cells = [by.get((k, s)) for s in severities]
        lines.append(f"{k:16s}" + "".join(f"{c['AP']:>8.3f} ({c['AP_visible']:.3f})" if c else f"{'-':>16s}"
                                          for c in cells))
    lines.append(f"mAP_c {summary['mAP_c']:.3f}, rR {summary['rR']:.3f} "
                 f"(visible keypoints: {summary['mAP_c_visible']:.3f}, {summary['rR_visible']:.3f})")
    return "\n".join(lines)
