"""The image codec of SPM (Nie, Feng, Zhang, Yan, "Single-Stage Multi-Person Pose Machines", ICCV 2019):
each person is its **root joint** plus **hierarchical structured pose representations**, displacements
from the root to the torso joints and on down the limbs.

**The hierarchy** (:func:`skeleton_tree`) is derived from the skeleton's limbs: the root's children are the
torso joints (the skeleton's shoulders and hips; a skeleton without them uses the joints at the centre
of its limb graph), and every other joint hangs from the joint it reaches first in a breadth-first walk
of the limbs from the torso. For COCO-17 that is root -> shoulders and hips -> elbows, knees and ears ->
wrists, ankles and eyes -> nose. The **root** of COCO-17 is the torso centre, the mean of the labelled
shoulders and hips (SPM's root, the torso's centre; with no torso joint labelled, the mean of the
labelled joints).

**Encoding** on the stride-4 grid (cell ``(i, j)`` centred at input ``(4 j + 1.5, 4 i + 1.5)``):

- ``root`` (1, h, w): the maximum over people of ``exp(-d^2 / 2 sigma^2)`` at the root, ``sigma = 2`` cells,
  and ``root_weights`` (1, h, w): the loss mask averaged over each cell;
- ``displacements`` (2K, h, w): for joint ``k`` with parent ``p`` (the root for the torso joints), at every
  cell ``x`` within ``radius = 2`` cells (Chebyshev) of ``p``'s cell, ``joint_k - x`` in cells (a dense
  displacement relative to each cell, as SPM's structured pose representation; SPM also divides by a
  normalising constant, which posekit leaves out), and
  ``displacement_weights`` 1 there (0 elsewhere). A cell several people claim goes to the person
  whose ``p`` is nearest. A joint is encoded when it and its parent are labelled.

**Decoding**: root peaks (:func:`~posekit.codecs.centre_nms.centre_peaks`), then down the hierarchy: each
joint is read at the nearest cell of its decoded parent (the root's peak cell for the torso joints),
``joint = cell + displacement``; keypoint and person scores are the root's peak value; pose NMS
(:func:`~posekit.codecs.centre_nms.pose_nms`, DEKR's) removes duplicates. A labelled joint whose parent is
unlabelled cannot be read back (its chain is broken): the representation's limit.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .centre_nms import centre_peaks, pose_nms
from .dekr import to_numpy
from .grid import cell_mask, check_grid, grid_size

__all__ = ["SPMCodec", "skeleton_tree", "torso_joints", "root_positions"]


def torso_joints(names, limbs) -> tuple[int, ...]:
    """The joints the root stands for: shoulders and hips by name, else the centre of the limb graph."""
    torso = tuple(i for i, n in enumerate(names) if "shoulder" in n or n.endswith("hip"))
    if torso:
        return torso
    k = len(names)
    adj = [[] for _ in range(k)]
    for a, b in limbs:
        adj[a].append(b)
        adj[b].append(a)

    def eccentricity(s):
        depth = _walk(adj, (s,))[1]
        return max(d if d >= 0 else k for d in depth)

    ecc = [eccentricity(s) for s in range(k)]
    return tuple(i for i in range(k) if ecc[i] == min(ecc))


def _walk(adj, starts) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Breadth-first walk from ``starts``: parents (-1 for the starts and unreached), depths (-1 unreached), order."""
    k = len(adj)
    parent, depth = np.full(k, -1), np.full(k, -1)
    queue, order = deque(starts), list(starts)
    depth[list(starts)] = 0
    while queue:
        a = queue.popleft()
        for b in adj[a]:
            if depth[b] < 0:
                parent[b], depth[b] = a, depth[a] + 1
                queue.append(b)
                order.append(b)
    return parent, depth, order


def skeleton_tree(num_keypoints: int, limbs, torso) -> tuple[np.ndarray, tuple[int, ...]]:
    """(K,) each joint's parent (-1: a child of the root) and the joints in decoding order (parents first).
    Joints no limb reaches hang from the root."""
    adj = [[] for _ in range(num_keypoints)]
    for a, b in limbs:
        adj[a].append(b)
        adj[b].append(a)
    parent, depth, order = _walk(adj, tuple(torso))
    order += [j for j in range(num_keypoints) if depth[j] < 0]
    return parent, tuple(int(j) for j in order)


def root_positions(keypoints: np.ndarray, labelled: np.ndarray, torso) -> tuple[np.ndarray, np.ndarray]:
    """(P, 2) each person's root (mean of its labelled torso joints, else of its labelled joints), (P,) whether any."""
    t = np.zeros(labelled.shape[1], bool)
    t[list(torso)] = True
    use = np.where((labelled & t).any(1, keepdims=True), labelled & t, labelled)
    n = use.sum(1)
    return (keypoints * use[..., None]).sum(1) / np.maximum(n, 1)[:, None], n > 0


@dataclass(frozen=True)
class SPMCodec:
    """Root map + hierarchical displacement fields over the tree ``parent`` (``skeleton_tree``).

    ``input_size`` (W, H), a multiple of ``stride``; ``torso`` the joints the root stands for.
    """

    input_size: tuple[int, int]
    num_keypoints: int
    limbs: tuple[tuple[int, int], ...]
    torso: tuple[int, ...]
    stride: int = 4
    sigma: float = 2.0
    radius: int = 2
    nms_kernel: int = 5
    threshold: float = 0.01
    max_people: int = 30
    nms_threshold: float = 0.05
    nms_joints: int = 8

    def __post_init__(self) -> None:
        check_grid(self.input_size, self.stride)

    @property
    def map_size(self) -> tuple[int, int]:
        """(W, H) of the output grid."""
        return grid_size(self.input_size, self.stride)

    @property
    def tree(self) -> tuple[np.ndarray, tuple[int, ...]]:
        return skeleton_tree(self.num_keypoints, self.limbs, self.torso)

    def to_cells(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64) - (self.stride - 1) / 2) / self.stride

    def to_input(self, cells: np.ndarray) -> np.ndarray:
        return np.asarray(cells, np.float64) * self.stride + (self.stride - 1) / 2

    def root_map(self, roots: np.ndarray, has_root: np.ndarray) -> np.ndarray:
        w, h = self.map_size
        if not len(roots):
            return np.zeros((1, h, w))
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        d2 = (gx[None] - roots[:, 0, None, None]) ** 2 + (gy[None] - roots[:, 1, None, None]) ** 2
        return (np.exp(-d2 / (2 * self.sigma ** 2)) * has_root[:, None, None]).max(0, keepdims=True)

    def displacements(self, cells: np.ndarray, labelled: np.ndarray, roots: np.ndarray, has_root: np.ndarray):
        """(2K, h, w) displacements ``joint - cell`` around each joint's parent, and their weights."""
        w, h = self.map_size
        k = self.num_keypoints
        parent, _ = self.tree
        out, weight = np.zeros((k, 2, h, w)), np.zeros((k, 2, h, w))
        if not len(cells):
            return out.reshape(2 * k, h, w), weight.reshape(2 * k, h, w)
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        grid = np.stack([gx, gy], -1).astype(np.float64)                     # (h, w, 2)
        for j in range(k):                                                   # one channel pair per joint
            src = roots if parent[j] < 0 else cells[:, parent[j]]
            ok = labelled[:, j] & (has_root if parent[j] < 0 else labelled[:, parent[j]])
            cell = np.round(src)
            near = ((np.abs(gx[None] - cell[:, 0, None, None]) <= self.radius)
                    & (np.abs(gy[None] - cell[:, 1, None, None]) <= self.radius) & ok[:, None, None])
            d2 = np.where(near, ((grid[None] - src[:, None, None]) ** 2).sum(-1), np.inf)
            owner, covered = d2.argmin(0), np.isfinite(d2.min(0))
            out[j] = np.where(covered[..., None], cells[owner, j] - grid, 0.0).transpose(2, 0, 1)
            weight[j] = covered[None]
        return out.reshape(2 * k, h, w), weight.reshape(2 * k, h, w)

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict:
        """Targets of one image (float32): ``root`` (1, h, w), ``root_weights`` (1, h, w),
        ``displacements`` (2K, h, w), ``displacement_weights`` (2K, h, w)."""
        k = self.num_keypoints
        cells = self.to_cells(np.asarray(keypoints, np.float64).reshape(-1, k, 2))
        labelled = np.asarray(visible).reshape(-1, k) > 0
        roots, has_root = root_positions(cells, labelled, self.torso)
        disp, disp_w = self.displacements(cells, labelled, roots, has_root)
        return {"root": self.root_map(roots, has_root).astype(np.float32),
                "root_weights": cell_mask(mask, self.input_size, self.stride)[None].astype(np.float32),
                "displacements": disp.astype(np.float32), "displacement_weights": disp_w.astype(np.float32)}

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People from (root (1, h, w), displacements (2K, h, w)) (torch or NumPy, batch of one or none):
        keypoints (M, K, 2) in input pixels, scores (M, K), person scores (M,), highest first."""
        root, disp = (to_numpy(t) for t in outputs[:2])
        k = self.num_keypoints
        h, w = root.shape[-2:]
        rows, cols, score = centre_peaks(root.reshape(h, w), self.nms_kernel, self.threshold, self.max_people)
        if not len(rows):
            return np.zeros((0, k, 2)), np.zeros((0, k)), np.zeros(0)
        field = disp.reshape(k, 2, h, w)
        parent, order = self.tree
        poses = np.zeros((len(rows), k, 2))
        root_cell = np.stack([cols, rows], 1).astype(np.float64)
        for j in order:                                                      # parents before children
            src = root_cell if parent[j] < 0 else poses[:, parent[j]]
            x = np.clip(np.round(src[:, 0]), 0, w - 1).astype(int)
            y = np.clip(np.round(src[:, 1]), 0, h - 1).astype(int)
            poses[:, j] = np.stack([x, y], 1) + field[j][:, y, x].T
        keep = pose_nms(poses, score, self.nms_threshold, self.nms_joints)
        poses, score = poses[keep], score[keep]
        order_ = np.argsort(-score, kind="stable")
        return self.to_input(poses[order_]), np.repeat(score[order_, None], k, 1), score[order_]
