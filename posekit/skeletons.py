"""Keypoint definitions: names, flip pairs, limbs and OKS sigmas, declared once.

Every part of posekit that needs to know "which keypoint is the left wrist",
"which keypoints swap under a horizontal flip", "which limbs to draw" or
"how tolerant OKS is for this joint" reads it from a :class:`Skeleton` here.

OKS sigmas: COCO (Lin et al. 2014, cocoapi ``kpt_oks_sigmas``), CrowdPose
(Li et al. 2019, crowdposetools), Halpe (Fang et al., HalpeCOCOAPI).
MPII, BlazePose and PoseTrack define no OKS sigmas of their own; posekit
borrows COCO's for the joints they share and 0.079 (the COCO shoulder value)
otherwise, and says so in ``sigmas_source``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .errors import SkeletonError

__all__ = [
    "Skeleton", "KeypointMapping", "COCO17", "MPII16", "CROWDPOSE14", "HALPE26",
    "BLAZEPOSE33", "POSETRACK17", "OPENPOSE18", "SKELETONS", "get_skeleton", "mapping", "skeleton_from_category",
]


@dataclass(frozen=True)
class Skeleton:
    """A keypoint set: ``names[k]`` is keypoint ``k``.

    ``flip_pairs`` are (left, right) index pairs swapped by a horizontal flip,
    ``limbs`` are index pairs drawn as lines, ``sigmas`` are the per-keypoint
    OKS constants (``None`` when the set defines none).
    """

    name: str
    names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    limbs: tuple[tuple[int, int], ...]
    sigmas: tuple[float, ...] | None = None
    sigmas_source: str = ""
    extra: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise SkeletonError(f"skeleton {self.name!r}: " + "; ".join(problems))

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def problems(self) -> list[str]:
        """Every inconsistency in this definition, as readable sentences."""
        k = len(self.names)
        out = []
        if len(set(self.names)) != k:
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            out.append(f"duplicate keypoint names {dup}")
        seen: set[int] = set()
        for a, b in self.flip_pairs:
            if not (0 <= a < k and 0 <= b < k):
                out.append(f"flip pair ({a}, {b}) out of range 0..{k - 1}")
            elif a == b:
                out.append(f"flip pair ({a}, {b}) maps a keypoint to itself")
            elif a in seen or b in seen:
                out.append(f"keypoint in more than one flip pair: ({a}, {b})")
            seen.update((a, b))
        for a, b in self.limbs:
            if not (0 <= a < k and 0 <= b < k):
                out.append(f"limb ({a}, {b}) out of range 0..{k - 1}")
        if self.sigmas is not None:
            if len(self.sigmas) != k:
                out.append(f"{len(self.sigmas)} sigmas for {k} keypoints")
            elif any(not (s > 0) for s in self.sigmas):
                out.append("sigmas must be positive")
        return out

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SkeletonError(f"skeleton {self.name!r} has no keypoint {name!r}") from None

    def flip_index(self) -> np.ndarray:
        """Permutation ``p`` such that ``flipped[:, p]`` relabels left and right."""
        p = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            p[a], p[b] = b, a
        return p

    def sigma_array(self) -> np.ndarray:
        if self.sigmas is None:
            raise SkeletonError(f"skeleton {self.name!r} defines no OKS sigmas; pass sigmas explicitly")
        return np.asarray(self.sigmas, dtype=np.float64)


def _pairs_by_name(names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Flip pairs from the left_/right_ naming convention."""
    pairs = []
    for i, n in enumerate(names):
        if n.startswith("left_"):
            j = names.index("right_" + n[5:])
            pairs.append((i, j))
    return tuple(pairs)


def _limbs(names: Sequence[str], links: Sequence[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((names.index(a), names.index(b)) for a, b in links)


_COCO_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
_COCO_SIGMAS = (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62,
                1.07, 1.07, 0.87, 0.87, 0.89, 0.89)
_COCO_SIGMA = dict(zip(_COCO_NAMES, (s / 10.0 for s in _COCO_SIGMAS)))
_BODY_LINKS = (
    ("left_ankle", "left_knee"), ("left_knee", "left_hip"), ("right_ankle", "right_knee"),
    ("right_knee", "right_hip"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
)
_FACE_LINKS = (
    ("left_eye", "right_eye"), ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"),
    ("right_eye", "right_ear"), ("left_ear", "left_shoulder"), ("right_ear", "right_shoulder"),
)

COCO17 = Skeleton(
    "coco17", _COCO_NAMES, _pairs_by_name(_COCO_NAMES), _limbs(_COCO_NAMES, _BODY_LINKS + _FACE_LINKS),
    tuple(s / 10.0 for s in _COCO_SIGMAS), "COCO keypoints (cocoapi kpt_oks_sigmas)",
)

_MPII_NAMES = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis",
    "thorax", "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder",
    "left_shoulder", "left_elbow", "left_wrist",
)
MPII16 = Skeleton(
    "mpii16", _MPII_NAMES, _pairs_by_name(_MPII_NAMES),
    _limbs(_MPII_NAMES, (
        ("right_ankle", "right_knee"), ("right_knee", "right_hip"), ("right_hip", "pelvis"),
        ("pelvis", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
        ("pelvis", "thorax"), ("thorax", "upper_neck"), ("upper_neck", "head_top"),
        ("right_wrist", "right_elbow"), ("right_elbow", "right_shoulder"), ("right_shoulder", "thorax"),
        ("thorax", "left_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    )),
    tuple(_COCO_SIGMA.get(n, 0.079) for n in _MPII_NAMES),
    "borrowed: COCO sigmas for shared joints, 0.079 for pelvis, thorax, neck and head top",
)

_CROWDPOSE_NAMES = (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck",
)
CROWDPOSE14 = Skeleton(
    "crowdpose14", _CROWDPOSE_NAMES, _pairs_by_name(_CROWDPOSE_NAMES),
    _limbs(_CROWDPOSE_NAMES, _BODY_LINKS + (("head", "neck"), ("neck", "left_shoulder"), ("neck", "right_shoulder"))),
    tuple(s / 10.0 for s in (0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89, 0.79, 0.79)),
    "CrowdPose (crowdposetools)",
)

_HALPE_NAMES = _COCO_NAMES + (
    "head", "neck", "hip", "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)
HALPE26 = Skeleton(
    "halpe26", _HALPE_NAMES, _pairs_by_name(_HALPE_NAMES),
    _limbs(_HALPE_NAMES, _BODY_LINKS + _FACE_LINKS + (
        ("head", "neck"), ("neck", "hip"), ("left_ankle", "left_big_toe"), ("left_ankle", "left_small_toe"),
        ("left_ankle", "left_heel"), ("right_ankle", "right_big_toe"), ("right_ankle", "right_small_toe"),
        ("right_ankle", "right_heel"),
    )),
    tuple(s / 10.0 for s in _COCO_SIGMAS) + (0.026, 0.026, 0.066, 0.079, 0.079, 0.079, 0.079, 0.079, 0.079),
    "Halpe-FullBody (HalpeCOCOAPI)",
)

_BLAZE_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
BLAZEPOSE33 = Skeleton(
    "blazepose33", _BLAZE_NAMES,
    _pairs_by_name(_BLAZE_NAMES) + ((_BLAZE_NAMES.index("mouth_left"), _BLAZE_NAMES.index("mouth_right")),),
    _limbs(_BLAZE_NAMES, _BODY_LINKS + (
        ("nose", "left_eye_inner"), ("left_eye_inner", "left_eye"), ("left_eye", "left_eye_outer"),
        ("left_eye_outer", "left_ear"), ("nose", "right_eye_inner"), ("right_eye_inner", "right_eye"),
        ("right_eye", "right_eye_outer"), ("right_eye_outer", "right_ear"), ("mouth_left", "mouth_right"),
        ("left_wrist", "left_pinky"), ("left_wrist", "left_index"), ("left_pinky", "left_index"),
        ("left_wrist", "left_thumb"), ("right_wrist", "right_pinky"), ("right_wrist", "right_index"),
        ("right_pinky", "right_index"), ("right_wrist", "right_thumb"), ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"), ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    )),
    tuple(_COCO_SIGMA.get(n, 0.079) for n in _BLAZE_NAMES),
    "borrowed: COCO sigmas for shared joints, 0.079 elsewhere",
)

_POSETRACK_NAMES = ("nose", "head_bottom", "head_top") + _COCO_NAMES[3:]
POSETRACK17 = Skeleton(
    "posetrack17", _POSETRACK_NAMES, _pairs_by_name(_POSETRACK_NAMES),
    _limbs(_POSETRACK_NAMES, _BODY_LINKS + (
        ("nose", "head_bottom"), ("nose", "head_top"), ("head_bottom", "left_shoulder"),
        ("head_bottom", "right_shoulder"),
    )),
    tuple(s / 10.0 for s in _COCO_SIGMAS),
    "PoseTrack18 keeps COCO's slots and sigmas (head_bottom, head_top in the eyes' places)",
)

# OpenPose's COCO layout (Cao et al., "Realtime Multi-Person 2D Pose Estimation using Part Affinity
# Fields", CVPR 2017): COCO's 17 points reordered, plus a neck (the shoulders' midpoint when both are
# labelled). The limbs are the 19 part affinity fields in the order of the network's PAF channels
# (limb i = channels 2i, 2i+1: x then y of the unit vector from its first to its second point), as
# the CMU COCO model and Intel's human-pose-estimation-0001 (Lightweight OpenPose) emit them;
# posekit measured the order on real photos (tests/bottomup/test_openpose_pretrained.py).
_OPENPOSE_NAMES = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
OPENPOSE18 = Skeleton(
    "openpose18", _OPENPOSE_NAMES, _pairs_by_name(_OPENPOSE_NAMES),
    _limbs(_OPENPOSE_NAMES, (
        ("neck", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ("neck", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
        ("neck", "right_shoulder"), ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("right_shoulder", "right_ear"), ("neck", "left_shoulder"), ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"), ("left_shoulder", "left_ear"), ("neck", "nose"),
        ("nose", "right_eye"), ("nose", "left_eye"), ("right_eye", "right_ear"), ("left_eye", "left_ear"),
    )),
    tuple(_COCO_SIGMA.get(n, 0.079) for n in _OPENPOSE_NAMES),
    "borrowed: COCO sigmas, 0.079 (the shoulder value) for the neck",
)

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (COCO17, MPII16, CROWDPOSE14, HALPE26, BLAZEPOSE33, POSETRACK17,
                                                      OPENPOSE18)}


def get_skeleton(name: str) -> Skeleton:
    try:
        return SKELETONS[name.lower()]
    except KeyError:
        raise SkeletonError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None


@dataclass(frozen=True)
class KeypointMapping:
    """Maps keypoints of ``source`` onto ``target``: ``index[t]`` is the source
    keypoint for target keypoint ``t``, or -1 where the source has none."""

    source: Skeleton
    target: Skeleton
    index: tuple[int, ...]

    def apply(self, keypoints: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """``(..., K_source, C)`` -> ``(..., K_target, C)``; missing keypoints get ``fill``."""
        keypoints = np.asarray(keypoints)
        idx = np.asarray(self.index)
        out = keypoints[..., np.maximum(idx, 0), :].copy()
        out[..., idx < 0, :] = fill
        return out

    @property
    def available(self) -> np.ndarray:
        """Boolean mask over target keypoints that the source provides."""
        return np.asarray(self.index) >= 0


def mapping(source: Skeleton | str, target: Skeleton | str) -> KeypointMapping:
    """Keypoint correspondence by name (the names are shared across sets)."""
    s = get_skeleton(source) if isinstance(source, str) else source
    t = get_skeleton(target) if isinstance(target, str) else target
    return KeypointMapping(s, t, tuple(s.names.index(n) if n in s.names else -1 for n in t.names))


def skeleton_from_category(category: Mapping, sigmas: Sequence[float] | None = None) -> Skeleton:
    """A skeleton from a COCO category record (``keypoints`` names, 1-based ``skeleton`` links).

    A known keypoint list (COCO-17, CrowdPose-14, ...) returns the built-in definition with its sigmas.
    """
    names = tuple(category.get("keypoints") or ())
    for known in SKELETONS.values():
        if known.names == names and sigmas is None:
            return known
    # Links only draw; files copy COCO's into other keypoint sets, so ones out of range are dropped.
    links = tuple((int(a) - 1, int(b) - 1) for a, b in category.get("skeleton") or ()
                  if 1 <= int(a) <= len(names) and 1 <= int(b) <= len(names))
    left = {n for n in names if n.startswith("left_")}
    pairs = _pairs_by_name(names) if all("right_" + n[5:] in names for n in left) else ()
    return Skeleton(str(category.get("name", "custom")), names, pairs, links,
                    tuple(float(s) for s in sigmas) if sigmas is not None else None, "given")
