"""Writing synthetic scenes as a COCO keypoints dataset: ``DIR/images/*.png`` + ``DIR/annotations.json``.

The annotation file follows the COCO keypoint format (Lin et al. 2014): one category "person"
with COCO-17 keypoint names and 1-based skeleton links, keypoints as ``[x, y, v] * 17`` with
unlabelled (v = 0) keypoints written as zeros, ``bbox``/``area`` from the visible mask, and
crowd regions as ``iscrowd = 1`` annotations with an uncompressed RLE mask.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...fileio import write_bytes, write_json
from ...skeletons import COCO17
from ..masks import rle_encode
from .scene import Scene, make_crop, make_scene

__all__ = ["coco_category", "polygons", "scene_annotations", "encode_png", "write_dataset",
           "write_preview"]


def coco_category() -> dict:
    return {"id": 1, "name": "person", "supercategory": "person", "keypoints": list(COCO17.names),
            "skeleton": [[a + 1, b + 1] for a, b in COCO17.limbs]}


def polygons(mask: np.ndarray) -> list[list[float]]:
    """Outer contours of a mask as COCO polygons (pixel-corner coordinates)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [(c.reshape(-1, 2) + 0.5).ravel().tolist() for c in contours if len(c) >= 3]


def scene_annotations(scene: Scene, image_id: int, first_id: int, segmentation: bool = False) -> list[dict]:
    """COCO annotation records of ``scene`` (people first, then crowd regions), ids from ``first_id``."""
    out = []
    for i in range(len(scene.slots)):
        v = scene.visibility[i]
        xyv = np.concatenate([scene.keypoints[i], v[:, None]], 1)
        xyv[v == 0] = 0
        ann = {"id": first_id + len(out), "image_id": image_id, "category_id": 1,
               "keypoints": [float(x) if j % 3 != 2 else int(x) for j, x in enumerate(xyv.ravel())],
               "num_keypoints": int((v > 0).sum()), "bbox": [float(x) for x in scene.boxes[i]],
               "area": float(scene.areas[i]), "iscrowd": 0,
               "segmentation": polygons(scene.mask(i)) if segmentation else []}
        if scene.track_ids is not None:
            ann["track_id"] = int(scene.track_ids[i])
        out.append(ann)
    for mask, box, area in scene.crowd:
        out.append({"id": first_id + len(out), "image_id": image_id, "category_id": 1,
                    "keypoints": [0] * (3 * COCO17.num_keypoints), "num_keypoints": 0, "bbox": box,
                    "area": float(area), "iscrowd": 1, "segmentation": rle_encode(mask)})
    return out


def encode_png(image_rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 RGB
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def write_dataset(out: str | Path, num_images: int, width: int, height: int, max_people: int = 4,
                  seed: int = 0, crops: bool = False, segmentation: bool = False, preview: bool = False,
                  progress: bool = False, crowd_prob: float = 0.1, occluder_prob: float | None = None,
                  min_people: int = 0, min_height: float = 20.0, max_height: float | None = None) -> Path:
    """Generate ``num_images`` scenes (or single-person ``crops``) into ``out``; returns the annotation path.

    Image ``i`` depends only on (``seed``, ``i``): the same arguments give byte-identical files.
    ``crowd_prob`` is the chance of a crowd region per scene, ``occluder_prob`` of occluding objects
    (default 0.4 for scenes, 0.2 for crops); scenes hold ``min_people``..``max_people`` people at
    ``min_height`` to ``max_height`` pixels tall (default 1.1 x the image height).
    """
    from tqdm import tqdm

    out = Path(out)
    images, annotations, shown = [], [], []
    for i in tqdm(range(num_images), desc="synth", unit="img", disable=not progress):
        rng = np.random.default_rng([seed, i])
        if crops:
            scene = make_crop(rng, width, height, occluder_prob=0.2 if occluder_prob is None else occluder_prob)
        else:
            scene = make_scene(rng, width, height, max_people, min_height, crowd_prob,
                               0.4 if occluder_prob is None else occluder_prob, min_people, max_height)
        name = f"{i:06d}.png"
        write_bytes(out / "images" / name, encode_png(scene.image))
        images.append({"id": i + 1, "file_name": name, "width": width, "height": height})
        annotations += scene_annotations(scene, i + 1, len(annotations) + 1, segmentation)
        if preview and len(shown) < 16:
            shown.append(scene)
    ann_path = out / "annotations.json"
    write_json(ann_path, {"info": {"description": "posekit synthetic people", "seed": seed,
                                   "mode": "crops" if crops else "scenes"},
                          "images": images, "annotations": annotations, "categories": [coco_category()]},
               indent=True)
    if preview:
        write_preview(out / "preview.png", shown)
    return ann_path


def write_preview(path: str | Path, scenes: list[Scene], columns: int = 4) -> None:
    """A contact-sheet PNG of ``scenes`` with their ground truth drawn."""
    from .preview import contact_sheet, draw_ground_truth

    tiles = [draw_ground_truth(s.image, s.keypoints, s.visibility, s.boxes, [c[0] for c in s.crowd])
             for s in scenes]
    if tiles:
        write_bytes(path, encode_png(contact_sheet(tiles, columns)))
