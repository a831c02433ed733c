"""A kinematic body model carrying the COCO-17 joints, with joint-angle limits and views.

The body is a tree of rigid segments posed by joint angles (shoulder flexion/abduction,
elbow flexion, hip flexion/abduction, knee flexion, torso lean and twist, head yaw/pitch/roll),
in the spirit of the kinematic models used to synthesise training people (Varol et al.,
"Learning from Synthetic Humans", CVPR 2017) but without a mesh: segments are capsules.
Everything is computed for a batch of ``N`` people at once.

Body frame: ``L`` points to the person's left, ``U`` up, ``F`` forward (where the face looks).
A view yaw ``theta`` turns it into camera space: ``theta = 0`` faces the camera (front view),
``pi`` shows the back and ``+-pi/2`` a side. Camera space is ``X`` right, ``Y`` down, ``D``
towards the camera (larger ``D`` is nearer and is drawn later).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...skeletons import COCO17

__all__ = ["Body", "POINTS", "sample_body", "sample_pose", "forward_kinematics", "project", "to_camera",
           "face_directions", "walking_pose"]

# Points of the model: the COCO-17 joints first (in COCO17's order), then helpers for drawing.
POINTS = COCO17.names + ("neck", "head_centre", "head_top", "pelvis", "left_toe", "right_toe",
                         "left_hand", "right_hand", "head_bottom")
P = {n: i for i, n in enumerate(POINTS)}

# name: (lo, hi, rest, spread) in radians; the sampled angle is rest + spread * N(0,1) clipped to [lo, hi].
ANGLE_LIMITS = {
    "shoulder_flex": (-0.7, 2.9, 0.1, 0.9),
    "shoulder_abd": (0.0, 2.7, 0.35, 0.7),
    "shoulder_rot": (-0.8, 0.8, 0.0, 0.4),
    "elbow": (0.0, 2.5, 0.5, 0.7),
    "hip_flex": (-0.5, 1.9, 0.1, 0.5),
    "hip_abd": (-0.15, 0.8, 0.1, 0.2),
    "knee": (0.0, 2.4, 0.2, 0.6),
    "torso_pitch": (-0.25, 0.6, 0.05, 0.15),
    "torso_bend": (-0.3, 0.3, 0.0, 0.1),
    "torso_twist": (-0.45, 0.45, 0.0, 0.15),
    "head_yaw": (-1.0, 1.0, 0.0, 0.35),
    "head_pitch": (-0.4, 0.5, 0.05, 0.15),
    "head_roll": (-0.3, 0.3, 0.0, 0.08),
}
SIDED = ("shoulder_flex", "shoulder_abd", "shoulder_rot", "elbow", "hip_flex", "hip_abd", "knee")


@dataclass
class Body:
    """Segment lengths and widths of ``N`` people, in units of body height (arrays of shape (N,))."""

    torso: np.ndarray
    neck: np.ndarray
    head_r: np.ndarray
    shoulder_w: np.ndarray
    hip_w: np.ndarray
    upper_arm: np.ndarray
    forearm: np.ndarray
    thigh: np.ndarray
    shin: np.ndarray
    foot: np.ndarray
    hand: np.ndarray
    limb_w: np.ndarray   # (N,) multiplier of all limb widths
    chest_d: np.ndarray  # front-to-back thickness of the torso


def sample_body(rng: np.random.Generator, n: int) -> Body:
    """Body proportions varying per person around adult averages (about +-8 %)."""
    def v(mean, rel=0.08):
        return mean * (1.0 + rel * np.clip(rng.standard_normal(n), -2, 2))
    return Body(torso=v(0.30), neck=v(0.045, 0.15), head_r=v(0.066, 0.08), shoulder_w=v(0.235, 0.1),
                hip_w=v(0.17, 0.1), upper_arm=v(0.175), forearm=v(0.15), thigh=v(0.245), shin=v(0.245),
                foot=v(0.075), hand=v(0.055), limb_w=v(1.0, 0.15), chest_d=v(0.12, 0.12))


def sample_pose(rng: np.random.Generator, n: int, variety: float = 1.0) -> dict[str, np.ndarray]:
    """Random anatomically plausible angles within :data:`ANGLE_LIMITS`, left and right independent.

    ``variety`` scales the spread around the rest pose (0 = everyone standing at rest).
    """
    pose = {}
    for name, (lo, hi, rest, spread) in ANGLE_LIMITS.items():
        for side in (("left_", "right_") if name in SIDED else ("",)):
            pose[side + name] = np.clip(rest + variety * spread * rng.standard_normal(n), lo, hi)
    return pose


def walking_pose(phase: np.ndarray, stride: np.ndarray, swing: np.ndarray) -> dict[str, np.ndarray]:
    """A gait cycle: legs swing in antiphase, each arm opposite its leg (arm swing), knees bend in swing."""
    s = np.sin(phase)
    z = np.zeros_like(phase)
    pose = {k: z + rest for k, (_, _, rest, _) in ANGLE_LIMITS.items() if k not in SIDED}
    for side, sign in (("left_", 1.0), ("right_", -1.0)):
        leg = sign * s
        pose[side + "hip_flex"] = 0.05 + stride * leg
        # The knee bends most early in the swing, while the leg moves forward (hip flexion rising).
        pose[side + "knee"] = 0.15 + 1.2 * stride * np.clip(sign * np.cos(phase + 0.3), 0, None)
        pose[side + "hip_abd"] = z + 0.05
        pose[side + "shoulder_flex"] = -swing * leg
        pose[side + "shoulder_abd"] = z + 0.12
        pose[side + "shoulder_rot"] = z
        pose[side + "elbow"] = 0.35 + 0.5 * swing * np.clip(-leg, 0, None)
    pose["torso_pitch"] = z + 0.06
    return pose


def _rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about body axis 0 (L), 1 (U) or 2 (F) by ``angle`` (N,)."""
    c, s = np.cos(angle), np.sin(angle)
    n = len(angle)
    r = np.zeros((n, 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r[:, axis, axis] = 1.0
    r[:, i, i] = c
    r[:, j, j] = c
    r[:, i, j] = -s
    r[:, j, i] = s
    return r


def _mv(r: np.ndarray, v) -> np.ndarray:
    """Batched matrix-vector product: (N,3,3) @ (3,) or (N,3) -> (N,3)."""
    v = np.asarray(v, dtype=np.float64)
    return r @ v if v.ndim == 1 else np.einsum("nij,nj->ni", r, v)


def _mm(*rs: np.ndarray) -> np.ndarray:
    out = rs[0]
    for r in rs[1:]:
        out = out @ r
    return out


DOWN = np.array([0.0, -1.0, 0.0])


def forward_kinematics(body: Body, pose: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions ``(N, len(POINTS), 3)`` in the body frame (pelvis at the origin) and the
    head's rotation (N, 3, 3), which orients the face."""
    n = len(body.torso)
    pts = np.zeros((n, len(POINTS), 3))
    col = lambda a: a[:, None]  # noqa: E731
    r_t = _mm(_rot(1, pose["torso_twist"]), _rot(2, pose["torso_bend"]), _rot(0, pose["torso_pitch"]))
    neck = _mv(r_t, np.stack([0 * body.torso, body.torso, 0 * body.torso], 1))
    pts[:, P["neck"]] = neck
    r_h = _mm(r_t, _rot(1, pose["head_yaw"]), _rot(0, pose["head_pitch"]), _rot(2, pose["head_roll"]))
    head_bottom = neck + col(body.neck) * _mv(r_t, [0, 1, 0])
    pts[:, P["head_bottom"]] = head_bottom
    r = col(body.head_r)
    centre = head_bottom + r * _mv(r_h, [0, 1.0, 0.1])
    pts[:, P["head_centre"]] = centre
    pts[:, P["head_top"]] = centre + r * _mv(r_h, [0, 1, 0])
    pts[:, P["nose"]] = centre + r * _mv(r_h, [0, -0.2, 1.15])
    for side, sign in (("left_", 1.0), ("right_", -1.0)):
        pts[:, P[side + "eye"]] = centre + r * _mv(r_h, [sign * 0.38, 0.15, 0.85])
        pts[:, P[side + "ear"]] = centre + r * _mv(r_h, [sign * 0.98, 0.0, -0.1])
        zero = 0 * body.torso
        shoulder = neck + _mv(r_t, np.stack([sign * body.shoulder_w / 2, zero - 0.025, zero], 1))
        r_ua = _mm(r_t, _rot(2, sign * pose[side + "shoulder_abd"]), _rot(0, -pose[side + "shoulder_flex"]),
                   _rot(1, sign * pose[side + "shoulder_rot"]))
        elbow = shoulder + col(body.upper_arm) * _mv(r_ua, DOWN)
        r_fa = r_ua @ _rot(0, -pose[side + "elbow"])
        wrist = elbow + col(body.forearm) * _mv(r_fa, DOWN)
        hip = np.stack([sign * body.hip_w / 2, zero, zero], 1)
        r_th = _mm(_rot(2, sign * pose[side + "hip_abd"]), _rot(0, -pose[side + "hip_flex"]))
        knee = hip + col(body.thigh) * _mv(r_th, DOWN)
        r_sh = r_th @ _rot(0, pose[side + "knee"])
        ankle = knee + col(body.shin) * _mv(r_sh, DOWN)
        pts[:, P[side + "shoulder"]] = shoulder
        pts[:, P[side + "elbow"]] = elbow
        pts[:, P[side + "wrist"]] = wrist
        pts[:, P[side + "hand"]] = wrist + col(body.hand) * _mv(r_fa, DOWN)
        pts[:, P[side + "hip"]] = hip
        pts[:, P[side + "knee"]] = knee
        pts[:, P[side + "ankle"]] = ankle
        pts[:, P[side + "toe"]] = ankle + col(body.foot) * _mv(r_sh, [0, -0.35, 0.94])
    return pts, r_h


def to_camera(vectors: np.ndarray, yaw: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Rotate body-frame vectors (N, J, 3) into camera space ``(X, Y, D)`` (N, J, 3)."""
    l, u, f = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x, y, d = c * l + s * f, -u, -s * l + c * f
    cr, sr = np.cos(roll)[:, None], np.sin(roll)[:, None]
    return np.stack([cr * x - sr * y, sr * x + cr * y, d], -1)


def project(points: np.ndarray, yaw: np.ndarray, roll: np.ndarray, scale: np.ndarray,
            centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic camera: body-frame points (N, J, 3) -> image ``xy`` (N, J, 2) and depth ``D`` (N, J).

    ``yaw`` turns the body about its vertical axis (the view), ``roll`` tilts it in the image plane,
    ``scale`` is pixels per body height and ``centre`` (N, 2) the pelvis in image pixels.
    """
    cam = to_camera(points, yaw, roll) * scale[:, None, None]
    return cam[..., :2] + centre[:, None, :], cam[..., 2]


# Outward directions of face features in the head frame; their camera D component says which side shows.
FACE_DIRECTIONS = np.array([
    [0.0, -0.2, 1.0],    # face (and nose)
    [0.55, 0.0, 0.83],   # left eye
    [-0.55, 0.0, 0.83],  # right eye
    [0.97, 0.0, -0.24],  # left ear
    [-0.97, 0.0, -0.24],  # right ear
])
FACE_DIRECTIONS /= np.linalg.norm(FACE_DIRECTIONS, axis=1, keepdims=True)


def face_directions(head_rotation: np.ndarray, yaw: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Camera-space unit normals (N, 5, 3) of face, left/right eye, left/right ear."""
    v = np.einsum("nij,mj->nmi", head_rotation, FACE_DIRECTIONS)
    return to_camera(v, yaw, roll)
