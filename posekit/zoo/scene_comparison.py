"""One comparison across the method families on the same synthetic multi-person scenes.

The survey (Chen et al. 2023, sections 1.2 and 2) contrasts top-down and bottom-up estimation:
top-down pays one network pass per person and depends on its detector; bottom-up pays one pass per
image and a grouping whose cost grows with the candidates. This module measures both on the same
data with the same budget:

- **scenes**: :func:`~posekit.zoo.learning_paf.synthetic_scenes` (3-8 people, occluders, masked
  crowds) for training; held out, the same kind of scenes (seed 7) and **crowded** ones (8-15
  people, seed 8: heavy overlap at that density);
- **budget**: the same number of optimisation steps of batch 8 and the same seed for every preset;
  a bottom-up step sees 8 whole scenes, a top-down step 8 person crops cut from the same scenes
  (their ground-truth boxes);
- **top-down on a detector**: the trained single-person model behind the given-boxes detector
  (:class:`~posekit.topdown.detectors.GivenBoxes` with the scenes' boxes: an oracle detector, the
  best case for top-down, as the published top-down figures with ground-truth boxes are);
- **cost**: ms per image on one scene of 1 person and one of 15, median of repeats, one thread.

:func:`compare_preset` gives one preset's row (AP, AP on crowded scenes, ms at 1 and 15 people,
parameters); ``bench/bottomup_synthetic.py`` runs every family and writes the table.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace

import numpy as np

__all__ = ["CROWDED", "scene_people", "topdown_records", "bottomup_records", "ms_per_image", "compare_preset"]

CROWDED = {"min_people": 8, "max_people": 15}


def scene_people(instances) -> list:
    """The labelled people of bottom-up ``instances`` as top-down :class:`PersonInstance` crops
    (box = the extent of their visible keypoints grown by 10%, the scene's pixels in memory)."""
    from ..topdown.dataset import PersonInstance

    out = []
    for inst in instances:
        for kp, vis in zip(inst.keypoints, inst.visible):
            seen = kp[vis > 0]
            if len(seen) < 2:
                continue
            lo, hi = seen.min(0), seen.max(0)
            pad = 0.1 * (hi - lo) + 1.0
            box = np.array([*(lo - pad), *(hi - lo + 2 * pad)])
            out.append(PersonInstance(inst.image_id, box, kp.astype(np.float64), vis.astype(np.int64),
                                      image=inst.image))
    return out


def _oracle(instances):
    from ..topdown.detectors import GivenBoxes

    by_id = {}
    for inst in instances:
        people = [p for p in scene_people([inst])]
        by_id[inst.image_id] = (np.array([p.box for p in people]).reshape(-1, 4), np.ones(len(people)))
    return GivenBoxes(by_id, source="ground-truth boxes")


def topdown_records(model, instances) -> list[dict]:
    """COCO records of a top-down ``model`` behind the oracle detector on every scene."""
    from ..topdown.pipeline import TopDownPipeline

    pipe = TopDownPipeline(model, _oracle(instances))
    records = []
    for inst in instances:
        r = pipe.predict(inst.image, image_id=inst.image_id)
        for i in range(len(r)):
            records.append({"image_id": int(inst.image_id), "category_id": 1, "score": float(r.scores[i]),
                            "keypoints": np.concatenate([r.keypoints[i], r.keypoint_scores[i][:, None]], 1)
                            .ravel().tolist()})
    return records


def bottomup_records(model, instances) -> list[dict]:
    from ..bottomup.inference import coco_records, predict_images

    return coco_records(instances, predict_images(model, instances))


def ms_per_image(predict, image, repeats: int = 5) -> float:
    """Median wall-clock ms of ``predict(image)`` over ``repeats`` runs after one warm-up."""
    predict(image)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        predict(image)
        times.append((time.perf_counter() - t) * 1e3)
    return float(np.median(times))


def compare_preset(preset: str, steps: int, seed: int = 0, train_scenes: int = 800, held_out_scenes: int = 100,
                   size: tuple[int, int] = (160, 160)) -> dict:
    """``preset`` trained ``steps`` steps (batch 8, seed ``seed``) on the training scenes; its AP on
    the held-out and the crowded scenes, ms per image at 1 and 15 people, parameters, CPU minutes."""
    from ..codecs.contract import is_image_codec
    from ..evaluation import evaluate_coco
    from ..models.complexity import count_parameters
    from . import PRESETS, load_model
    from .learning_paf import learn_paf, synthetic_scenes
    from .learning_proof import SYNTHETIC_AUGMENT, learn_synthetic

    bottom_up = PRESETS[preset].family == "bottom-up"
    train, _ = synthetic_scenes(train_scenes, size, 1000 + seed)
    held_out, gt = synthetic_scenes(held_out_scenes, size, 7)
    crowded, crowded_gt = synthetic_scenes(held_out_scenes, size, 8, **CROWDED)
    c0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        if bottom_up:
            learn_paf(preset, steps, train, held_out, gt, seed=seed, out=tmp)
        else:
            # the crop scorer of the top-down proof counts one person per image id
            check = [replace(c, image_id=i + 1) for i, c in enumerate(scene_people(held_out)[:200])]
            learn_synthetic(preset, steps, scene_people(train), check, seed=seed, out=tmp, amp="off",
                            augment=SYNTHETIC_AUGMENT)
        model = load_model(tmp)
    cpu_minutes = (time.process_time() - c0) / 60
    assert bottom_up == is_image_codec(getattr(model, "codec", None))
    records = bottomup_records if bottom_up else topdown_records
    row = {"preset": preset, "family": PRESETS[preset].section, "seed": seed, "steps": steps,
           "params_m": round(count_parameters(model) / 1e6, 3), "train_cpu_minutes": round(cpu_minutes, 2),
           "AP": evaluate_coco(gt, records(model, held_out)).summary()["AP"],
           "AP_crowded": evaluate_coco(crowded_gt, records(model, crowded)).summary()["AP"]}
    for people in (1, 15):
        scene, _ = synthetic_scenes(1, size, 9, min_people=people, max_people=people, occluder_prob=0.0,
                                    crowd_prob=0.0)
        row[f"ms_{people}_people"] = round(ms_per_image(lambda s: records(model, s), scene), 2)
        row[f"people_in_{people}_scene"] = int(len(scene[0].keypoints))
    return row
