"""The learning proof of optical-flow fusion (Pfister et al. 2015, :mod:`posekit.video.flow_fusion`)
on degraded synthetic videos.

A per-frame network (a zoo heatmap preset) is trained from scratch on the person crops of every
frame of the training videos (degraded like the held-out ones); then, frozen, it runs on every
frame of each person tube, and the 1x1 fusion of its flow-warped heatmaps is trained on the tubes
of a second set of videos that the per-frame network has not seen (fitted on its own training
videos, where the network is right in every frame, the fusion lost AP to the single frame). Both
are scored on the held-out tubes' centre frames: the single-frame network (the centre frame's own
heatmaps, the same window), the plain average of the warped heatmaps (the fusion before training)
and the learned fusion, over all tubes and over the tubes whose centre frame is degraded (blurred,
defocused or occluded, from the videos' degradation logs).
"""
from __future__ import annotations

import time

import numpy as np

from ..topdown.dataset import PersonInstance
from ..topdown.transforms import apply_affine, invert_affine
from .learning_proof import score_predictions, train_synthetic

__all__ = ["degraded_videos", "frame_instances", "tube_features", "fit_fusion", "learn_flow_fusion",
           "save_flow_fusion", "load_flow_fusion"]

FRAME_FILE, FUSION_FILE, KIND = "frame_model.safetensors", "fusion.safetensors", "flow-fusion"


def degraded_videos(n: int, seed: int, frames: int = 30, size: tuple[int, int] = (192, 144),
                    kinds: tuple[str, ...] = ("blur", "defocus", "occlusion", "camera")):
    """``n`` synthetic videos (1-3 people) with ``kinds`` of degradation: in-memory videos and their logs."""
    from ..data.synthetic import make_video
    from ..data.synthetic.video_degrade import degrade_video
    from ..video.clips import videos_from_scenes

    scenes, logs = [], []
    for v in range(n):
        rng = np.random.default_rng([seed, v])
        s = make_video(rng, size[0], size[1], frames, int(rng.integers(1, 4)), heights=(0.5, 0.9))
        logs.append(degrade_video(s, np.random.default_rng([seed, v, 1]), kinds))
        scenes.append(s)
    return videos_from_scenes(scenes), logs


def frame_instances(videos) -> list[PersonInstance]:
    """Every labelled person of every frame, as a top-down training instance."""
    out = []
    for v, video in enumerate(videos):
        for t, s in enumerate(video.samples):
            for i in range(len(s)):
                if s.num_keypoints[i] and s.boxes[i, 2] > 1 and s.boxes[i, 3] > 1:
                    out.append(PersonInstance(len(out), s.boxes[i], s.keypoints[i], s.visibility[i],
                                              image=video.images[t]))
    return out


def tube_features(model, tubes) -> dict:
    """Per tube: centre heatmaps (N, K, h, w), warped heatmaps (N, T, K, h, w), the centre's
    target and weight, matrix, and the ground truth of the centre frame as instances."""
    from ..video.flow_fusion import tube_heatmaps

    model.eval()
    own, warped, target, weight, mats, truth = [], [], [], [], [], []
    for i in range(len(tubes)):
        item = tubes[i]
        maps, w = tube_heatmaps(model, item)
        c = len(maps) // 2
        own.append(maps[c])
        warped.append(w)
        target.append(item["target"])
        weight.append(item["target_weight"])
        mats.append(item["matrix"])
        v, t, tid = tubes.index[i]
        s = tubes.videos[v].samples[t]
        j = int(np.flatnonzero(s.track_ids == tid)[0])
        truth.append(PersonInstance(i + 1, s.boxes[j], s.keypoints[j], s.visibility[j],
                                    image=tubes.videos[v].images[t]))
    return {"own": np.stack(own), "warped": np.stack(warped), "target": np.stack(target),
            "weight": np.stack(weight), "matrix": np.stack(mats), "truth": truth}


def fit_fusion(features: dict, steps: int = 300, lr: float = 1e-2, batch: int = 64, seed: int = 0):
    """Train :class:`FlowFusion` on ``features`` (weighted MSE to the centre frame's targets)."""
    import torch

    from ..video.flow_fusion import FlowFusion

    torch.manual_seed(seed)
    n, t, k = features["warped"].shape[:3]
    fusion = FlowFusion(t, k)
    opt = torch.optim.Adam(fusion.parameters(), lr=lr)
    x, y = torch.from_numpy(features["warped"]), torch.from_numpy(features["target"])
    wgt = torch.from_numpy(features["weight"]).float()[..., None, None]
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, n, (min(batch, n),), generator=gen)
        loss = (((fusion(x[idx]) - y[idx]) ** 2) * wgt[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return fusion, losses


def _score(maps: np.ndarray, features: dict, codec, skeleton, keep: np.ndarray) -> dict:
    kp, conf = codec.decode(maps[keep])
    kp = apply_affine(kp, invert_affine(features["matrix"][keep]))
    truth = [p for p, k in zip(features["truth"], keep) if k]
    return score_predictions(kp, conf, truth, skeleton)


def learn_flow_fusion(seed: int = 0, steps: int = 600, preset: str = "simplebaseline-r18-128x96",
                      input_size: tuple[int, int] = (64, 96), train_videos: int = 12, test_videos: int = 6,
                      fusion_videos: int = 6, frames: int = 30, length: int = 5, step: int = 2, fusion_steps: int = 300,
                      out: str | None = None) -> dict:
    """The proof for one seed: single-frame, warped-average and fused scores (PCK@0.1, AP) on the
    held-out tubes, all and degraded only; fusion's training loss before and after. ``out``, given,
    receives the trained run (:func:`save_flow_fusion`)."""
    import torch

    from ..video.clips import PersonTubes

    t0 = time.monotonic()
    train, _ = degraded_videos(train_videos, 1000 + seed, frames)
    test, logs = degraded_videos(test_videos, 2000 + seed, frames)
    model, _ = train_synthetic(preset, steps, frame_instances(train), seed, model_args={"input_size": input_size},
                               log_every=10 ** 6)
    fuse, _ = degraded_videos(fusion_videos, 3000 + seed, frames)
    tr = tube_features(model, PersonTubes(fuse, model.codec, model.skeleton, length, step))
    tubes = PersonTubes(test, model.codec, model.skeleton, length, step)
    te = tube_features(model, tubes)
    fusion, losses = fit_fusion(tr, fusion_steps, seed=seed)
    with torch.no_grad():
        fused = fusion(torch.from_numpy(te["warped"])).numpy()
    degraded = np.array([logs[v].degraded(t, tid) for v, t, tid in tubes.index])
    row: dict = {"seed": seed, "steps": steps, "fusion_steps": fusion_steps, "fusion_tubes": len(tr["truth"]),
                 "test_tubes": len(te["truth"]), "degraded_tubes": int(degraded.sum()),
                 "fusion_loss_first": float(np.mean(losses[:10])), "fusion_loss_last": float(np.mean(losses[-10:]))}
    everything = np.ones(len(degraded), bool)
    for name, maps in (("single", te["own"]), ("warped_mean", te["warped"].mean(1)), ("fused", fused)):
        for part, keep in (("all", everything), ("degraded", degraded)):
            scores = _score(maps, te, model.codec, model.skeleton, keep)
            row[f"{name}_{part}_PCK@0.1"], row[f"{name}_{part}_AP"] = scores["PCK@0.1"], scores["AP"]
    row["minutes"] = (time.monotonic() - t0) / 60
    if out is not None:
        save_flow_fusion(out, model, fusion, length, step, {k: v for k, v in row.items() if k != "minutes"})
    return row


def save_flow_fusion(run_dir, model, fusion, length: int, step: int, info: dict | None = None):
    """``run_dir/frame_model.safetensors`` (the per-frame network, its preset spec in the metadata),
    ``run_dir/fusion.safetensors`` (the 1x1 pooling; tube ``length`` and ``step``) and ``flow_fusion.json``."""
    from pathlib import Path

    from ..engine.checkpoint import save_weights
    from ..fileio import write_json

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    spec = {"kind": KIND, "frames": fusion.frames, "keypoints": fusion.keypoints, "length": length, "step": step}
    save_weights(model, run_dir / FRAME_FILE)
    fusion.spec = spec
    save_weights(fusion, run_dir / FUSION_FILE, {"info": info or {}})
    write_json(run_dir / "flow_fusion.json", {"spec": spec, "frame_model": model.spec, **(info or {})}, indent=True)
    return run_dir


def load_flow_fusion(run_dir):
    """(per-frame model, fusion, spec) saved by :func:`save_flow_fusion`, in eval mode; :class:`InputError`
    for a folder that is not such a run."""
    from pathlib import Path

    from ..engine.checkpoint import load_weights, weights_info
    from ..errors import InputError, ModelError
    from ..video.flow_fusion import FlowFusion
    from .checkpoints import load_model

    run_dir = Path(run_dir)
    if not (run_dir / FUSION_FILE).is_file() or not (run_dir / FRAME_FILE).is_file():
        raise InputError(f"{run_dir}: not a flow-fusion run (needs {FRAME_FILE} and {FUSION_FILE})")
    try:
        spec = weights_info(run_dir / FUSION_FILE).get("spec") or {}
        if spec.get("kind") != KIND:
            raise InputError(f"{run_dir / FUSION_FILE}: not a flow fusion "
                             f"(its model is {spec.get('kind') or 'unnamed'})")
        fusion = FlowFusion(int(spec["frames"]), int(spec["keypoints"]))
        load_weights(fusion, run_dir / FUSION_FILE)
        model = load_model(run_dir / FRAME_FILE)
    except ModelError as e:
        raise InputError(str(e)) from None
    return model.eval(), fusion.eval(), spec
