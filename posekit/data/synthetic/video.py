"""Synthetic videos: people walking along smooth trajectories, entering, leaving and crossing.

Each track walks with a gait cycle (legs in antiphase, arm swing opposite the leg) at a speed
tied to its size, or stands and moves its arms and head smoothly. Annotations carry track ids
and are written both as COCO with ``track_id`` and in the PoseTrack18 format (Andriluka et al.,
"PoseTrack: A Benchmark for Human Pose Estimation and Tracking", CVPR 2018), whose 17 slots are
COCO's with ``head_bottom`` and ``head_top`` in place of the eyes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ...fileio import write_bytes, write_json
from ...skeletons import COCO17, POSETRACK17
from ...structures import PoseSample
from ..posetrack import save_posetrack
from ..video import write_video
from .background import background, draw_clutter
from .body import POINTS, sample_body, sample_pose, walking_pose
from .dataset import coco_category, encode_png, scene_annotations, write_preview
from .render import PART_BITS, pose_figures, sample_looks
from .scene import Person, Scene, compose
from .video_degrade import degrade_video

__all__ = ["make_video", "video_tracks", "posetrack_sample", "write_videos"]

P = {n: i for i, n in enumerate(POINTS)}


def make_video(rng: np.random.Generator, width: int = 640, height: int = 480, frames: int = 50,
               num_people: int = 3, occluder_prob: float = 0.5, walker_fraction: float = 0.75,
               heights: tuple[float, float] = (0.3, 0.9), apart: bool = False) -> list[Scene]:
    """``frames`` scenes of ``num_people`` tracks over one static background.

    ``walker_fraction`` of the people walk across (the others stand, turning slowly, in any
    view: front, side or back); ``heights`` is their height range as a fraction of the frame's;
    ``apart`` places standing people in separate columns of the frame so they do not overlap.
    """
    bg = background(rng, height, width)
    draw_clutter(rng, bg, int(rng.integers(2, 10)), 0.3 * min(width, height))
    figures, looks, order = _motion(rng, width, height, frames, num_people, walker_fraction, heights, apart)
    occluders = int(rng.integers(1, 3)) if rng.random() < occluder_prob else 0
    occ_seed = int(rng.integers(2**62))
    scenes = []
    for figs in figures:
        people = [Person(figs[i], looks[i], track_id=int(i)) for i in order]
        scenes.append(compose(bg.copy(), people, np.random.default_rng(occ_seed), occluders,
                              0.4 * min(width, height)))
    return scenes


def video_tracks(rng: np.random.Generator, width: int = 640, height: int = 480, frames: int = 50,
                 num_people: int = 3, walker_fraction: float = 0.75, heights: tuple[float, float] = (0.3, 0.9),
                 apart: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The people of :func:`make_video` as trajectories, without drawing anything (about a
    twenty times cheaper): keypoints (T, N, 17, 2), visibility (T, N, 17) (2 inside the frame,
    0 outside: occlusion needs the rendering) and boxes (T, N, 4) xywh, the extent of the
    figure (joints and torso) clipped to the frame, zero while the person is out of view. The
    same motion model and arguments as :func:`make_video`; the same ``rng`` gives other people,
    since no background is drawn from it."""
    figures, _, _ = _motion(rng, width, height, frames, num_people, walker_fraction, heights, apart)
    k = COCO17.num_keypoints
    kp = np.array([[f.xy[:k] for f in figs] for figs in figures]).reshape(frames, num_people, k, 2)
    pts = np.array([[np.concatenate([f.xy, f.hull]) for f in figs] for figs in figures])
    size = np.array([width, height], float)
    lo, hi = np.clip(pts.min(2), 0, size), np.clip(pts.max(2), 0, size)
    boxes = np.concatenate([lo, hi - lo], -1).reshape(frames, num_people, 4)
    inside = (kp >= 0).all(-1) & (kp < size).all(-1)
    vis = np.where(inside, 2, 0)
    boxes[~inside.any(-1)] = 0.0
    return kp, vis, boxes


def _motion(rng: np.random.Generator, width: int, height: int, f: int, n: int, walker_fraction: float,
            heights: tuple[float, float], apart: bool) -> tuple[list[list], list, np.ndarray]:
    """Figures (f frames of n people), each person's look, and the drawing order (far to near)."""
    h = height * rng.uniform(heights[0], heights[1], n)
    pelvis_y = 0.3 * height + 0.72 * h - 0.49 * h
    walker = rng.random(n) < walker_fraction
    # Alternate directions so that people walking in opposite directions cross each other.
    direction = rng.choice([-1.0, 1.0]) * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    speed = h * rng.uniform(0.02, 0.04, n)  # pixels per frame: about 1.4 m/s at 25 fps
    edge = np.where(direction > 0, -0.3 * h, width + 0.3 * h)
    # Every walker is in view at the middle frame; it enters if t_enter > 0 and leaves if it finishes early.
    crossing = (width + 0.6 * h) / speed
    t_enter = f / 2 - rng.uniform(0.1, 0.9, n) * crossing
    stand_x = rng.uniform(0.1, 0.9, n) * width
    if apart:
        stand_x = (rng.permutation(n) + rng.uniform(0.35, 0.65, n)) / n * width
    stride, swing = rng.uniform(0.3, 0.5, n), rng.uniform(0.3, 0.7, n)
    phase0, phase_rate = rng.uniform(0, 2 * np.pi, n), 2 * np.pi * speed / (0.8 * h)
    yaw = np.where(walker, direction * np.pi / 2 + rng.uniform(-0.5, 0.5, n), rng.uniform(-np.pi, np.pi, n))
    yaw_drift = np.where(walker, 0.0, rng.uniform(-0.02, 0.02, n))
    head_amp, head_rate, head_phase = rng.uniform(0, 0.5, n), rng.uniform(0.02, 0.1, n), rng.uniform(0, 6.3, n)
    body = sample_body(rng, n)
    pose_a, pose_b = sample_pose(rng, n, 0.7), sample_pose(rng, n, 0.7)
    looks = sample_looks(rng, n)
    order = np.argsort(h, kind="stable")
    figures = []
    for t in range(f):
        walk = walking_pose(phase0 + phase_rate * t, stride, swing)
        s = 0.5 - 0.5 * np.cos(np.pi * t / max(f - 1, 1))
        pose = {k: np.where(walker, walk[k], pose_a[k] + (pose_b[k] - pose_a[k]) * s) for k in pose_a}
        pose["head_yaw"] = np.clip(pose["head_yaw"] + head_amp * np.sin(head_rate * t + head_phase), -1.0, 1.0)
        x = np.where(walker, edge + direction * speed * (t - t_enter), stand_x)
        bob = np.where(walker, 0.01 * h * np.cos(2 * (phase0 + phase_rate * t)), 0.0)
        figures.append(pose_figures(body, pose, yaw + yaw_drift * t, np.zeros(n), h,
                                    np.stack([x, pelvis_y + bob], 1)))
    return figures, looks, order


def _head_points(scene: Scene, i: int) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """head_bottom and head_top (2, 2) of annotated person ``i``, their visibility (2,), head box."""
    fig = scene.figures[i]
    pts = np.round(fig.xy[[P["head_bottom"], P["head_top"]]], 2)
    h, w = scene.labels.shape
    inside = (pts[:, 0] >= 0) & (pts[:, 1] >= 0) & (pts[:, 0] < w) & (pts[:, 1] < h)
    ix = np.clip(pts[:, 0].astype(int), 0, w - 1)
    iy = np.clip(pts[:, 1].astype(int), 0, h - 1)
    lab = scene.labels[iy, ix]
    seen = (lab // PART_BITS == scene.slots[i]) & np.isin(lab % PART_BITS, [3, 4])
    v = np.where(inside, np.where(seen, 2, 1), 0)
    c, r = fig.xy[P["head_centre"]], fig.head_r
    return pts, v, [float(c[0] - r), float(c[1] - r), float(2 * r), float(2 * r)]


def posetrack_sample(scene: Scene, image_id: int, file_name: str) -> tuple[PoseSample, dict]:
    """One frame as a :class:`PoseSample` in :data:`POSETRACK17` order, and its head boxes
    keyed by (image_id, person) as :func:`posekit.data.posetrack.save_posetrack` takes them."""
    n = len(scene.slots)
    src = [COCO17.names.index(name) if name in COCO17.names else -1 for name in POSETRACK17.names]
    kp = np.zeros((n, POSETRACK17.num_keypoints, 2))
    vis = np.zeros((n, POSETRACK17.num_keypoints), np.int64)
    heads = {}
    for i in range(n):
        head, head_v, head_box = _head_points(scene, i)
        for k, name in enumerate(POSETRACK17.names):
            if src[k] >= 0:
                kp[i, k], vis[i, k] = scene.keypoints[i, src[k]], scene.visibility[i, src[k]]
            else:
                j = ("head_bottom", "head_top").index(name)
                kp[i, k], vis[i, k] = head[j], head_v[j]
        heads[(image_id, i)] = head_box
    kp[vis == 0] = 0
    h, w = scene.labels.shape
    sample = PoseSample(image_id, file_name, w, h, kp, vis, scene.boxes, scene.areas,
                        ann_ids=image_id * 100 + np.arange(n), track_ids=scene.track_ids)
    return sample, heads


def write_videos(out: str | Path, videos: int, frames: int, width: int, height: int, max_people: int = 3,
                 seed: int = 0, fps: float = 25.0, preview: bool = False, progress: bool = False,
                 degrade: Sequence[str] = ()) -> Path:
    """Generate ``videos`` sequences into ``out``: ``images/<vid>/<frame>.png``, ``videos/<vid>.mp4``,
    ``annotations.json`` (COCO with ``track_id``) and ``posetrack/<vid>.json`` (PoseTrack18).

    ``degrade`` names video degradations of :mod:`.video_degrade` (``blur``, ``defocus``,
    ``occlusion``, ``camera``) to apply, from their own random stream (the people are those of
    the same seed without them); what they did goes to ``degradations/<vid>.json``."""
    from tqdm import tqdm

    out = Path(out)
    images, annotations, shown = [], [], []
    for v in tqdm(range(videos), desc="synth video", unit="video", disable=not progress):
        rng = np.random.default_rng([seed, v])
        scenes = make_video(rng, width, height, frames, int(rng.integers(1, max_people + 1)))
        vid = f"{v:06d}"
        if degrade:
            log = degrade_video(scenes, np.random.default_rng([seed, v, 1]), degrade)
            events = [dict(e, image_id=int(f"1{v:06d}{e['frame']:04d}")) for e in log.events]
            write_json(out / "degradations" / f"{vid}.json", {"video": vid, "kinds": list(degrade), "events": events})
        pt_samples, pt_heads = [], {}
        for t, scene in enumerate(scenes):
            image_id = int(f"1{v:06d}{t:04d}")
            name = f"{vid}/{t:06d}.png"
            write_bytes(out / "images" / name, encode_png(scene.image))
            rec = {"id": image_id, "file_name": name, "width": width, "height": height,
                   "vid_id": vid, "frame_id": image_id, "nframes": frames}
            images.append(rec)
            annotations += scene_annotations(scene, image_id, len(annotations) + 1)
            sample, heads = posetrack_sample(scene, image_id, f"images/{name}")
            pt_samples.append(sample)
            pt_heads.update(heads)
            if preview and v == 0 and t % max(1, frames // 12) == 0 and len(shown) < 12:
                shown.append(scene)
        save_posetrack(pt_samples, out / "posetrack" / f"{vid}.json", vid, head_boxes=pt_heads)
        write_video(out / "videos" / f"{vid}.mp4", (s.image for s in scenes), fps)
    ann_path = out / "annotations.json"
    write_json(ann_path, {"info": {"description": "posekit synthetic people (video)", "seed": seed,
                                   "mode": "video"},
                          "images": images, "annotations": annotations, "categories": [coco_category()]},
               indent=True)
    if preview:
        write_preview(out / "preview.png", shown)
    return ann_path
