"""The video degradations that temporal pose models are meant to overcome (the survey's section 1.3,
and the failure cases of Pfister et al. 2015 and Bertasius et al. 2019, PoseWarper): motion blur
proportional to limb speed, defocus that varies over time, brief full occlusions, camera motion.

Each degradation is one seeded function over a synthetic video (the :class:`Scene` s of
:func:`posekit.data.synthetic.make_video`), changing the images in place and writing what it did
into a :class:`DegradationLog`, so that a bench can score the degraded frames alone. Ground truth
stays exact: blur and defocus leave it untouched, an occluder is also drawn into the label map and
lowers the visibility of every keypoint it covers, and camera motion moves keypoints, figures and
label map with the very transform that moves the image.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import cv2
import numpy as np

from .render import _LIMBS, _TORSO_CORNERS, HEAD, PART_BITS, TORSO, Figure, P
from .scene import Scene, _extent, _mask_box

__all__ = ["KINDS", "DegradationLog", "PART_POINTS", "part_velocities", "line_kernel", "disc_kernel",
           "camera_motion", "occlusions", "motion_blur", "defocus", "degrade_video", "parse_kinds"]

KINDS = ("blur", "defocus", "occlusion", "camera")
# part id of the label map -> the figure points whose mean motion is the part's motion
PART_POINTS: dict[int, np.ndarray] = {TORSO: _TORSO_CORNERS, HEAD: np.array([P["head_centre"]]),
                                      **{pid: np.array([P[a], P[b]]) for pid, _, a, b, *_ in _LIMBS}}


@dataclass
class DegradationLog:
    """What each degradation did: ``events`` of ``{"kind", "frame", "track_id", "amount"}``.

    ``track_id`` -1 means the whole frame. ``amount``: blur, the longest kernel over the person's
    parts (px); defocus, the disc radius (px); occlusion, the share of the person's labelled
    keypoints the occluder hides (1 for the occluded person); camera, the image's shift from the
    previous frame (px)."""

    events: list[dict] = field(default_factory=list)

    def add(self, kind: str, frame: int, track_id: int, amount: float) -> None:
        self.events.append({"kind": kind, "frame": int(frame), "track_id": int(track_id), "amount": float(amount)})

    def frames(self, kind: str | None = None) -> list[int]:
        """The frames that any event (of ``kind``) touched, sorted."""
        return sorted({e["frame"] for e in self.events if kind is None or e["kind"] == kind})

    def degraded(self, frame: int, track_id: int, kinds: Iterable[str] = ("blur", "defocus", "occlusion")) -> bool:
        """Whether the person ``track_id`` in ``frame`` was degraded (whole-frame events count for everyone).
        Camera motion is not a degradation of the frame by itself; its blur is in the blur events."""
        kinds = set(kinds)
        return any(e["frame"] == frame and e["kind"] in kinds and e["track_id"] in (-1, track_id)
                   for e in self.events)

    def to_json(self) -> dict:
        return {"kinds": sorted({e["kind"] for e in self.events}), "events": list(self.events)}


def parse_kinds(text: str) -> tuple[str, ...]:
    """``"blur,camera"`` -> ``("blur", "camera")``; ValueError naming an unknown kind."""
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"unknown degradation {', '.join(bad) or repr(text)}: choose from {','.join(KINDS)}")
    return kinds


def _by_track(scene: Scene) -> dict[int, int]:
    return {int(t): i for i, t in enumerate(scene.track_ids)} if scene.track_ids is not None else {}


def _bursts(rng: np.random.Generator, frames: int, fraction: float, length: tuple[int, int]) -> np.ndarray:
    """(frames,) bool: runs of ``length`` frames switched on until about ``fraction`` of them are."""
    on = np.zeros(frames, bool)
    for _ in range(4 * frames):
        if on.mean() >= fraction:
            break
        n = int(rng.integers(length[0], length[1] + 1))
        start = int(rng.integers(0, max(1, frames - n + 1)))
        on[start:start + n] = True
    return on


# ---- camera motion ---------------------------------------------------------------------------

def camera_motion(scenes: Sequence[Scene], rng: np.random.Generator, zoom: float = 1.15,
                  shake: float = 0.02, log: DegradationLog | None = None) -> np.ndarray:
    """Pan and shake: frame ``t`` becomes the window ``1 / zoom`` of its size at a smoothly moving
    origin, resampled to the full size, so no pixel comes from outside the rendered world.

    Returns the transforms (T, 2, 3) from the rendered frame to the new one, in COCO's pixel
    convention (x' = A x + b, origin at the top-left pixel's corner)."""
    h, w = scenes[0].image.shape[:2]
    t = np.arange(len(scenes))
    free = np.array([w, h]) * (1 - 1 / zoom)
    period, phase = rng.uniform(30, 90, 2), rng.uniform(0, 2 * np.pi, 2)
    jitter = cv2.GaussianBlur(rng.normal(0, 1, (len(scenes), 2)), (1, 5), 0, sigmaY=1.0)
    u = 0.5 + 0.4 * np.sin(2 * np.pi * t[:, None] / period + phase) + shake * jitter
    origin = free * np.clip(u, 0, 1)
    mats = np.zeros((len(scenes), 2, 3))
    mats[:, 0, 0] = mats[:, 1, 1] = zoom
    mats[:, :, 2] = -zoom * origin
    for i, (scene, m) in enumerate(zip(scenes, mats)):
        _move_scene(scene, m)
        if log is not None:
            log.add("camera", i, -1, 0.0 if i == 0 else zoom * float(np.linalg.norm(origin[i] - origin[i - 1])))
    return mats


def _move_scene(scene: Scene, m: np.ndarray) -> None:
    """Apply the COCO-convention affine ``m`` (2, 3) to the image, label map and ground truth."""
    h, w = scene.labels.shape
    # OpenCV puts pixel centres at integers: x_cv = x - 0.5
    cv_m = m.copy()
    cv_m[:, 2] = m[:, 2] + m[:, :2] @ [0.5, 0.5] - 0.5
    scene.image[:] = cv2.warpAffine(scene.image, cv_m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    scene.labels[:] = cv2.warpAffine(scene.labels, cv_m, (w, h), flags=cv2.INTER_NEAREST,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    s = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    move = lambda xy: xy @ m[:, :2].T + m[:, 2]  # noqa: E731
    kp = move(scene.keypoints)
    inside = (kp[..., 0] >= 0) & (kp[..., 1] >= 0) & (kp[..., 0] < w) & (kp[..., 1] < h)
    scene.keypoints, scene.visibility = kp, np.where(inside, scene.visibility, 0)
    scene.figures = [Figure(move(f.xy), f.d * s, move(f.hull), f.scale * s, f.head_r * s, f.limb_w, f.face,
                            f.torso_d * s) for f in scene.figures]
    boxes, areas = zip(*(_mask_box(scene.mask(i)) for i in range(len(scene.slots)))) if len(scene.slots) else ((), ())
    _keep(scene, np.array(areas) > 0, np.array(boxes, float).reshape(-1, 4), np.array(areas, float))


def _keep(scene: Scene, keep: np.ndarray, boxes: np.ndarray, areas: np.ndarray) -> None:
    """New boxes and areas; people whose visible mask is gone leave the scene (as in ``compose``)."""
    scene.boxes, scene.areas = boxes[keep], areas[keep]
    scene.keypoints, scene.visibility, scene.slots = scene.keypoints[keep], scene.visibility[keep], scene.slots[keep]
    if scene.track_ids is not None:
        scene.track_ids = scene.track_ids[keep]
    scene.figures = [f for f, k in zip(scene.figures, keep) if k]


# ---- brief full occlusions ---------------------------------------------------------------------

def occlusions(scenes: Sequence[Scene], rng: np.random.Generator, rate: float = 1.0, length: tuple[int, int] = (2, 5),
               log: DegradationLog | None = None) -> list[tuple[int, int, tuple[int, int, int, int]]]:
    """Hide people completely for ``length`` frames behind an opaque object in front of everything.

    About ``rate`` occlusions per person per 50 frames. The object covers everything drawn for the
    person over the span (its figure's extent), goes into the label map (-1), and every keypoint of
    anybody under it becomes 1 (labelled, hidden). The hidden person keeps the box and area it had
    before, so that its track and COCO's area normalisation go on. Returns (first frame, track id,
    window x0, y0, x1, y1) of each occlusion."""
    tracks = sorted({int(t) for s in scenes for t in (s.track_ids if s.track_ids is not None else [])})
    out = []
    for tid in tracks:
        for _ in range(int(rng.poisson(rate * len(scenes) / 50))):
            n = int(rng.integers(length[0], length[1] + 1))
            start = int(rng.integers(0, max(1, len(scenes) - n + 1)))
            span = [t for t in range(start, min(start + n, len(scenes))) if tid in _by_track(scenes[t])]
            if not span:
                continue
            h, w = scenes[0].labels.shape
            ext = np.array([_extent(scenes[t].figures[_by_track(scenes[t])[tid]], h, w) for t in span])
            window = (int(ext[:, 0].min()), int(ext[:, 1].min()), int(ext[:, 2].max()), int(ext[:, 3].max()))
            colour = rng.uniform(30, 220, 3)
            texture = rng.normal(0, 12, (window[3] - window[1], window[2] - window[0], 1))
            for t in span:
                _occlude(scenes[t], t, window, colour, texture, tid, log)
            out.append((span[0], tid, window))
    return out


def _occlude(scene: Scene, frame: int, window: tuple[int, int, int, int], colour: np.ndarray, texture: np.ndarray,
             tid: int, log: DegradationLog | None) -> None:
    x0, y0, x1, y1 = window
    if x1 <= x0 or y1 <= y0:
        return
    scene.image[y0:y1, x0:x1] = np.clip(colour + texture, 0, 255).astype(np.uint8)
    scene.labels[y0:y1, x0:x1] = -1
    x, y = scene.keypoints[..., 0], scene.keypoints[..., 1]
    under = (x >= x0) & (x < x1) & (y >= y0) & (y < y1) & (scene.visibility == 2)
    labelled = np.maximum((scene.visibility > 0).sum(1), 1)
    hidden_before = scene.visibility.copy()
    scene.visibility = np.where(under, 1, scene.visibility)
    boxes, areas = scene.boxes.copy(), scene.areas.copy()
    for i in range(len(scene.slots)):
        box, area = _mask_box(scene.mask(i))
        if area > 0:
            boxes[i], areas[i] = box, area
        share = 1.0 if (area == 0 or int(scene.track_ids[i]) == tid) else float(
            ((hidden_before[i] == 2) & under[i]).sum() / labelled[i])
        if log is not None and share > 0:
            log.add("occlusion", frame, int(scene.track_ids[i]), share)
    scene.boxes, scene.areas = boxes, areas


# ---- motion blur -------------------------------------------------------------------------------

def part_velocities(prev: Figure | None, fig: Figure, nxt: Figure | None) -> dict[int, np.ndarray]:
    """Image velocity (px / frame, (2,)) of each drawn part: the central difference of the mean of
    its points (one-sided at a track's ends, zero for a person seen in one frame only)."""
    a, b, gap = (prev or fig), (nxt or fig), (prev is not None) + (nxt is not None)
    return {pid: (b.xy[idx].mean(0) - a.xy[idx].mean(0)) / max(gap, 1) for pid, idx in PART_POINTS.items()}


def line_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised linear motion-blur kernel: a segment of ``length`` px at ``angle`` (radians, x
    towards y), centred, splatted bilinearly from dense samples (its variance along the segment is
    the segment's, length^2 / 12, plus the bilinear splat's 1/6 px^2)."""
    size = 2 * int(np.ceil(length / 2)) + 3
    k = np.zeros((size, size), np.float64)
    n = max(2, int(np.ceil(8 * length)))
    s = ((np.arange(n) + 0.5) / n - 0.5) * length
    x, y = size // 2 + s * np.cos(angle), size // 2 + s * np.sin(angle)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dx, dy, wgt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), wgt)
    return (k / k.sum()).astype(np.float32)


def motion_blur(scenes: Sequence[Scene], rng: np.random.Generator, exposure: tuple[float, float] = (0.5, 1.0),
                fraction: float = 0.3, burst: tuple[int, int] = (3, 8), log: DegradationLog | None = None) -> None:
    """Blur each part of each person along its motion, over ``exposure`` frame intervals (drawn per
    burst): the kernel is ``exposure * |v|`` px long, ``v`` the part's velocity, in bursts of
    ``burst`` frames covering about ``fraction`` of the video. The part is smeared over what lies
    behind it (the blurred layer over the image, weighted by the blurred mask)."""
    on = _bursts(rng, len(scenes), fraction, burst)
    gain = 0.0
    for t, scene in enumerate(scenes):
        if not on[t]:
            continue
        if t == 0 or not on[t - 1]:
            gain = float(rng.uniform(*exposure))
        near = [_by_track(scenes[u]) if 0 <= u < len(scenes) else {} for u in (t - 1, t + 1)]
        src = scene.image.astype(np.float32)
        out = src.copy()
        for i, tid in enumerate(scene.track_ids):
            prev = scenes[t - 1].figures[near[0][tid]] if tid in near[0] else None
            nxt = scenes[t + 1].figures[near[1][tid]] if tid in near[1] else None
            longest = 0.0
            for pid, v in part_velocities(prev, scene.figures[i], nxt).items():
                length = gain * float(np.hypot(*v))
                if length >= 1.0 and _smear(out, src, scene.labels == scene.slots[i] * PART_BITS + pid,
                                            line_kernel(length, float(np.arctan2(v[1], v[0])))):
                    longest = max(longest, length)
            if log is not None and longest > 0:
                log.add("blur", t, int(tid), longest)
        scene.image[:] = np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _smear(out: np.ndarray, src: np.ndarray, mask: np.ndarray, kernel: np.ndarray) -> bool:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return False
    r = kernel.shape[0] // 2 + 1
    h, w = mask.shape
    y0, y1, x0, x1 = max(rows[0] - r, 0), min(rows[-1] + r + 1, h), max(cols[0] - r, 0), min(cols[-1] + r + 1, w)
    m = mask[y0:y1, x0:x1].astype(np.float32)
    layer = cv2.filter2D(src[y0:y1, x0:x1] * m[..., None], -1, kernel, borderType=cv2.BORDER_CONSTANT)
    alpha = cv2.filter2D(m, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    out[y0:y1, x0:x1] = layer + (1 - alpha[..., None]) * out[y0:y1, x0:x1]
    return True


# ---- defocus -----------------------------------------------------------------------------------

def disc_kernel(radius: float) -> np.ndarray:
    """A normalised defocus (pillbox) kernel of ``radius`` px, its edge anti-aliased by 4x4 supersampling."""
    n = int(np.ceil(radius))
    g = (np.arange(-n, n + 1)[:, None] + (np.arange(4) + 0.5) / 4 - 0.5).ravel()
    inside = (g[:, None] ** 2 + g[None] ** 2 <= radius ** 2).astype(np.float64)
    k = inside.reshape(2 * n + 1, 4, 2 * n + 1, 4).mean((1, 3))
    return (k / k.sum()).astype(np.float32)


def defocus(scenes: Sequence[Scene], rng: np.random.Generator, rate: float = 1.5, duration: tuple[int, int] = (6, 16),
            max_radius: float | None = None, log: DegradationLog | None = None) -> np.ndarray:
    """Focus that drifts over time: about ``rate`` episodes per 50 frames, each a raised-cosine rise
    and fall of the circle of confusion over ``duration`` frames, up to ``max_radius`` px (default
    1.5% of the frame's shorter side, plus one). Frames with a radius of at least 1 px are blurred
    with a disc. Returns the radius of every frame (T,)."""
    h, w = scenes[0].image.shape[:2]
    top = 1.0 + 0.015 * min(h, w) if max_radius is None else max_radius
    t = np.arange(len(scenes))
    radius = np.zeros(len(scenes))
    for _ in range(max(1, int(rng.poisson(rate * len(scenes) / 50)))):
        d = rng.uniform(*duration)
        c, peak = rng.uniform(0, len(scenes)), rng.uniform(0.4, 1.0) * top
        bump = np.where(np.abs(t - c) < d / 2, 0.5 + 0.5 * np.cos(2 * np.pi * (t - c) / d), 0.0)
        radius = np.maximum(radius, peak * bump)
    for i, (scene, r) in enumerate(zip(scenes, radius)):
        if r >= 1.0:
            scene.image[:] = cv2.filter2D(scene.image, -1, disc_kernel(r), borderType=cv2.BORDER_REFLECT)
            if log is not None:
                log.add("defocus", i, -1, r)
    return radius


def degrade_video(scenes: Sequence[Scene], rng: np.random.Generator, kinds: Iterable[str] = KINDS) -> DegradationLog:
    """Apply ``kinds`` to one video in a fixed order (camera, occlusion, blur, defocus: blur follows
    the motion on screen, defocus the optics). Each kind draws from its own stream of ``rng``, so
    switching one on does not change what the others do."""
    kinds = set(kinds)
    streams = dict(zip(("camera", "occlusion", "blur", "defocus"), rng.spawn(4)))
    log = DegradationLog()
    if "camera" in kinds:
        camera_motion(scenes, streams["camera"], log=log)
    if "occlusion" in kinds:
        occlusions(scenes, streams["occlusion"], log=log)
    if "blur" in kinds:
        motion_blur(scenes, streams["blur"], log=log)
    if "defocus" in kinds:
        defocus(scenes, streams["defocus"], log=log)
    return log
