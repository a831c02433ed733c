"""Training data for video pose models: clips of ``T`` frames around a target frame, and per-person
tubes for top-down video models (Pfister et al. 2015, "Flowing ConvNets"; Bertasius et al. 2019,
PoseWarper; Liu et al. 2021, DCPose), from PoseTrack18 files (Andriluka et al., CVPR 2018), COCO
files whose images carry ``vid_id`` and ``frame_id`` (``posekit synth --video`` writes both), or
synthetic videos in memory.

A tube is cropped with one window for all its frames (the padded union of the person's boxes over
the clip), so the motion inside the tube is the person's real motion, not a re-centring. Sparse
labels, as PoseWarper assumes: with ``label_every=k`` only every ``k``-th frame of a video counts
as labelled; targets come from labelled frames, and every item says which of its frames are.
Both datasets follow torch's map-style protocol without importing torch.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..data.coco import CocoDataset
from ..errors import DataError
from ..skeletons import Skeleton
from ..structures import PoseSample
from ..topdown.dataset import read_image
from ..topdown.transforms import (RandomAugment, apply_affine, box_to_center_scale, crop_matrix, flip_matrix,
                                  normalize_image, warp)

__all__ = ["Video", "load_videos", "videos_from_scenes", "clip_frames", "VideoClips", "PersonTubes"]


@dataclass
class Video:
    """One video's frames in order: ``samples`` (a :class:`PoseSample` per frame, with ``track_ids``),
    ``labelled`` (T,) bool, and the pixels as ``image_paths`` or in memory as ``images`` (T, H, W, 3)."""

    name: str
    samples: list[PoseSample]
    labelled: np.ndarray
    image_paths: list[str] | None = None
    images: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.samples)

    def image(self, t: int) -> np.ndarray:
        """RGB uint8 (H, W, 3) of frame ``t``."""
        return self.images[t] if self.images is not None else read_image(self.image_paths[t])


def _sparse(labelled: np.ndarray, label_every: int) -> np.ndarray:
    if label_every < 1:
        raise ValueError(f"label_every must be >= 1, got {label_every}")
    return labelled & (np.arange(len(labelled)) % label_every == 0)


def load_videos(path: str | os.PathLike, image_root: str | os.PathLike, label_every: int = 1) -> list[Video]:
    """The videos of a PoseTrack18 file, a folder of them, or a COCO file with ``vid_id`` per image.

    Frames are ordered by ``frame_id``; a frame is labelled when its ``is_labeled`` (default true)
    says so and its index in the video is a multiple of ``label_every``. Images are found under
    ``image_root`` by ``file_name``. :class:`DataError` names the file that lacks ``vid_id`` or
    an image."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise DataError("no PoseTrack18 .json files in the folder", path)
    out = []
    for f in files:
        coco = CocoDataset.load(f)
        cat = coco.keypoint_category_ids()[0]
        by_video: dict[str, list[dict]] = defaultdict(list)
        for img in coco.images:
            if "vid_id" not in img:
                raise DataError("image without 'vid_id': not a video file", f, f"image {img.get('id')}", "vid_id")
            by_video[str(img["vid_id"])].append(img)
        for name, imgs in sorted(by_video.items()):
            imgs.sort(key=lambda r: r.get("frame_id", r["id"]))
            samples = [coco.sample(r["id"], cat) for r in imgs]
            paths = [str(coco.image_path(r["id"], image_root)) for r in imgs]
            missing = [p for p in paths if not Path(p).is_file()]
            if missing:
                raise DataError(f"image file not found ({len(missing)} missing in all)", missing[0])
            labelled = np.array([bool(r.get("is_labeled", True)) for r in imgs])
            out.append(Video(name, samples, _sparse(labelled, label_every), paths))
    return out


def videos_from_scenes(videos: Sequence[Sequence], label_every: int = 1) -> list[Video]:
    """In-memory videos from synthetic scenes (:func:`posekit.data.synthetic.make_video`, degraded or not)."""
    out = []
    for v, scenes in enumerate(videos):
        samples = [PoseSample(t, "", s.image.shape[1], s.image.shape[0], s.keypoints, s.visibility, s.boxes, s.areas,
                              track_ids=s.track_ids) for t, s in enumerate(scenes)]
        out.append(Video(f"{v:06d}", samples, _sparse(np.ones(len(scenes), bool), label_every),
                         images=np.stack([s.image for s in scenes])))
    return out


def clip_frames(t: int, length: int, num_frames: int, step: int = 1) -> np.ndarray:
    """Frame indices (length,) of the clip centred on ``t`` (the centre is ``length // 2``), ``step``
    frames apart, repeating the first or last frame beyond the video's ends."""
    offsets = (np.arange(length) - length // 2) * step
    return np.clip(t + offsets, 0, num_frames - 1)


class VideoClips:
    """Whole-frame clips: one item per labelled frame of each video.

    Items: ``frames`` (T, H, W, 3) uint8, ``frame_index`` (T,), ``labelled`` (T,) bool, ``samples``
    (the T frames' :class:`PoseSample` s, in image pixels), ``video`` and ``target`` (= T // 2)."""

    def __init__(self, videos: Sequence[Video], length: int = 5, step: int = 1):
        self.videos, self.length, self.step = list(videos), length, step
        self.index = [(v, t) for v, video in enumerate(self.videos) for t in np.flatnonzero(video.labelled)]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        v, t = self.index[i]
        video = self.videos[v]
        idx = clip_frames(int(t), self.length, len(video), self.step)
        return {"frames": np.stack([video.image(int(u)) for u in idx]), "frame_index": idx,
                "labelled": video.labelled[idx], "samples": [video.samples[int(u)] for u in idx],
                "video": v, "target": self.length // 2}


class PersonTubes:
    """Per-person tubes for top-down video models: one item per (labelled frame, person with a track
    id and a labelled keypoint), its track's crops in ``length`` frames around it under ONE window.

    Items are dicts of NumPy arrays: ``image`` (T, 3, H, W) normalised float32; ``targets``
    (T, K, h, w) and ``target_weights`` (T, K) from ``codec.encode`` (weight 0 in frames that are
    not labelled or where the person is absent); ``target`` and ``target_weight``, the centre
    frame's; ``labelled`` (T,) bool (labelled and present), ``present`` (T,) bool, ``frame_index``
    (T,), ``matrix`` (2, 3) image -> crop (the same for every frame), ``track_id``, ``index``.
    ``augment`` draws one scale, rotation and flip per tube; ``None`` gives the evaluation crop.
    """

    def __init__(self, videos: Sequence[Video], codec, skeleton: Skeleton, length: int = 5, step: int = 1,
                 padding: float = 1.25, augment: RandomAugment | None = None, seed: int = 0):
        self.videos, self.codec, self.skeleton = list(videos), codec, skeleton
        self.length, self.step, self.padding = length, step, padding
        self.augment, self.seed, self.epoch = augment, seed, 0
        self.flip_index = skeleton.flip_index()
        cv2.setNumThreads(1)
        self.index = []
        for v, video in enumerate(self.videos):
            for t in np.flatnonzero(video.labelled):
                s = video.samples[t]
                if s.track_ids is None:
                    continue
                keep = ~s.iscrowd & (s.num_keypoints > 0) & (s.boxes[:, 2] > 1) & (s.boxes[:, 3] > 1)
                self.index += [(v, int(t), int(tid)) for tid in s.track_ids[keep]]

    def __len__(self) -> int:
        return len(self.index)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def track(self, v: int, idx: np.ndarray, tid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The track's keypoints (T, K, 2), visibility (T, K) and boxes (T, 4) in the frames ``idx``
        (zeros where it is absent)."""
        k = self.skeleton.num_keypoints
        kp, vis, boxes = np.zeros((len(idx), k, 2)), np.zeros((len(idx), k), np.int64), np.zeros((len(idx), 4))
        for j, u in enumerate(idx):
            s = self.videos[v].samples[int(u)]
            hit = np.flatnonzero(s.track_ids == tid) if s.track_ids is not None else []
            if len(hit):
                kp[j], vis[j], boxes[j] = s.keypoints[hit[0]], s.visibility[hit[0]], s.boxes[hit[0]]
        return kp, vis, boxes

    def window(self, boxes: np.ndarray, rng: np.random.Generator | None) -> tuple[np.ndarray, bool]:
        """The tube's (2, 3) image -> crop matrix, from the union of its boxes (T, 4), and whether it mirrors."""
        w, h = self.codec.input_size
        b = boxes[(boxes[:, 2] > 0) & (boxes[:, 3] > 0)]
        lo, hi = b[:, :2].min(0), (b[:, :2] + b[:, 2:]).max(0)
        centre, scale = box_to_center_scale(np.concatenate([lo, hi - lo])[None], w / h, self.padding)
        rotation, flip = 0.0, False
        if self.augment is not None and rng is not None:
            s, rotation, flip = self.augment.sample(rng)
            scale = scale * s
        m = crop_matrix(centre, scale, (w, h), rotation, udp=self.codec.udp)[0]
        if flip:
            m = (flip_matrix(w) @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2]
        return m, flip

    def __getitem__(self, i: int) -> dict:
        v, t, tid = self.index[i]
        video = self.videos[v]
        idx = clip_frames(t, self.length, len(video), self.step)
        kp, vis, boxes = self.track(v, idx, tid)
        rng = np.random.default_rng([self.seed, self.epoch, i]) if self.augment is not None else None
        m, flip = self.window(boxes, rng)
        crops = np.stack([normalize_image(warp(video.image(int(u)), m, self.codec.input_size)) for u in idx])
        ckp = apply_affine(kp, np.broadcast_to(m, (len(idx), 2, 3)))
        if flip:
            ckp, vis = ckp[:, self.flip_index], vis[:, self.flip_index]
        present = boxes[:, 2] > 0
        labelled = video.labelled[idx] & present
        targets, weights = self.codec.encode(ckp, vis)
        weights = weights * labelled[:, None]
        c = self.length // 2
        return {"image": crops, "targets": targets, "target_weights": weights, "target": targets[c],
                "target_weight": weights[c], "labelled": labelled, "present": present, "frame_index": idx,
                "matrix": m.astype(np.float64), "track_id": tid, "index": i}
