"""Scenes of synthetic people with exact COCO ground truth, and single-person top-down crops.

Ground truth comes from the rendered label map: visibility ``v`` (2 seen, 1 hidden by another
person, an object or the body itself, 0 outside the image), a box and an area from the visible
mask (COCO's convention), and crowd regions for dense groups of small people (COCO's
``iscrowd`` annotations, Lin et al. 2014).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...skeletons import COCO17
from .background import background, draw_clutter, draw_occluders
from .body import sample_body, sample_pose
from .render import PART_BITS, Figure, Look, draw_person, keypoint_visibility, place, pose_figures, sample_looks

__all__ = ["Scene", "Person", "compose", "make_scene", "make_crop", "make_crops"]

K = COCO17.num_keypoints


@dataclass
class Person:
    """A person to draw: geometry, colours, optional track id, and whether it belongs to a crowd."""

    figure: Figure
    look: Look
    track_id: int | None = None
    crowd: bool = False


@dataclass
class Scene:
    """One rendered image and its ground truth.

    ``image`` (H, W, 3) uint8 RGB; ``labels`` (H, W) int32 label map (``slot * 32 + part``, 0 background,
    -1 occluders); per annotated person ``keypoints`` (N, 17, 2) at their true positions even when
    ``visibility`` (N, 17) is 0, ``boxes`` (N, 4) xywh and ``areas`` (N,) from the visible mask,
    ``slots`` (N,) their label-map slots, ``track_ids`` (N,) or None. ``crowd`` lists crowd regions as
    (mask (H, W) bool, box, area). ``figures`` are the annotated people's :class:`Figure` s.
    """

    image: np.ndarray
    labels: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray
    slots: np.ndarray
    track_ids: np.ndarray | None = None
    crowd: list = field(default_factory=list)
    figures: list = field(default_factory=list)

    def mask(self, i: int) -> np.ndarray:
        """Visible mask (H, W) bool of annotated person ``i``."""
        return (self.labels // PART_BITS) == self.slots[i]


def _mask_box(mask: np.ndarray, x0: int = 0, y0: int = 0) -> tuple[list[float], int]:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return [0.0, 0.0, 0.0, 0.0], 0
    box = [float(cols[0] + x0), float(rows[0] + y0), float(cols[-1] + 1 - cols[0]), float(rows[-1] + 1 - rows[0])]
    return box, int(mask.sum())


def _extent(fig: Figure, h: int, w: int) -> tuple[int, int, int, int]:
    """Window (x0, y0, x1, y1) that contains everything drawn for ``fig``, clipped to the image."""
    pad = 0.15 * fig.scale + 2
    lo = np.minimum(fig.xy.min(0), fig.hull.min(0)) - pad
    hi = np.maximum(fig.xy.max(0), fig.hull.max(0)) + pad
    return (int(np.clip(lo[0], 0, w)), int(np.clip(lo[1], 0, h)), int(np.clip(np.ceil(hi[0]), 0, w)),
            int(np.clip(np.ceil(hi[1]), 0, h)))


def compose(image: np.ndarray, people: list[Person], rng: np.random.Generator | None = None,
            occluders: int = 0, occluder_scale: float = 0.0, occlude_near: bool = False) -> Scene:
    """Draw ``people`` (in the given order, far to near) over ``image`` (modified in place), then
    ``occluders`` objects in front, and read the ground truth off the label map.

    People whose visible mask is empty are left out; crowd members are merged into one crowd region.
    """
    h, w = image.shape[:2]
    labels = np.zeros((h, w), np.int32)
    for slot, person in enumerate(people, start=1):
        draw_person(image, labels, slot, person.figure, person.look)
    if occluders and rng is not None:
        near = None
        if occlude_near:
            pts = [p.figure.xy[:K] for p in people if not p.crowd]
            near = np.concatenate(pts) if pts else None
        draw_occluders(rng, image, labels, occluders, occluder_scale, near)
    slot_map = labels // PART_BITS
    kps, vis, boxes, areas, slots, tracks, figs = [], [], [], [], [], [], []
    crowd_mask = np.zeros((h, w), bool)
    for slot, person in enumerate(people, start=1):
        x0, y0, x1, y1 = _extent(person.figure, h, w)
        window = slot_map[y0:y1, x0:x1] == slot
        if person.crowd:
            crowd_mask[y0:y1, x0:x1] |= window
            continue
        box, area = _mask_box(window, x0, y0)
        if area == 0:
            continue
        xy = np.round(person.figure.xy[:K], 2)
        kps.append(xy)
        vis.append(keypoint_visibility(labels, slot, person.figure, xy))
        boxes.append(box)
        areas.append(area)
        slots.append(slot)
        figs.append(person.figure)
        tracks.append(-1 if person.track_id is None else person.track_id)
    crowd = []
    if crowd_mask.any():
        box, area = _mask_box(crowd_mask)
        crowd.append((crowd_mask, box, area))
    n = len(kps)
    has_tracks = any(p.track_id is not None for p in people)
    return Scene(image, labels, np.array(kps).reshape(n, K, 2), np.array(vis, np.int64).reshape(n, K),
                 np.array(boxes, float).reshape(n, 4), np.array(areas, float), np.array(slots, np.int64),
                 np.array(tracks, np.int64) if has_tracks else None, crowd, figs)


def random_people(rng: np.random.Generator, n: int, heights: np.ndarray, centres: np.ndarray,
                  variety: float = 1.0, yaw: np.ndarray | None = None) -> list[Person]:
    """``n`` random people of the given pixel ``heights`` (n,) with pelvis at ``centres`` (n, 2)."""
    if n == 0:
        return []
    body = sample_body(rng, n)
    pose = sample_pose(rng, n, variety)
    if yaw is None:
        yaw = rng.uniform(-np.pi, np.pi, n)
    roll = np.clip(rng.normal(0, 0.12 * variety, n), -0.6, 0.6)
    figs = pose_figures(body, pose, yaw, roll, np.asarray(heights, float), np.asarray(centres, float))
    return [Person(f, lk) for f, lk in zip(figs, sample_looks(rng, n))]


def make_scene(rng: np.random.Generator, width: int = 640, height: int = 480, max_people: int = 4,
               min_height: float = 20.0, crowd_prob: float = 0.1, occluder_prob: float = 0.4,
               min_people: int = 0, max_height: float | None = None) -> Scene:
    """A multi-person scene: ``min_people``..``max_people`` people from ``min_height`` px tall to
    ``max_height`` (default 1.1 x the frame's height), overlapping at random, with clutter, occluders
    and sometimes a crowd of small people."""
    img = background(rng, height, width)
    draw_clutter(rng, img, int(rng.integers(2, 12)), 0.3 * min(width, height))
    n = int(rng.integers(min(min_people, max_people), max_people + 1))
    top = 1.1 * height if max_height is None else max_height
    heights = np.exp(rng.uniform(np.log(min_height), np.log(top), n))
    centres = np.stack([rng.uniform(-0.05, 1.05, n) * width,
                        rng.uniform(0.15, 0.85, n) * height + 0.05 * heights], 1)
    people = random_people(rng, n, heights, centres)
    crowd: list[Person] = []
    if max_people > 1 and rng.random() < crowd_prob:
        m = int(rng.integers(8, 20))
        ch = rng.uniform(15, 40, m)
        cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.2, 0.8) * height
        spread = np.array([rng.uniform(0.05, 0.2) * width, 0.03 * height])
        crowd = random_people(rng, m, ch, np.array([cx, cy]) + rng.normal(0, 1, (m, 2)) * spread, 0.5)
        for p in crowd:
            p.crowd = True
    order = sorted(range(n), key=lambda i: heights[i])
    people = crowd + [people[i] for i in order]
    occ = int(rng.integers(1, 3)) if rng.random() < occluder_prob else 0
    return compose(img, people, rng, occ, 0.4 * min(width, height))


def _crop_people(rng: np.random.Generator, width: int, height: int, variety: float,
                 padding: float) -> tuple[list[Person], float]:
    """The target person fitted into the crop as a top-down detector box would frame it
    (box widened to the crop's aspect ratio and padded by ``padding``, Xiao et al. 2018)."""
    body = sample_body(rng, 1)
    pose = sample_pose(rng, 1, variety)
    yaw = rng.uniform(-np.pi, np.pi, 1)
    roll = np.clip(rng.normal(0, 0.1 * variety, 1), -0.5, 0.5)
    unit = pose_figures(body, pose, yaw, roll, np.ones(1), np.zeros((1, 2)))[0]
    pts = np.concatenate([unit.xy, unit.hull])
    lo, hi = pts.min(0) - 0.04, pts.max(0) + 0.04
    bw, bh = hi - lo
    aspect = width / height
    if bw > aspect * bh:
        bh = bw / aspect
    else:
        bw = bh * aspect
    pad = padding * np.exp(rng.normal(0, 0.06))
    scale = width / (bw * pad)
    centre_unit = (lo + hi) / 2 + rng.normal(0, 0.03, 2) * np.array([bw, bh])
    centre = np.array([width / 2, height / 2]) - centre_unit * scale
    target = place(unit, scale, centre)
    return [Person(target, sample_looks(rng, 1)[0])], scale


def make_crop(rng: np.random.Generator, width: int = 192, height: int = 256, variety: float = 0.8,
              padding: float = 1.25, distractor_prob: float = 0.25, occluder_prob: float = 0.2) -> Scene:
    """One single-person top-down crop: the person centred and filling a ``padding``-padded box,
    sometimes a partly visible second person behind and an occluding object in front."""
    img = background(rng, height, width)
    draw_clutter(rng, img, int(rng.integers(1, 6)), 0.5 * min(width, height))
    target, scale = _crop_people(rng, width, height, variety, padding)
    people = target
    if rng.random() < distractor_prob:
        side = rng.choice([-1.0, 1.0])
        centre = np.array([[width / 2 + side * rng.uniform(0.55, 0.9) * width, height * rng.uniform(0.4, 0.7)]])
        people = random_people(rng, 1, np.array([scale * rng.uniform(0.7, 1.0)]), centre, variety) + target
    occ = 1 if rng.random() < occluder_prob else 0
    scene = compose(img, people, rng, occ, 0.35 * min(width, height), occlude_near=True)
    keep = scene.slots == len(people)
    scene.keypoints, scene.visibility = scene.keypoints[keep], scene.visibility[keep]
    scene.boxes, scene.areas, scene.slots = scene.boxes[keep], scene.areas[keep], scene.slots[keep]
    scene.figures = [f for f, k in zip(scene.figures, keep) if k]
    return scene


def make_crops(n: int, size: tuple[int, int] = (192, 256), seed: int = 0, start: int = 0,
               variety: float = 0.8, masks: bool = False, **options) -> tuple[np.ndarray, ...]:
    """``n`` single-person crops in memory for top-down training.

    ``size`` is (width, height). Returns images (N, H, W, 3) uint8 RGB and keypoints (N, 17, 3) as
    COCO's x, y, v in crop pixels; coordinates are kept even where v is 0 (outside the crop).
    Crop ``i`` depends only on (``seed``, ``start + i``), so batches can be drawn incrementally.
    ``masks``: a third array (N, H, W) bool, the person's pixels (from the label map).
    ``variety`` scales pose variation; ``options`` go to :func:`make_crop` (``padding``,
    ``distractor_prob``, ``occluder_prob``) to make the task easier or harder.
    """
    w, h = size
    images = np.empty((n, h, w, 3), np.uint8)
    kps = np.zeros((n, K, 3), np.float32)
    person = np.zeros((n, h, w), bool)
    for i in range(n):
        scene = make_crop(np.random.default_rng([seed, start + i]), w, h, variety, **options)
        images[i] = scene.image
        if len(scene.slots):
            kps[i, :, :2] = scene.keypoints[0]
            kps[i, :, 2] = scene.visibility[0]
            if masks:
                person[i] = scene.mask(0)
    return (images, kps, person) if masks else (images, kps)
