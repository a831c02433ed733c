"""Drawing posed bodies: anti-aliased capsules and a painter's algorithm, plus a label map.

Each person is drawn far-to-near part by part (OpenCV ``LINE_AA`` lines with sub-pixel
coordinates) into the RGB image, and the same shapes without anti-aliasing into an int32
label map holding ``slot * 32 + part`` per pixel. The label map is the ground truth for
masks, boxes, areas and keypoint visibility. Limbs carry a stripe, light on the left and dark on
the right, and the face shows on the side the head faces, so left and right can be told apart.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .body import POINTS, Body, face_directions, forward_kinematics, project

__all__ = ["Figure", "Look", "PARTS", "pose_figures", "place", "sample_looks", "draw_person", "keypoint_visibility"]

P = {n: i for i, n in enumerate(POINTS)}
SHIFT = 4
ONE = 1 << SHIFT
PART_BITS = 32  # label = slot * PART_BITS + part

# (part id, name, from point, to point, width in body heights, colour key)
_LIMBS = [
    (3, "neck", "neck", "head_bottom", 0.055, "skin"),
    (5, "left_upper_arm", "left_shoulder", "left_elbow", 0.062, "sleeve"),
    (6, "left_forearm", "left_elbow", "left_wrist", 0.052, "cuff"),
    (7, "left_hand", "left_wrist", "left_hand", 0.045, "skin"),
    (8, "right_upper_arm", "right_shoulder", "right_elbow", 0.062, "sleeve"),
    (9, "right_forearm", "right_elbow", "right_wrist", 0.052, "cuff"),
    (10, "right_hand", "right_wrist", "right_hand", 0.045, "skin"),
    (11, "left_thigh", "left_hip", "left_knee", 0.088, "trousers"),
    (12, "left_shin", "left_knee", "left_ankle", 0.068, "hem"),
    (13, "left_foot", "left_ankle", "left_toe", 0.048, "shoes"),
    (14, "right_thigh", "right_hip", "right_knee", 0.088, "trousers"),
    (15, "right_shin", "right_knee", "right_ankle", 0.068, "hem"),
    (16, "right_foot", "right_ankle", "right_toe", 0.048, "shoes"),
    (2, "pelvis", "left_hip", "right_hip", 0.11, "trousers"),
]
TORSO, PELVIS, NECK, HEAD = 1, 2, 3, 4
PARTS = {1: "torso", 4: "head", **{pid: name for pid, name, *_ in _LIMBS}}
_LIMB_A = np.array([P[a] for _, _, a, *_ in _LIMBS])
_LIMB_B = np.array([P[b] for _, _, _, b, *_ in _LIMBS])
_TORSO_CORNERS = np.array([P["left_shoulder"], P["right_shoulder"], P["right_hip"], P["left_hip"]])

# Which parts a keypoint may be seen on (COCO-17 order).
_OWNERS = {
    "nose": {HEAD}, "left_eye": {HEAD}, "right_eye": {HEAD}, "left_ear": {HEAD}, "right_ear": {HEAD},
    "left_shoulder": {TORSO, NECK, 5}, "right_shoulder": {TORSO, NECK, 8},
    "left_elbow": {5, 6}, "right_elbow": {8, 9}, "left_wrist": {6, 7}, "right_wrist": {9, 10},
    "left_hip": {TORSO, PELVIS, 11}, "right_hip": {TORSO, PELVIS, 14},
    "left_knee": {11, 12}, "right_knee": {14, 15}, "left_ankle": {12, 13}, "right_ankle": {15, 16},
}
OWNER_TABLE = np.zeros((17, PART_BITS), bool)
for _k, _name in enumerate(POINTS[:17]):
    OWNER_TABLE[_k, list(_OWNERS[_name])] = True
# Face features: (keypoint, face-direction row, smallest camera-facing component to be seen).
_FACE_RULES = ((0, 0, -0.25), (1, 1, 0.2), (2, 2, 0.2), (3, 3, -0.35), (4, 4, -0.35))
TORSO_TOLERANCE = 0.08  # body heights: a joint this far behind the torso's mid-plane is hidden by it


@dataclass
class Figure:
    """One posed, projected person: image points ``xy`` (J, 2), depths ``d`` (J,), torso outline
    ``hull`` (8, 2), ``scale`` in pixels per body height, face normals ``face`` (5, 3)."""

    xy: np.ndarray
    d: np.ndarray
    hull: np.ndarray
    scale: float
    head_r: float
    limb_w: float
    face: np.ndarray
    torso_d: float


def pose_figures(body: Body, pose: dict[str, np.ndarray], yaw: np.ndarray, roll: np.ndarray,
                 scale: np.ndarray, centre: np.ndarray) -> list[Figure]:
    """Forward kinematics and projection for a batch of ``N`` people -> ``N`` figures."""
    pts, r_head = forward_kinematics(body, pose)
    xy, d = project(pts, yaw, roll, scale, centre)
    fwd = np.zeros((len(yaw), 1, 3))
    fwd[..., 2] = body.chest_d[:, None] / 2
    corners = pts[:, _TORSO_CORNERS]
    hull_xy, _ = project(np.concatenate([corners + fwd, corners - fwd], 1), yaw, roll, scale, centre)
    face = face_directions(r_head, yaw, roll)
    return [Figure(xy[i], d[i], hull_xy[i], float(scale[i]), float(body.head_r[i] * scale[i]),
                   float(body.limb_w[i]), face[i], float(d[i, _TORSO_CORNERS].mean())) for i in range(len(yaw))]


def place(fig: Figure, scale: float, centre) -> Figure:
    """``fig`` posed at unit scale about the origin, scaled to ``scale`` px and moved to ``centre``."""
    c = np.asarray(centre, float)
    return Figure(fig.xy * scale + c, fig.d * scale, fig.hull * scale + c, fig.scale * scale,
                  fig.head_r * scale, fig.limb_w, fig.face, fig.torso_d * scale)


# Side marks: whichever of the two contrasts with the clothes, one side is always recognisable.
LEFT_STRIPE, RIGHT_STRIPE = (250.0, 250.0, 240.0), (15.0, 15.0, 25.0)
SKIN_TONES = np.array([[255, 224, 196], [241, 194, 160], [224, 172, 130], [198, 134, 94],
                       [160, 100, 70], [114, 72, 50], [80, 52, 38]], float)


@dataclass
class Look:
    """Colours (RGB) of one person's clothes, skin and hair, and the shirt's
    pattern: ``pattern`` 0 plain, 1 stripes, 2 checks, with ``period`` (body heights) and ``angle``."""

    colours: dict
    pattern: int = 0
    period: float = 0.05
    angle: float = 0.0


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    hsv = np.array([[[rng.integers(0, 180), rng.integers(40, 256), rng.integers(40, 240)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(float)


def sample_looks(rng: np.random.Generator, n: int) -> list[Look]:
    """Skin tone, hair, shirt, trousers and shoes; long or short sleeves and trousers."""
    looks = []
    for _ in range(n):
        skin = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.05) + rng.uniform(-8, 8, 3)
        shirt, trousers = _random_colour(rng), _random_colour(rng)
        hair = np.array([30, 20, 15], float) * rng.uniform(0.5, 4.0) + rng.uniform(0, 20, 3)
        c = {"skin": skin, "shirt": shirt, "trousers": trousers, "hair": hair,
             "shoes": _random_colour(rng) * rng.uniform(0.3, 0.8),
             "sleeve": shirt, "cuff": shirt if rng.random() < 0.5 else skin,
             "hem": trousers if rng.random() < 0.7 else skin}
        c = {k: tuple(float(x) for x in np.clip(v, 0, 255)) for k, v in c.items()}
        pattern = int(rng.choice(3, p=[0.5, 0.3, 0.2]))
        looks.append(Look(c, pattern, float(rng.uniform(0.025, 0.06)), float(rng.uniform(0, np.pi))))
    return looks


def _pt(xy) -> tuple[int, int]:
    return int(round((xy[0] - 0.5) * ONE)), int(round((xy[1] - 0.5) * ONE))


def _dark(colour, f=0.55):
    return tuple(x * f for x in colour)


def draw_person(image: np.ndarray, labels: np.ndarray, slot: int, fig: Figure, look: Look) -> None:
    """Draw ``fig`` into ``image`` (H, W, 3) and ``slot * 32 + part`` into ``labels`` (H, W) int32."""
    s = fig.scale
    base = slot * PART_BITS
    outline = s >= 60
    items = [(float(fig.d[_LIMB_A[i]] + fig.d[_LIMB_B[i]]) / 2, i) for i in range(len(_LIMBS))]
    items.append((fig.torso_d, -1))
    items.append((float(fig.d[P["head_centre"]]), -2))
    items.sort()
    for _, i in items:
        if i == -1:
            hull = cv2.convexHull(np.round((fig.hull - 0.5) * ONE).astype(np.int32))
            colour = look.colours["shirt"]
            cv2.fillConvexPoly(image, hull, colour, cv2.LINE_AA, SHIFT)
            if outline:
                cv2.polylines(image, [hull], True, _dark(colour), max(1, int(s * 0.006)), cv2.LINE_AA, SHIFT)
            cv2.fillConvexPoly(labels, hull, base + TORSO, cv2.LINE_8, SHIFT)
            _stamp(labels, fig.xy[_TORSO_CORNERS], base + TORSO)
            _texture(image, labels, base, fig, look)
        elif i == -2:
            _draw_head(image, labels, base, fig, look)
        else:
            pid, name, _, _, width, key = _LIMBS[i]
            a, b = _pt(fig.xy[_LIMB_A[i]]), _pt(fig.xy[_LIMB_B[i]])
            w = max(1, int(round(width * fig.limb_w * s)))
            colour = look.colours[key]
            if outline:
                cv2.line(image, a, b, _dark(colour), w, cv2.LINE_AA, SHIFT)
                cv2.line(image, a, b, colour, max(1, w - 2 * max(1, int(s * 0.006))), cv2.LINE_AA, SHIFT)
            else:
                cv2.line(image, a, b, colour, w, cv2.LINE_AA, SHIFT)
            if w >= 4 and name != "pelvis":
                stripe = LEFT_STRIPE if name.startswith("left_") else RIGHT_STRIPE
                cv2.line(image, a, b, stripe, max(1, w // 4), cv2.LINE_AA, SHIFT)
            cv2.line(labels, a, b, base + pid, w, cv2.LINE_8, SHIFT)
            _stamp(labels, fig.xy[[_LIMB_A[i], _LIMB_B[i]]], base + pid)


def _texture(image: np.ndarray, labels: np.ndarray, base: int, fig: Figure, look: Look) -> None:
    """Darken the torso's visible shirt pixels in stripes or checks."""
    period = look.period * fig.scale
    if look.pattern == 0 or period < 3:
        return
    h, w = labels.shape
    lo = np.floor(np.maximum(fig.hull.min(0) - 0.1 * fig.scale, 0)).astype(int)
    hi = np.ceil(np.minimum(fig.hull.max(0) + 0.1 * fig.scale, (w, h))).astype(int)
    if (hi <= lo).any():
        return
    win = labels[lo[1]:hi[1], lo[0]:hi[0]]
    mask = win == base + TORSO
    if not mask.any():
        return
    ys, xs = np.nonzero(mask)
    c, s = np.cos(look.angle), np.sin(look.angle)
    u = ((xs + lo[0]) * c + (ys + lo[1]) * s) / period
    dark = np.floor(u).astype(int) % 2 == 1
    if look.pattern == 2:
        v = (-(xs + lo[0]) * s + (ys + lo[1]) * c) / period
        dark ^= np.floor(v).astype(int) % 2 == 1
    sub = image[lo[1]:hi[1], lo[0]:hi[0]]
    sub[ys[dark], xs[dark]] = (sub[ys[dark], xs[dark]] * 0.7).astype(np.uint8)


def _stamp(labels: np.ndarray, xy: np.ndarray, value: int) -> None:
    """Label the pixels holding a part's joints: thin parts drawn without anti-aliasing can miss them."""
    h, w = labels.shape
    for x, y in xy.tolist():
        if 0 <= x < w and 0 <= y < h:
            labels[int(y), int(x)] = value


def _draw_head(image: np.ndarray, labels: np.ndarray, base: int, fig: Figure, look: Look) -> None:
    r = fig.head_r
    c = fig.xy[P["head_centre"]]
    centre = _pt(c)
    rr = max(1, int(round(r * ONE)))
    skin = look.colours["skin"]
    face = fig.face
    cv2.circle(image, centre, rr, look.colours["hair"], -1, cv2.LINE_AA, SHIFT)
    cv2.circle(labels, centre, rr + ONE // 2, base + HEAD, -1, cv2.LINE_8, SHIFT)
    _stamp(labels, fig.xy[:5], base + HEAD)
    n = face[0]
    if n[2] > -0.3 and r >= 2:
        # The face: a skin-coloured ellipse on the side the head faces, inside the head's outline.
        nxy = n[:2]
        off = c + 0.45 * r * nxy
        ang = float(np.degrees(np.arctan2(nxy[1], nxy[0]))) if np.hypot(*nxy) > 1e-6 else 0.0
        axes = (max(1, int(round(r * (0.55 + 0.3 * n[2]) * ONE))), max(1, int(round(0.75 * r * ONE))))
        cv2.ellipse(image, _pt(off), axes, ang, 0, 360, skin, -1, cv2.LINE_AA, SHIFT)
    if face[0, 2] > _FACE_RULES[0][2]:
        # The nose sticks out of the head in profile.
        nose_root = c + 0.6 * (fig.xy[P["nose"]] - c)
        nose_w = max(1, int(round(0.3 * r)))
        cv2.line(image, _pt(nose_root), _pt(fig.xy[P["nose"]]), _dark(skin, 0.8), nose_w, cv2.LINE_AA, SHIFT)
        cv2.line(labels, _pt(nose_root), _pt(fig.xy[P["nose"]]), base + HEAD, nose_w, cv2.LINE_8, SHIFT)
    if r >= 3:
        for k, row, lo in _FACE_RULES[3:]:
            if face[row, 2] > lo:
                cv2.circle(image, _pt(fig.xy[k]), max(1, int(0.22 * r * ONE)), _dark(skin, 0.9), -1, cv2.LINE_AA, SHIFT)
        eye_r = max(ONE // 2, int(0.13 * r * ONE))
        for k, row, lo in _FACE_RULES[1:3]:
            if face[row, 2] > lo:
                cv2.circle(image, _pt(fig.xy[k]), eye_r, (25, 20, 20), -1, cv2.LINE_AA, SHIFT)


def keypoint_visibility(labels: np.ndarray, slot: int, fig: Figure, keypoints: np.ndarray) -> np.ndarray:
    """COCO visibility (17,) of one drawn person: 2 seen, 1 hidden (by another person, an object or
    its own body), 0 outside the image. ``keypoints`` (17, 2) are the coordinates to be written."""
    h, w = labels.shape
    x, y = keypoints[:, 0], keypoints[:, 1]
    inside = (x >= 0) & (y >= 0) & (x < w) & (y < h)
    v = np.where(inside, 1, 0)
    ix = np.clip(np.floor(x).astype(int), 0, w - 1)
    iy = np.clip(np.floor(y).astype(int), 0, h - 1)
    lab = labels[iy, ix]
    part = np.where(lab > 0, lab % PART_BITS, 0)
    seen = inside & (lab // PART_BITS == slot) & OWNER_TABLE[np.arange(17), part]
    # Seen on the torso or pelvis: only when the joint is not behind the body's mid-plane.
    body_part = (part == TORSO) | (part == PELVIS)
    seen &= ~body_part | (fig.d[:17] >= fig.torso_d - TORSO_TOLERANCE * fig.scale)
    for k, row, lo in _FACE_RULES:
        seen[k] &= bool(fig.face[row, 2] > lo)
    v[seen] = 2
    return v
