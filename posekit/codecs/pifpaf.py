"""Composite intensity and association fields: the image codec of PifPaf (Kreiss, Bertoni, Alahi,
"PifPaf: Composite Fields for Human Pose Estimation", CVPR 2019) as OpenPifPaf (Kreiss, Bertoni,
Alahi, "OpenPifPaf: Composite Fields for Semantic Keypoint Detection and Spatio-Temporal
Association", T-ITS 2021) encodes it (``openpifpaf/encoder/cif.py``, ``caf.py``).

Fields live on the stride-``stride`` output grid (8: OpenPifPaf's stride-16 base networks with a
2x pixel-shuffle in the heads); cell ``(i, j)`` is centred at input pixel ``(stride j + stride / 2
- 0.5, stride i + stride / 2 - 0.5)``, as :class:`~posekit.codecs.paf.PAFCodec`'s. Vectors, spreads
and scales are in grid cells; vectors point from the cell's centre.

**CIF** (composite intensity field), per keypoint ``k``, ``(5, h, w)``: confidence, the vector
(dx, dy) to the joint, the spread ``b`` (the Laplace loss's scale; the target holds its floor
``bmin`` = 0.1 input pixels, OpenPifPaf's ``--cif-bmin``) and the joint's scale
``sqrt(area) * sigma_k`` (``area`` the box of the person's labelled keypoints, OpenPifPaf's
``AnnRescaler``; ``sigma_k`` its OKS sigma; 0 = unknown, when fewer than three keypoints are
labelled). Every joint covers the ``side`` x ``side`` (4 x 4, OpenPifPaf's ``side_length``)
cells around it with confidence 1; where patches of two people's same keypoint overlap, the
cell's vector, spread and scale belong to the nearer joint (``fields_reg_l`` in ``cif.py``).

**CAF** (composite association field), per limb ``(a, b)``, ``(9, h, w)``: confidence, the vectors to
both ends, their spreads and their scales. Points along the limb are sampled, ``max(2, ceil(length))``
of them between the fractions ``m`` and ``1 - m`` of its length (``m = min(0.4, (s_offset + 1) /
length)``), and the ``3 x 3`` patch (``min_size``) at each point's grid cell gets the limb;
a cell several people's same limb reach belongs to the limb nearer to it perpendicularly.
OpenPifPaf skips a sample whose patch leaves the grid; here only the cells outside are lost.

``mask`` (h, w) is the fraction of each cell's input pixels whose loss counts, as for the PAF codec:
OpenPifPaf sets the confidence targets of crowd regions to NaN, the same exclusion.

Decoding is :func:`posekit.codecs.pifpaf_decoder.decode` (seeds, CAF growth, keypoint NMS).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .grid import cell_mask, check_grid, grid_size

__all__ = ["PifPafCodec", "CIF_CHANNELS", "CAF_CHANNELS"]

CIF_CHANNELS = ("confidence", "dx", "dy", "b", "scale")
CAF_CHANNELS = ("confidence", "dx1", "dy1", "dx2", "dy2", "b1", "b2", "scale1", "scale2")


def _keypoint_scale(keypoints: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """(P,) ``sqrt`` of the area of the box of each person's labelled keypoints (0 under three)."""
    big = np.where(labelled[..., None], keypoints, np.nan)
    with np.errstate(all="ignore"):
        extent = np.nanmax(big, 1) - np.nanmin(big, 1)                  # (P, 2)
    area = np.nan_to_num(extent[:, 0] * extent[:, 1])
    return np.where(labelled.sum(1) >= 3, np.sqrt(np.maximum(area, 0.0)), 0.0)


def _nearest(flat_index: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Positions of the candidates that are nearest for their ``flat_index`` (one each)."""
    order = np.lexsort((distance, flat_index))
    first = np.ones(len(order), bool)
    first[1:] = flat_index[order][1:] != flat_index[order][:-1]
    return order[first]


@dataclass(frozen=True)
class PifPafCodec:
    """Encode whole images into CIF, CAF and a loss mask; decode with OpenPifPaf's CIF-CAF decoder.

    ``input_size`` (W, H), a multiple of ``stride``; ``limbs`` ((a, b), ...) in CAF order; ``sigmas``
    the keypoints' OKS sigmas (scale targets). ``decoder`` goes to
    :func:`~posekit.codecs.pifpaf_decoder.decode` as keyword arguments.
    """

    input_size: tuple[int, int]
    num_keypoints: int
    limbs: tuple[tuple[int, int], ...]
    sigmas: tuple[float, ...]
    stride: int = 8
    side: int = 4                                # CIF patch (OpenPifPaf cif.py side_length)
    caf_side: int = 3                            # CAF patch (OpenPifPaf caf.py min_size)
    bmin: float = 0.1                            # input pixels (OpenPifPaf --cif-bmin / --caf-bmin)
    decoder: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_grid(self.input_size, self.stride)
        if len(self.sigmas) != self.num_keypoints:
            raise ValueError(f"{len(self.sigmas)} sigmas for {self.num_keypoints} keypoints")

    @property
    def map_size(self) -> tuple[int, int]:
        """(W, H) of the output grid."""
        return grid_size(self.input_size, self.stride)

    @property
    def num_limbs(self) -> int:
        return len(self.limbs)

    @property
    def start(self) -> float:
        """Input pixel of cell 0's centre."""
        return self.stride / 2 - 0.5

    def to_grid(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64) - self.start) / self.stride

    def to_input(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, np.float64) * self.stride + self.start

    def _inside(self, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
        w, h = self.map_size
        return (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)

    def intensity_fields(self, keypoints: np.ndarray, labelled: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """(K, 5, h, w) CIF of people ``keypoints`` (P, K, 2) input pixels, ``scale`` (P,) input pixels."""
        w, h = self.map_size
        k_count, s = self.num_keypoints, self.side
        out = np.zeros((k_count, 5, h, w))
        p_idx, k_idx = np.nonzero(labelled)
        if not len(p_idx):
            return out
        joint = self.to_grid(keypoints[p_idx, k_idx])                      # (J, 2) grid cells
        corner = np.round(joint - (s - 1) / 2).astype(np.int64)            # top-left cell of the patch
        oy, ox = np.divmod(np.arange(s * s), s)
        cx = (corner[:, 0:1] + ox).reshape(-1)
        cy = (corner[:, 1:2] + oy).reshape(-1)
        j = np.repeat(np.arange(len(p_idx)), s * s)
        keep = self._inside(cx, cy)
        cx, cy, j = cx[keep], cy[keep], j[keep]
        vec = joint[j] - np.stack([cx, cy], 1)
        win = _nearest((k_idx[j] * h + cy) * w + cx, np.linalg.norm(vec, axis=1))
        cx, cy, j, vec = cx[win], cy[win], j[win], vec[win]
        k = k_idx[j]
        sig = np.asarray(self.sigmas, np.float64)
        out[k, 0, cy, cx] = 1.0
        out[k, 1, cy, cx], out[k, 2, cy, cx] = vec[:, 0], vec[:, 1]
        out[k, 3, cy, cx] = self.bmin / self.stride
        out[k, 4, cy, cx] = scale[p_idx[j]] * sig[k] / self.stride
        return out

    def association_fields(self, keypoints: np.ndarray, labelled: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """(L, 9, h, w) CAF of people ``keypoints`` (P, K, 2) input pixels, ``scale`` (P,) input pixels."""
        w, h = self.map_size
        out = np.zeros((self.num_limbs, 9, h, w))
        if not len(keypoints) or not self.num_limbs:
            return out
        a_idx, b_idx = np.asarray(self.limbs).T
        p_idx, l_idx = np.nonzero(labelled[:, a_idx] & labelled[:, b_idx])
        if not len(p_idx):
            return out
        j1 = self.to_grid(keypoints[p_idx, a_idx[l_idx]])                  # (E, 2)
        j2 = self.to_grid(keypoints[p_idx, b_idx[l_idx]])
        offset = j2 - j1
        length = np.linalg.norm(offset, axis=1)
        s_offset = (self.caf_side - 1) / 2
        j1ij, j2ij = np.round(j1 - s_offset), np.round(j2 - s_offset)
        num = np.maximum(2, np.ceil(length)).astype(np.int64)
        margin = np.minimum(0.4, (s_offset + 1) / (length + np.spacing(1)))
        e = np.repeat(np.arange(len(p_idx)), num)                          # one row per sample point
        t = np.arange(len(e)) - np.repeat(np.cumsum(num) - num, num)
        frac = margin[e] + (1 - 2 * margin[e]) * t / (num[e] - 1)
        corner = np.round(j1ij[e] + frac[:, None] * (j2ij - j1ij)[e]).astype(np.int64)
        side = self.caf_side
        oy, ox = np.divmod(np.arange(side * side), side)
        cx = (corner[:, 0:1] + ox).reshape(-1)
        cy = (corner[:, 1:2] + oy).reshape(-1)
        e = np.repeat(e, side * side)
        keep = self._inside(cx, cy)
        cx, cy, e = cx[keep], cy[keep], e[keep]
        cell = np.stack([cx, cy], 1).astype(np.float64)
        rel = cell - j1[e]
        across = np.abs(offset[e, 1] * rel[:, 0] - offset[e, 0] * rel[:, 1]) / (length[e] + 0.01)
        win = _nearest((l_idx[e] * h + cy) * w + cx, across)
        cx, cy, e, cell = cx[win], cy[win], e[win], cell[win]
        lm = l_idx[e]
        sig = np.asarray(self.sigmas, np.float64)
        s = scale[p_idx[e]] / self.stride
        values = [np.ones(len(e)), *(j1[e] - cell).T, *(j2[e] - cell).T,
                  np.full(len(e), self.bmin / self.stride), np.full(len(e), self.bmin / self.stride),
                  s * sig[a_idx[lm]], s * sig[b_idx[lm]]]
        for c, v in enumerate(values):
            out[lm, c, cy, cx] = v
        return out

    def loss_mask(self, mask: np.ndarray | None) -> np.ndarray:
        """(h, w) the fraction of each cell's input pixels whose loss counts (all 1 without ``mask``)."""
        return cell_mask(mask, self.input_size, self.stride)

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict:
        """Targets of one image: ``cif`` (K, 5, h, w), ``caf`` (L, 9, h, w), ``mask`` (h, w), float32;
        ``keypoints`` (P, K, 2) in input pixels, ``visible`` (P, K) (labelled where > 0)."""
        kp = np.asarray(keypoints, np.float64).reshape(-1, self.num_keypoints, 2)
        labelled = np.asarray(visible).reshape(-1, self.num_keypoints) > 0
        scale = _keypoint_scale(kp, labelled)
        return {"cif": self.intensity_fields(kp, labelled, scale).astype(np.float32),
                "caf": self.association_fields(kp, labelled, scale).astype(np.float32),
                "mask": self.loss_mask(mask).astype(np.float32)}

    def split(self, outputs) -> tuple[np.ndarray, np.ndarray]:
        """(cif (K, 5, h, w), caf (L, 9, h, w)) as float64 NumPy from ``outputs``: a pair of
        fields, torch or NumPy, flat ((5K, h, w)) or not, with or without a batch of one."""
        cif, caf = outputs

        def plain(t, parts, count):
            t = np.asarray(t.detach().float().cpu().numpy() if hasattr(t, "detach") else t, np.float64)
            if t.ndim == 5 or (t.ndim == 4 and t.shape[:2] == (1, parts * count)):
                t = t[0]
            return t.reshape(count, parts, *t.shape[-2:])

        return plain(cif, 5, self.num_keypoints), plain(caf, 9, self.num_limbs)

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People found in one image from its (CIF, CAF): keypoints (M, K, 2) in input pixels,
        scores (M, K) (0 where a keypoint is missing), person scores (M,), best first."""
        from .pifpaf_decoder import decode

        cif, caf = self.split(outputs)
        return decode(cif, caf, self.limbs, self.stride, self.start, **self.decoder)
