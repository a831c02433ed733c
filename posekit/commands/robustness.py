"""``posekit robustness --model M --gt GT.json --images DIR --out DIR``: any model on the clean set and
on every corruption kind and severity (:mod:`posekit.data.corruptions`), scored by COCO AP.

Corruptions are made on the fly, deterministically (a stream per seed, kind, severity and file),
and written only with ``--save-images`` (with the occlusion severities' ground truth, whose covered
joints become v = 1). Writes ``robustness.json`` (AP and AP on originally visible keypoints per
kind and severity, mAP_c, relative robustness; :mod:`posekit.evaluation.robustness`),
``robustness.png`` (AP against severity, one line per kind) and a table on stdout. An unreadable
image is reported and left out of every condition's ground truth.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .infer import add_model_arguments

KIND_NAMES = ("overexposure", "underexposure", "gaussian_noise", "motion_blur", "defocus_blur", "occlusion", "jpeg")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="COCO-format keypoint ground truth")
    p.add_argument("--images", required=True, help="folder of the ground truth's images")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--kinds", nargs="+", default=list(KIND_NAMES), choices=KIND_NAMES)
    p.add_argument("--severities", default="1-5", help="e.g. 1-5, 3 or 1,3,5")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-images", action="store_true", help="also write every corrupted image under DIR/images/")
    add_model_arguments(p)


def _severities(text: str) -> list[int]:
    from ..errors import InputError

    try:
        if "-" in text:
            a, b = (int(v) for v in text.split("-"))
            out = list(range(a, b + 1))
        else:
            out = [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"--severities {text!r}: expected a range such as 1-5 or a list such as 1,3,5") from None
    if not out or any(s not in (1, 2, 3, 4, 5) for s in out):
        raise InputError(f"--severities {text!r}: severities are 1..5")
    return out


def _people(coco, image_id: int, cat: int, k: int):
    """An image's people (no crowds): keypoints (N, K, 3), boxes (N, 4) and annotation ids."""
    import numpy as np

    anns = [a for a in coco.annotations_of(image_id) if a["category_id"] == cat and not a.get("iscrowd")]
    kp = np.array([np.asarray(a.get("keypoints") or [0] * 3 * k, np.float64) for a in anns]).reshape(len(anns), k, 3)
    boxes = np.array([a.get("bbox", [0, 0, 0, 0]) for a in anns], np.float64).reshape(-1, 4)
    return kp, boxes, [a["id"] for a in anns]


def _readable_gt(coco, ok: set[int]) -> dict:
    """The ground truth restricted to the images that could be read."""
    raw = coco.raw
    return {**raw, "images": [im for im in raw["images"] if im["id"] in ok],
            "annotations": [a for a in raw["annotations"] if a["image_id"] in ok]}


def _ap(gt: dict, records: list[dict]) -> float:
    from ..evaluation import evaluate_coco

    return float(evaluate_coco(gt, records).summary()["AP"]) if records else 0.0


def run(args: argparse.Namespace) -> int:
    import cv2
    from tqdm import tqdm

    from ..data import load_any_dataset
    from ..data.corruptions import image_rng, corrupt
    from ..data.images import read_image
    from ..data.results import results_to_records
    from ..errors import InputError, PosekitError
    from ..evaluation.robustness import chart, summarise, table, visible_only
    from ..fileio import write_bytes, write_json
    from .infer import load_estimator

    severities = _severities(args.severities)
    coco = load_any_dataset(args.gt)
    cat = coco.keypoint_category_ids()[0]
    skeleton = coco.skeleton(cat)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    estimator = load_estimator(args, coco)
    conditions = [("clean", 0)] + [(k, s) for k in args.kinds for s in severities]
    records: dict = {c: [] for c in conditions}
    occluded: dict = {}  # (severity, annotation id) -> keypoints after the occluders
    failed, readable = [], set()
    images = list(coco.images)
    bar = tqdm(total=len(images) * len(conditions), desc="robustness", unit="run")
    for info in images:
        iid, name = info["id"], info["file_name"]
        try:
            image = read_image(Path(args.images) / name)
        except (InputError, PosekitError) as e:
            failed.append(str(e))
            tqdm.write(str(e), file=sys.stderr)
            bar.update(len(conditions))
            continue
        readable.add(iid)
        kp, boxes, ann_ids = _people(coco, iid, cat, skeleton.num_keypoints)
        for kind, sev in conditions:
            picture = image
            if kind != "clean":
                picture, moved = corrupt(image, kind, sev, image_rng(args.seed, f"{kind}/{sev}/{name}"),
                                         keypoints=kp if len(kp) else None, boxes=boxes if len(kp) else None)
                if kind == "occlusion" and moved is not None:
                    occluded.update({(sev, a): k for a, k in zip(ann_ids, moved)})
                if args.save_images:
                    ok, buf = cv2.imencode(".png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
                    write_bytes(out / "images" / kind / str(sev) / Path(name).with_suffix(".png"), buf.tobytes())
            result = estimator.predict(picture, image_id=iid, file_name=name)
            records[(kind, sev)] += results_to_records([result], view=skeleton)
            bar.update(1)
    bar.close()
    gt = _readable_gt(coco, readable)
    visible = visible_only(gt)
    clean = {"AP": _ap(gt, records[("clean", 0)]), "AP_visible": _ap(visible, records[("clean", 0)])}
    rows = []
    for kind, sev in conditions[1:]:
        rows.append({"kind": kind, "severity": sev, "AP": _ap(gt, records[(kind, sev)]),
                     "AP_visible": _ap(visible, records[(kind, sev)])})
        if kind == "occlusion" and args.save_images:
            anns = [{**a, "keypoints": occluded[(sev, a["id"])].reshape(-1).tolist()} if (sev, a["id"]) in occluded
                    else a for a in gt["annotations"]]
            write_json(out / "images" / kind / str(sev) / "annotations.json", {**gt, "annotations": anns})
    summary = summarise(clean, rows)
    write_json(out / "robustness.json", {"model": args.model or "openpose-lightweight", "gt": str(args.gt),
                                         "images": len(readable), "failed": failed, "seed": args.seed,
                                         "clean": clean, "conditions": rows, **summary}, indent=True)
    ok, png = cv2.imencode(".png", chart(clean["AP"], rows, f"AP vs corruption severity: {args.model or 'default'}"))
    write_bytes(out / "robustness.png", png.tobytes())
    print(table(clean, rows, summary))
    print(f"posekit robustness: {len(readable)} images x {len(conditions)} conditions; wrote {out}/robustness.json "
          f"and robustness.png" + (f"; {len(failed)} images failed" if failed else ""), file=sys.stderr)
    for line in failed:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if failed else 0
