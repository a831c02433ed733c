"""``posekit calibrate``: fit BlazePose's COCO-17 view to a dataset's keypoint convention.

The ground truth must name COCO-17's keypoints (COCO, or a file in its slots); other skeletons
are refused in one line.
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="COCO keypoint annotations of the target convention")
    p.add_argument("--images", required=True, help="folder of the annotated images")
    p.add_argument("--out", required=True, help="calibration file to write (JSON)")
    p.add_argument("--model", default="blazepose-full")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from ..data import load_any_dataset
    from ..errors import DataError
    from ..estimators import load
    from ..skeletons import COCO17
    from ..topdown.calibration import fit_calibration

    gt = load_any_dataset(args.gt)
    skeleton = gt.skeleton()
    if tuple(skeleton.names) != tuple(COCO17.names):
        # the calibration is fitted in COCO-17's slots, in each person's hips-and-shoulders frame
        raise DataError(f"calibrate fits COCO-17 keypoints; this ground truth has {skeleton.num_keypoints} "
                        f"({skeleton.name}: {', '.join(skeleton.names[:3])}, ...)", args.gt, None, "categories")
    estimator = load(args.model)
    preds, truths, seen = [], [], []
    for img in tqdm(gt.images, desc="calibrate", unit="img"):
        anns = [a for a in gt.annotations_of(img["id"]) if not a.get("iscrowd") and a.get("num_keypoints", 0) > 0]
        if not anns:
            continue
        result = estimator.predict(gt.image_path(img["id"], args.images),
                                   boxes=np.array([a["bbox"] for a in anns], np.float64))
        kp = np.array([a["keypoints"] for a in anns], np.float64).reshape(len(anns), 17, 3)
        preds.append(result.views["coco17"][0])
        truths.append(kp[..., :2])
        seen.append(kp[..., 2] > 0)
    cal = fit_calibration(np.concatenate(preds), np.concatenate(truths), np.concatenate(seen), args.gt)
    cal.save(args.out)
    print(f"fitted on {cal.people} people; offsets (torso units) written to {args.out}", file=sys.stderr)
    return 0
