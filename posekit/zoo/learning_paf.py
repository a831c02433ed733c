"""The bottom-up learning proof: a part-field preset trained from scratch for a fixed number of
steps on synthetic multi-person scenes (3-8 people, occluders, sometimes a masked crowd), scored
by COCO keypoint AP of the people its PAF grouping finds in held-out scenes, beside the same
network untrained.

Fixed steps and a fixed seed make a result a function of the code alone. Used by the default
suite (``tests/bottomup/test_learning_paf.py``, a short run), its slow bar and
``bench/learning_paf.py``, which measures three seeds. No flips, as in
:mod:`posekit.zoo.learning_proof`: the synthetic people's left limbs carry a light stripe, the
right a dark one, and a mirror would swap the labels but keep the stripes.
"""
from __future__ import annotations

import time

import numpy as np

from ..topdown.transforms import RandomAugment

__all__ = ["synthetic_scenes", "learn_paf", "proof_run", "ground_truth_ap", "proof_summary", "report_seeds", "PAF_AUGMENT", "SCENES", "PRESET", "SIZE", "STEPS"]

PAF_AUGMENT = RandomAugment(flip_prob=0.0, scale_factor=0.25, rotation_factor=10.0, rotation_prob=0.5,
                            half_body_prob=0.0)
# the scenes of the proof: 3-8 people 50-120 px tall in 160x160 images (posekit synth --size 160x160
# --min-people 3 --max-people 8 --min-height 50 --max-height 120 makes the same kind on disk), with
# occluders (40% of scenes) and a masked crowd (10%)
SCENES = {"min_people": 3, "max_people": 8, "min_height": 50.0, "max_height": 120.0, "crowd_prob": 0.1,
          "occluder_prob": 0.4}
# 2200 steps with bf16 autocast (the top-down proofs' setting): about 9.5 CPU minutes on one core of a
# CPU with AVX-512 BF16 (1.6x faster a step than float32, with the same loss curve: measured, 2400 steps)
PRESET, SIZE, STEPS = "openpose-small-160x160", (160, 160), 2200
PROOF_AMP = "bf16"


def synthetic_scenes(n: int, size: tuple[int, int], seed: int, **options) -> tuple[list, dict]:
    """``n`` in-memory synthetic scenes of ``size`` (W, H): bottom-up instances and their COCO ground truth.

    ``options`` override :data:`SCENES` (``min_people``, ``max_people``, ``min_height``, ``crowd_prob``,
    ``occluder_prob``); scene ``i`` depends only on (``seed``, ``i``).
    """
    from ..bottomup.dataset import image_instances
    from ..data.coco import CocoDataset
    from ..data.synthetic.dataset import coco_category, scene_annotations
    from ..data.synthetic.scene import make_scene

    o = {**SCENES, **options}
    w, h = size
    images, anns, pixels = [], [], {}
    for i in range(n):
        scene = make_scene(np.random.default_rng([seed, i]), w, h, o["max_people"], o["min_height"], o["crowd_prob"],
                           o["occluder_prob"], o["min_people"], o["max_height"])
        images.append({"id": i + 1, "file_name": f"{i:06d}.png", "width": w, "height": h})
        anns += scene_annotations(scene, i + 1, len(anns) + 1)
        pixels[i + 1] = scene.image
    gt = {"images": images, "annotations": anns, "categories": [coco_category()]}
    return image_instances(CocoDataset(gt), None, pixels=pixels), gt


def learn_paf(preset: str, steps: int, train: list, held_out: list, held_out_gt: dict, seed: int = 0,
              model_args: dict | None = None, untrained: bool = False, out: str | None = None, **config) -> dict:
    """Train ``preset`` from scratch for ``steps`` steps on ``train``; score it on ``held_out``.

    ``config`` overrides :class:`TrainConfig` fields (defaults: Adam at 3e-3, batch 8, cosine over
    the steps, 50 warm-up steps, no mixed precision). With ``untrained`` the AP of the network before
    training comes back as ``untrained_AP``. Returns the AP summary, parameters, steps, wall-clock
    ``minutes`` and ``cpu_minutes`` (the process's CPU time: training and validation).
    """
    from ..bottomup.dataset import BottomUpDataset
    from ..bottomup.training import bottomup_validator
    from ..engine.cpu import flush_denormals
    from ..engine.trainer import seed_everything
    from ..models.complexity import count_parameters
    from . import build_model
    from .learning_proof import fit_steps

    seed_everything(seed)
    model = build_model(preset, **(model_args or {}))
    settings = {"amp": "off", "augment": PAF_AUGMENT, "channels_last": False, **config}
    validate = bottomup_validator(held_out_gt, instances=held_out)
    row: dict = {"preset": preset, "seed": seed}
    if untrained:
        with flush_denormals(True):
            row["untrained_AP"] = validate(model)["AP"]
    t0, c0 = time.monotonic(), time.process_time()
    summary = fit_steps(model, lambda augment: BottomUpDataset(train, model.codec, model.skeleton, augment, seed=seed),
                        len(train), steps, validate, "AP", seed, out, **settings)
    row.update(summary["metrics"])
    row.update({"params_m": count_parameters(model) / 1e6, "steps": summary["steps"],
                "minutes": (time.monotonic() - t0) / 60, "cpu_minutes": (time.process_time() - c0) / 60})
    return row


def proof_run(seed: int, steps: int = STEPS, train_scenes: int = 800, held_out_scenes: int = 100,
              untrained: bool = True) -> dict:
    """The learning proof of :data:`PRESET`: ``train_scenes`` scenes drawn with seed ``1000 + seed``,
    ``held_out_scenes`` held-out scenes (seed 7, the same for every run), ``steps`` steps, bf16 autocast."""
    train, _ = synthetic_scenes(train_scenes, SIZE, 1000 + seed)
    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    return learn_paf(PRESET, steps, train, held_out, gt, seed=seed, untrained=untrained, amp=PROOF_AMP)


def ground_truth_ap(held_out_scenes: int = 100) -> float:
    """COCO AP of the proof's held-out scenes decoded from their own ground-truth fields: the most
    any network of :data:`PRESET` can reach with this codec and grouping on these scenes."""
    from ..bottomup.dataset import BottomUpDataset
    from ..bottomup.inference import coco_records
    from ..evaluation import evaluate_coco
    from ..topdown.transforms import invert_affine
    from . import build_model

    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    model = build_model(PRESET)
    data = BottomUpDataset(held_out, model.codec, model.skeleton)
    found = []
    for i in range(len(data)):
        item = data[i]
        kp, ks, ps = model.codec.decode_image((item["heatmaps"], item["pafs"]))
        back = invert_affine(item["matrix"])
        found.append((kp @ back[:, :2].T + back[:, 2], ks, ps))
    return float(evaluate_coco(gt, coco_records(held_out, found)).summary()["AP"])


def proof_summary(preset: str, rows: list[dict], steps: int, jobs: int, **extra) -> dict:
    """The JSON a bottom-up learning-proof bench writes: the runs of several seeds, AP's mean, min,
    max and spread, the scenes, the largest CPU time and the machine; ``extra`` adds fields."""
    import platform

    ap = np.array([r["AP"] for r in rows])
    return {"preset": preset, "input": list(SIZE), "scenes": SCENES, "steps": steps, "seeds": [r["seed"] for r in rows],
            "AP": {"mean": round(float(ap.mean()), 4), "min": round(float(ap.min()), 4),
                   "max": round(float(ap.max()), 4), "spread": round(float(ap.max() - ap.min()), 4)},
            **extra, "cpu_minutes_max": round(max(r["cpu_minutes"] for r in rows), 2), "parallel_jobs": jobs,
            "machine": platform.processor() or platform.machine(), "runs": rows}


def report_seeds(summary: dict, out) -> None:
    """One line per seed and the summary line, as the benches print them."""
    for r in summary["runs"]:
        print(f"seed {r['seed']}: AP {r['AP']:.4f} (untrained {r['untrained_AP']:.4f}), AP50 {r['AP50']:.4f}, "
              f"{r['cpu_minutes']:.1f} CPU min")
    ap = summary["AP"]
    print(f"AP mean {ap['mean']:.4f}, min {ap['min']:.4f}, max {ap['max']:.4f}; wrote {out}")
