"""The two suppressions of the human-centre regression decoders (DEKR, Geng et al. CVPR 2021; SPM, Nie
et al. ICCV 2019): peaks of a centre (root) heatmap, and pose NMS over the regressed people.

**Centre peaks** (DEKR's ``get_maximum_from_heatmap``): a cell is a peak when it equals the maximum of
its ``kernel`` x ``kernel`` neighbourhood; the ``top_k`` highest above ``threshold`` are kept (DEKR's
``MAX_NUM_PEOPLE = 30`` and ``KEYPOINT_THRESHOLD = 0.01``). DEKR's ``hierarchical_pool`` picks a 3, 5 or
7 kernel by the map size; posekit takes the kernel as a parameter.

**Pose NMS** (DEKR's ``nms_core``): two poses are duplicates when more than ``num_threshold`` (8) of their
joints lie closer than ``threshold`` (0.05) times the square root of the first pose's ``w^2 + h^2``
(its box's squared diagonal, ``cal_area_2_torch``); from each group of duplicates the highest
``scores`` survives, visiting the poses in their order as DEKR does.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter

__all__ = ["centre_peaks", "pose_nms"]


def centre_peaks(heatmap: np.ndarray, kernel: int = 5, threshold: float = 0.01, top_k: int = 30
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peaks of ``heatmap`` (h, w): rows (M,), columns (M,), values (M,), highest first."""
    heat = np.asarray(heatmap, np.float64)
    peak = (heat == maximum_filter(heat, size=kernel, mode="constant", cval=-np.inf)) & (heat > threshold)
    rows, cols = np.nonzero(peak)
    values = heat[rows, cols]
    order = np.argsort(-values, kind="stable")[:top_k]
    return rows[order], cols[order], values[order]


def pose_nms(poses: np.ndarray, scores: np.ndarray, threshold: float = 0.05, num_threshold: int = 8) -> np.ndarray:
    """Indices of the poses (M, K, 2) kept, in the order found (see the module docstring)."""
    poses = np.asarray(poses, np.float64)
    if not len(poses):
        return np.zeros(0, int)
    extent = poses.max(1) - poses.min(1)                                   # (M, 2)
    area = (extent ** 2).sum(1)                                            # w^2 + h^2
    dist = np.linalg.norm(poses[:, None] - poses[None], axis=-1)           # (M, M, K)
    close = (dist < threshold * np.sqrt(area)[:, None, None]).sum(2) > num_threshold
    close |= np.eye(len(poses), dtype=bool)                                # a pose is its own duplicate
    kept, ignored = [], set()
    for i in range(len(poses)):
        if i in ignored:
            continue
        group = np.flatnonzero(close[i])
        best = int(group[np.argmax(scores[group])])
        if best in ignored:
            continue
        kept.append(best)
        ignored.update(int(g) for g in group)
    return np.asarray(kept, int)
