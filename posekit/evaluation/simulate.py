"""Simulated ground truth and detections, for testing and benchmarking evaluators.

:func:`random_keypoint_dataset` draws a COCO-format keypoint set shaped like COCO
val (1-12 people an image, crowd regions, people with no labelled keypoint, small
people); :func:`simulate_detections` turns ground truth into detections with the
errors real estimators make (localisation noise scaled by person size, left/right
swaps, duplicates, missed people, false positives), scored, at most ``max_dets``
an image. Everything is drawn from one seeded generator: same seed, same data.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..skeletons import COCO17, Skeleton

__all__ = ["random_keypoint_dataset", "simulate_detections"]


def _polygon(rng: np.random.Generator, box: np.ndarray, n: int = 16) -> list[float]:
    x, y, w, h = box
    t = np.sort(rng.uniform(0, 2 * np.pi, n))
    px = x + w / 2 + np.cos(t) * w / 2 * rng.uniform(0.8, 1.0, n)
    py = y + h / 2 + np.sin(t) * h / 2 * rng.uniform(0.8, 1.0, n)
    return np.round(np.stack([px, py], 1).ravel(), 2).tolist()


def random_keypoint_dataset(num_images: int, seed: int = 0, skeleton: Skeleton = COCO17,
                            max_people: int = 12, crowd_fraction: float = 0.05,
                            unlabelled_fraction: float = 0.1) -> dict[str, Any]:
    """A COCO keypoint dataset object with random people (see module docstring)."""
    rng = np.random.default_rng(seed)
    k = skeleton.num_keypoints
    images, anns = [], []
    ann_id = 1
    for i in range(num_images):
        w, h = int(rng.choice([640, 480, 500, 427])), int(rng.choice([480, 640, 375, 333]))
        image_id = int(1000 + 7 * i)
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": w, "height": h})
        for _ in range(int(rng.integers(1, max_people + 1))):
            side = float(np.exp(rng.uniform(np.log(12), np.log(0.9 * min(w, h)))))
            bw, bh = side * rng.uniform(0.35, 0.8), side
            bx, by = rng.uniform(-0.1 * bw, w - 0.9 * bw), rng.uniform(-0.1 * bh, h - 0.9 * bh)
            box = np.round([bx, by, bw, bh], 2)
            crowd = rng.random() < crowd_fraction
            kp = np.zeros((k, 3))
            if not crowd and rng.random() >= unlabelled_fraction:
                kp[:, 0] = np.round(rng.uniform(bx, bx + bw, k))
                kp[:, 1] = np.round(rng.uniform(by, by + bh, k))
                kp[:, 2] = rng.choice([0, 1, 2], size=k, p=[0.25, 0.15, 0.6])
                kp[kp[:, 2] == 0, :2] = 0
            area = round(float(bw * bh * rng.uniform(0.4, 0.7)), 2)
            ann = {"id": ann_id, "image_id": image_id, "category_id": 1, "iscrowd": int(crowd),
                   "num_keypoints": int((kp[:, 2] > 0).sum()), "keypoints": kp.astype(int).ravel().tolist(),
                   "bbox": box.tolist(), "area": area}
            if crowd:
                ann["segmentation"] = {"counts": rng.integers(1, 400, 40).tolist(), "size": [h, w]}
            else:
                ann["segmentation"] = [_polygon(rng, box)]
            anns.append(ann)
            ann_id += 1
    cats = [{"id": 1, "name": "person", "supercategory": "person", "keypoints": list(skeleton.names),
             "skeleton": [[a + 1, b + 1] for a, b in skeleton.limbs]}]
    return {"info": {"description": f"posekit simulated keypoints, seed {seed}"}, "images": images,
            "annotations": anns, "categories": cats}


def simulate_detections(dataset: dict[str, Any], seed: int = 0, skeleton: Skeleton = COCO17,
                        noise: float = 0.06, miss: float = 0.1, duplicate: float = 0.25, swap: float = 0.1,
                        false_positives: float = 1.5, max_dets: int = 20, with_boxes: bool = True,
                        decimals: int = 2) -> list[dict]:
    """Detections derived from ``dataset``'s people (see module docstring), as COCO result records."""
    rng = np.random.default_rng(seed)
    k = skeleton.num_keypoints
    flip = skeleton.flip_index()
    by_image: dict[int, list[dict]] = {img["id"]: [] for img in dataset["images"]}
    for a in dataset["annotations"]:
        by_image[a["image_id"]].append(a)
    sizes = {img["id"]: (img.get("width", 640), img.get("height", 480)) for img in dataset["images"]}
    out = []
    for image_id, anns in by_image.items():
        dets = []
        for a in anns:
            if a.get("iscrowd") or a["num_keypoints"] == 0 or rng.random() < miss:
                continue
            kp = np.asarray(a["keypoints"], np.float64).reshape(k, 3)
            scale = np.sqrt(max(a["area"], 1.0))
            for copy in range(1 + int(rng.random() < duplicate)):
                xy = kp[:, :2] + rng.normal(0, noise * scale * (1 + 2 * copy), (k, 2))
                unlabelled = kp[:, 2] == 0
                x, y, bw, bh = a["bbox"]
                xy[unlabelled] = np.stack([rng.uniform(x, x + bw, k), rng.uniform(y, y + bh, k)], 1)[unlabelled]
                if rng.random() < swap:
                    xy = xy[flip]
                dets.append((xy, rng.uniform(0.3, 1.0) * (0.7 if copy else 1.0)))
        w, h = sizes[image_id]
        for _ in range(rng.poisson(false_positives)):
            side = rng.uniform(10, 0.6 * min(w, h))
            x0, y0 = rng.uniform(0, w - side / 2), rng.uniform(0, h - side)
            xy = np.stack([rng.uniform(x0, x0 + side / 2, k), rng.uniform(y0, y0 + side, k)], 1)
            dets.append((xy, rng.uniform(0.0, 0.6)))
        rng.shuffle(dets)
        for xy, score in dets[:max_dets]:
            trip = np.concatenate([xy, rng.uniform(0, 1, (k, 1))], 1)
            rec = {"image_id": image_id, "category_id": 1,
                   "keypoints": np.round(trip, decimals).ravel().tolist(), "score": round(float(score), 6)}
            if with_boxes:
                lo, hi = xy.min(0), xy.max(0)
                rec["bbox"] = np.round([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], decimals).tolist()
            out.append(rec)
    return out
