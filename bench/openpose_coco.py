"""OKS AP of the bottom-up default (Lightweight OpenPose) on real COCO photos, with its variants.

For each split of coco_mini (30 + 30 real COCO 2017 photos; val2017 is bundled in ./data, train2017
is read from ../shared/data when present), side by side:
  * posekit default (input height 368) and ``--accurate`` (flip test + heights 368/256/512);
  * the reference pipeline's network: OpenVINO running the int8 file itself, fed to the same
    decoder (the AP change from running posekit's plain float network instead);
  * with ``--scores``: the person score formulas (sum of keypoint scores, the grouping's own,
    against posekit's mean keypoint score x log(1 + box area));
  * BlazePose + SSD (posekit's previous default) for scale, with ``--blazepose``.
AP is pycocotools' (the official tool); ms/image includes reading the photo.

    python bench/openpose_coco.py [--scores] [--blazepose] [--splits val2017 train2017]

Writes bench/results/openpose_coco.json.
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GOMP_SPINCOUNT", "20000")  # as the CLI
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reference"))
XML = ROOT / "posekit/pretrained/data/human-pose-estimation-0001/human-pose-estimation-0001.xml"


def split_paths(split: str):
    for base in (ROOT / "data/coco_mini", ROOT.parent / "shared/data/coco_mini"):
        ann, images = base / f"annotations/person_keypoints_{split}.json", base / f"images/{split}"
        if ann.is_file() and images.is_dir():
            return ann, images
    return None


class Rescored:
    """An estimator whose person scores are recomputed by ``score(keypoint_scores, boxes)``."""

    def __init__(self, inner, score):
        self.inner, self.score = inner, score

    def predict(self, image, image_id=0):
        r = self.inner.predict(image, image_id=image_id)
        return replace(r, scores=self.score(r.views["openpose18"][1], r.boxes)) if len(r) else r


def main() -> int:
    import torch

    import posekit
    from coco_ap import coco_results, coco_stats
    from openvino_pose import openvino_fields
    from posekit.bottomup.openpose import OpenPose, OpenPoseConfig, person_score

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--splits", nargs="+", default=["val2017", "train2017"])
    p.add_argument("--scores", action="store_true", help="also compare person score formulas")
    p.add_argument("--blazepose", action="store_true", help="also run BlazePose + SSD")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "bench/results/openpose_coco.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    runs = {"default": posekit.load("openpose-lightweight"),
            "accurate": posekit.load("openpose-lightweight", accurate=True),
            "openvino-int8 fields": OpenPose(run=openvino_fields(XML, threads=args.threads))}
    if args.scores:
        runs["score: sum of keypoint scores"] = Rescored(runs["default"], lambda s, b: s.sum(axis=1))
        runs["score: mean keypoint score"] = Rescored(
            runs["default"], lambda s, b: np.where((s > 0).any(1), s.sum(1) / np.maximum((s > 0).sum(1), 1), 0))
        runs["score: mean x log(1 + area)"] = Rescored(runs["default"], person_score)
    if args.blazepose:
        runs["blazepose-full + ssd"] = posekit.load("blazepose-full", detector="blazepose+ssd")
    rows = []
    print(f"{'model':34s} " + " ".join(f"{s + ' AP':>13s} {'AR':>6s} {'ms/img':>7s}" for s in args.splits))
    for name, est in runs.items():
        row = {"model": name}
        cells = []
        for split in args.splits:
            paths = split_paths(split)
            if paths is None:
                cells.append(f"{'(no data)':>28s}")
                continue
            start = time.perf_counter()
            records, gt = coco_results(est, *paths)
            ms = (time.perf_counter() - start) / len(gt.getImgIds()) * 1000
            stats = coco_stats(records, gt)
            row[split] = {"AP": float(stats[0]), "AP50": float(stats[1]), "AR": float(stats[5]), "ms_per_image": ms,
                          "people": len(records), "images": len(gt.getImgIds())}
            cells.append(f"{stats[0]:13.3f} {stats[5]:6.3f} {ms:7.0f}")
        rows.append(row)
        print(f"{name:34s} " + " ".join(cells), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
