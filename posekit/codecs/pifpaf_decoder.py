"""OpenPifPaf's CIF-CAF decoder (Kreiss, Bertoni, Alahi, T-ITS 2021, Section III-D; ``openpifpaf/decoder/
cifcaf.py``, ``utils/cif_hr.py``, ``utils/cif_seeds.py``, ``utils/caf_scored.py``, ``utils/nms.py``), in
NumPy, without OpenPifPaf's compiled extension.

1. **High-resolution CIF** (``CifHr``): every CIF cell whose confidence exceeds ``cif_threshold`` (0.1)
   votes at the position its vector points to, a Gaussian of ``sigma = max(1, scale / 2)`` input
   pixels truncated at one sigma (a square), weighted ``confidence / neighbors`` (16: a 4 x 4 patch
   sums to 1), added on an input-resolution map per keypoint and clipped at 1.
2. **Seeds** (``CifSeeds``): votes with confidence above ``seed_threshold / 2``, scored ``0.9 hr + 0.1
   confidence`` (``hr`` the map at the vote), kept above ``seed_threshold`` (0.5), best first.
3. **CAF scoring** (``CafScored``): a CAF cell's score towards an end is its confidence times
   ``cif_floor + (1 - cif_floor) hr(end)`` (``cif_floor`` 0.1), kept above ``caf_threshold`` (0.2);
   both directions of every limb.
4. **Greedy frontier growth** (``CifCaf._grow``): from a seed not yet occupied, a max-heap of
   connections from the person's joints to their missing neighbours, scored on demand: the CAF cells
   whose source end lies within ``2 s`` (square) of the joint (``s`` its scale), weighted ``exp(-d^2 /
   (2 (s/2)^2))`` by the source's distance ``d``, the best one's target is the new joint, with score
   ``sqrt(cell score * joint score)``. **Reverse match**: growing back from the new joint along the
   limb's other direction must land within ``s`` (L1) of where it started, else the connection is
   refused. The best connection is taken, its joint's connections are added, until none is left.
   Each grown person marks its joints in a per-keypoint **occupancy** map (half-width ``max(4, s)``
   input pixels, at half resolution) and seeds in occupied places are skipped.
5. **Keypoint NMS** (``nms.Keypoints``): people best first; a joint whose place is already occupied by
   a better person's same joint is dropped (suppression 0); joints under ``keypoint_threshold``
   (0.15) are dropped, and people without a joint above it or scoring under ``instance_threshold``
   (0.15).

A person's score is OpenPifPaf's ``Annotation.score``: the weighted mean of its joint scores sorted
best first, the best three weighing 3. The connection is the best cell (``--connection-method
max``), not OpenPifPaf's default blend of the best two. The Python loop runs over seeds and frontier
entries (the algorithm's own steps); every per-pixel operation is vectorised.
"""
from __future__ import annotations

import heapq

import numpy as np

__all__ = ["decode", "cif_hr", "cif_votes", "caf_scored", "grow", "keypoint_nms", "person_score"]


def cif_votes(cif: np.ndarray, stride: int, start: float, threshold: float) -> list[np.ndarray]:
    """Per keypoint (5, n): confidence, x, y (input pixels), b and scale (input pixels) of the cells
    whose confidence exceeds ``threshold``; ``cif`` (K, 5, h, w) with vectors from the cells in grid cells."""
    out = []
    h, w = cif.shape[-2:]
    gy, gx = np.mgrid[0:h, 0:w]
    for field in cif:
        m = field[0] > threshold
        c, dx, dy, b, s = field[:, m]
        out.append(np.stack([c, (gx[m] + dx) * stride + start, (gy[m] + dy) * stride + start, b * stride,
                             s * stride]))
    return out


def _splat(shape: tuple[int, int], x: np.ndarray, y: np.ndarray, sigma: np.ndarray, value: np.ndarray,
           truncate: float) -> np.ndarray:
    """Sum of ``value exp(-d^2 / 2 sigma^2)`` on the pixels within ``truncate sigma`` (per axis) of each point."""
    hh, ww = shape
    total = np.zeros(hh * ww)
    reach = truncate * sigma
    x0, y0 = np.floor(x - reach).astype(np.int64), np.floor(y - reach).astype(np.int64)
    n = np.floor(2 * reach).astype(np.int64) + 2            # covers both axes' windows
    for size in np.unique(n):                       # one vectorised pass per window size
        i = np.flatnonzero(n == size)
        off = np.arange(size)
        px = x0[i, None, None] + off[None, None, :]
        py = y0[i, None, None] + off[None, :, None]
        g = value[i, None, None] * np.exp(-0.5 * ((px - x[i, None, None]) ** 2 + (py - y[i, None, None]) ** 2)
                                          / sigma[i, None, None] ** 2)
        ok = ((np.abs(px - x[i, None, None]) <= reach[i, None, None]) & (np.abs(py - y[i, None, None])
              <= reach[i, None, None]) & (px >= 0) & (px < ww) & (py >= 0) & (py < hh))
        np.add.at(total, (py * ww + px)[ok], g[ok])
    return total.reshape(hh, ww)


def cif_hr(votes: list[np.ndarray], shape: tuple[int, int], neighbors: float = 16.0,
           truncate: float = 1.0) -> np.ndarray:
    """(K, H, W) the high-resolution confidence of each keypoint on the input grid ``shape`` (H, W)."""
    out = np.zeros((len(votes),) + tuple(shape))
    for k, (c, x, y, _, s) in enumerate(votes):
        if len(c):
            out[k] = _splat(shape, x, y, np.maximum(1.0, 0.5 * s), c / neighbors, truncate)
    return np.minimum(out, 1.0)


def _at(field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``field`` (H, W) at the nearest pixels of (x, y), 0 outside."""
    h, w = field.shape
    ix, iy = np.round(x).astype(np.int64), np.round(y).astype(np.int64)
    ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    out = np.zeros(len(x))
    out[ok] = field[iy[ok], ix[ok]]
    return out


def caf_scored(caf: np.ndarray, hr: np.ndarray, limbs, stride: int, start: float, threshold: float = 0.2,
               cif_floor: float = 0.1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per limb (forward, backward), each (7, n): score, source x, y, target x, y, target scale, source
    scale (input pixels); forward runs from ``limb[0]`` to ``limb[1]``."""
    h, w = caf.shape[-2:]
    gy, gx = np.mgrid[0:h, 0:w]
    out = []
    for field, (a, b) in zip(caf, limbs):
        m = field[0] > threshold
        c = field[0, m]
        x1, y1 = (gx[m] + field[1, m]) * stride + start, (gy[m] + field[2, m]) * stride + start
        x2, y2 = (gx[m] + field[3, m]) * stride + start, (gy[m] + field[4, m]) * stride + start
        s1, s2 = field[7, m] * stride, field[8, m] * stride
        fwd = c * (cif_floor + (1 - cif_floor) * _at(hr[b], x2, y2))
        bwd = c * (cif_floor + (1 - cif_floor) * _at(hr[a], x1, y1))
        f, r = fwd > threshold, bwd > threshold
        out.append((np.stack([fwd, x1, y1, x2, y2, s2, s1])[:, f], np.stack([bwd, x2, y2, x1, y1, s1, s2])[:, r]))
    return out


def _connection(xy: np.ndarray, scale: float, field: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, scale, score) of the best target of ``field`` (7, n) from the joint at ``xy`` of ``scale``."""
    if not field.shape[1]:
        return 0.0, 0.0, 0.0, 0.0
    near = (np.abs(field[1] - xy[0]) < 2 * scale) & (np.abs(field[2] - xy[1]) < 2 * scale)
    if not near.any():
        return 0.0, 0.0, 0.0, 0.0
    f = field[:, near]
    d2 = (f[1] - xy[0]) ** 2 + (f[2] - xy[1]) ** 2
    score = np.exp(-0.5 * d2 / (0.5 * scale) ** 2) * f[0]
    i = int(np.argmax(score))
    return float(f[3, i]), float(f[4, i]), float(f[5, i]), float(score[i])


def grow(joints: np.ndarray, scales: np.ndarray, scored, by_source: list[list[tuple[int, int, bool]]],
         keypoint_threshold: float, min_scale: float, reverse_match: bool = True) -> None:
    """Complete the person ``joints`` (K, 3) x, y, score in place (``scales`` (K,) likewise) by greedy
    frontier growth along the CAF ``scored`` (:func:`caf_scored`)."""
    frontier: list = []
    queued: set = set()

    def add(start: int) -> None:
        for end, limb, forward in by_source[start]:
            if joints[end, 2] > 0 or (start, end) in queued:
                continue
            queued.add((start, end))
            heapq.heappush(frontier, (-np.sqrt(joints[start, 2]), len(queued), None, start, end, limb, forward))

    def value(start: int, end: int, limb: int, forward: bool):
        fwd, bwd = scored[limb] if forward else scored[limb][::-1]
        s_scale = max(min_scale, scales[start])
        x, y, t_scale, score = _connection(joints[start, :2], s_scale, fwd)
        score = np.sqrt(score * joints[start, 2])
        if score < keypoint_threshold:
            return None
        if reverse_match:
            rx, ry, _, rscore = _connection(np.array([x, y]), max(min_scale, t_scale), bwd)
            if rscore == 0.0 or abs(rx - joints[start, 0]) + abs(ry - joints[start, 1]) > s_scale:
                return None
        return x, y, t_scale, score

    for k in np.flatnonzero(joints[:, 2] > 0):
        add(int(k))
    while frontier:
        neg, order, found, start, end, limb, forward = heapq.heappop(frontier)
        if joints[end, 2] > 0:
            continue
        if found is None:                          # score it now, queue it again by its own score
            found = value(start, end, limb, forward)
            if found is not None:
                heapq.heappush(frontier, (-found[3], order, found, start, end, limb, forward))
            continue
        joints[end] = found[0], found[1], found[3]
        scales[end] = found[2]
        add(end)


def person_score(scores: np.ndarray) -> np.ndarray:
    """(M,) OpenPifPaf's ``Annotation.score`` of joint scores (M, K): best three weigh 3, normalised."""
    k = scores.shape[-1]
    weights = np.ones(k)
    weights[:3] = 3.0
    weights /= weights.sum()
    return (np.sort(scores, axis=-1)[..., ::-1] * weights).sum(-1)


class _Occupancy:
    """Per keypoint, a half-resolution map of the places taken (``utils/occupancy.py``)."""

    def __init__(self, k: int, shape: tuple[int, int], reduction: int = 2, min_scale: float = 4.0):
        self.r, self.min_scale = reduction, min_scale
        self.maps = np.zeros((k, shape[0] // reduction + 1, shape[1] // reduction + 1), bool)

    def set(self, k: int, x: float, y: float, scale: float) -> None:
        half = max(self.min_scale, scale) / self.r
        xr, yr = x / self.r, y / self.r
        h, w = self.maps.shape[1:]
        x0, x1 = int(np.clip(np.floor(xr - half), 0, w)), int(np.clip(np.ceil(xr + half) + 1, 0, w))
        y0, y1 = int(np.clip(np.floor(yr - half), 0, h)), int(np.clip(np.ceil(yr + half) + 1, 0, h))
        self.maps[k, y0:y1, x0:x1] = True

    def get(self, k: int, x: float, y: float) -> bool:
        h, w = self.maps.shape[1:]
        ix, iy = int(round(x / self.r)), int(round(y / self.r))
        return bool(0 <= ix < w and 0 <= iy < h and self.maps[k, iy, ix])


def keypoint_nms(joints: np.ndarray, scales: np.ndarray, shape: tuple[int, int], keypoint_threshold: float,
                 instance_threshold: float, min_scale: float = 4.0) -> np.ndarray:
    """Drop joints (M, K, 3) in place that a better person's same joint occupies; the kept people's indices."""
    order = np.argsort(-person_score(joints[..., 2]), kind="stable")
    occupied = _Occupancy(joints.shape[1], shape, min_scale=min_scale)
    for m in order:
        for k in np.flatnonzero(joints[m, :, 2] > 0):
            x, y = joints[m, k, :2]
            if occupied.get(k, x, y):
                joints[m, k, 2] = 0.0
            else:
                occupied.set(k, x, y, scales[m, k])
    joints[..., 2][joints[..., 2] < keypoint_threshold] = 0.0
    score = person_score(joints[..., 2])
    keep = [m for m in np.argsort(-score, kind="stable")
            if joints[m, :, 2].max(initial=0) > 0 and score[m] >= instance_threshold]
    return np.asarray(keep, np.int64)


def decode(cif: np.ndarray, caf: np.ndarray, limbs, stride: int, start: float, input_shape=None,
           cif_threshold: float = 0.1, seed_threshold: float = 0.5, caf_threshold: float = 0.2,
           cif_floor: float = 0.1, keypoint_threshold: float = 0.15, instance_threshold: float = 0.15,
           min_scale: float = 4.0, max_seeds: int = 2000, reverse_match: bool = True
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People from one image's CIF (K, 5, h, w) and CAF (L, 9, h, w) (vectors from their cells, grid
    cells): keypoints (M, K, 2) in input pixels, scores (M, K), person scores (M,), best first.
    ``input_shape`` (H, W) of the high-resolution maps (the grid times the stride by default);
    ``max_seeds`` bounds the seeds tried (an untrained network's fields)."""
    k_count = cif.shape[0]
    shape = tuple(input_shape) if input_shape is not None else (cif.shape[2] * stride, cif.shape[3] * stride)
    votes = cif_votes(cif, stride, start, cif_threshold)
    hr = cif_hr(votes, shape)
    scored = caf_scored(caf, hr, limbs, stride, start, caf_threshold, cif_floor)
    by_source: list[list[tuple[int, int, bool]]] = [[] for _ in range(k_count)]
    for i, (a, b) in enumerate(limbs):
        by_source[a].append((b, i, True))
        by_source[b].append((a, i, False))

    seeds = []                                     # (score, keypoint, x, y, scale)
    for k, (c, x, y, _, s) in enumerate(votes):
        m = c > seed_threshold / 2
        v = 0.9 * _at(hr[k], x[m], y[m]) + 0.1 * c[m]
        keep = v > seed_threshold
        seeds += [(float(vv), k, float(xx), float(yy), float(ss))
                  for vv, xx, yy, ss in zip(v[keep], x[m][keep], y[m][keep], s[m][keep])]
    seeds.sort(key=lambda t: -t[0])
    occupied = _Occupancy(k_count, shape, min_scale=min_scale)
    people, people_scales = [], []
    for v, k, x, y, s in seeds[:max_seeds]:
        if occupied.get(k, x, y):
            continue
        joints, scales = np.zeros((k_count, 3)), np.zeros(k_count)
        joints[k], scales[k] = (x, y, v), s
        grow(joints, scales, scored, by_source, keypoint_threshold, min_scale, reverse_match)
        for j in np.flatnonzero(joints[:, 2] > 0):
            occupied.set(int(j), joints[j, 0], joints[j, 1], scales[j])
        people.append(joints)
        people_scales.append(scales)
    if not people:
        return np.zeros((0, k_count, 2)), np.zeros((0, k_count)), np.zeros(0)
    joints, scales = np.stack(people), np.stack(people_scales)
    keep = keypoint_nms(joints, scales, shape, keypoint_threshold, instance_threshold, min_scale)
    joints = joints[keep]
    return joints[..., :2], joints[..., 2], person_score(joints[..., 2])
