"""``posekit eval``: COCO keypoint AP/AR of a results file, plus PCK/EPE when asked.

With ``--model RUN_DIR_or_CKPT --images DIR`` the model first predicts every person box of
the ground truth (``--boxes gt``) or of a detections file (``--boxes DETS.json``, followed by
OKS-NMS), with an optional flip test, and the predictions are evaluated.

The ground truth is any file ``posekit validate`` reads as one (:func:`posekit.data.load_any_dataset`:
COCO-format keypoints, MMPose MPII). ``--image-ids image_ids.json`` maps the image ids of a run of
``posekit infer`` without ``--gt`` onto the ground truth's, by file path.
"""
from __future__ import annotations

import argparse
import sys

from ..fileio import write_json

PCK_NORMS = ("bbox", "torso", "head")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True,
                   help="ground truth: COCO-format keypoint annotations or MMPose MPII annotations (JSON)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--results", help="COCO keypoint results file (JSON list)")
    src.add_argument("--model", metavar="NAME_or_RUN_DIR_or_CKPT",
                     help="evaluate a model: a pretrained one (openpose-lightweight, blazepose-full: run on every "
                          "ground-truth image), a run directory of posekit train or a .safetensors file")
    p.add_argument("--image-ids", metavar="image_ids.json",
                   help="infer's {path: image_id} file: map the results' ids to the ground truth's by file name")
    m = p.add_argument_group("model evaluation (with --model)")
    m.add_argument("--images", help="folder the ground truth's file_names are relative to")
    m.add_argument("--boxes", default="gt", metavar="gt|DETS.json",
                   help="person boxes: the ground truth's (default) or a COCO detections file")
    m.add_argument("--detector", metavar="blazepose|ssd|gt|DETS.json|A+B",
                   help="person boxes from a detector run on every ground-truth image (as infer --detector); "
                        "gt and DETS.json are the same as --boxes")
    m.add_argument("--device", default="cpu", help="torch device of the model (cpu, cuda, cuda:1)")
    m.add_argument("--flip", action="store_true", help="flip test: average with the mirrored crop's heatmaps")
    m.add_argument("--accurate", action="store_true", help="pretrained models: as infer --accurate")
    m.add_argument("--nms", choices=("oks", "soft", "none"), default="oks",
                   help="suppression of duplicate poses over detector boxes (default: oks)")
    m.add_argument("--min-box-score", type=float, default=0.0, help="skip detections scoring below this")
    m.add_argument("--batch-size", type=int, default=32)
    m.add_argument("--workers", type=int, default=0, help="data-loading processes")
    m.add_argument("--save-results", metavar="OUT.json", help="write the model's COCO keypoint results here")
    p.add_argument("--sigmas", type=float, nargs="+", metavar="S",
                   help="OKS sigmas, one per keypoint (default: the skeleton's, e.g. COCO's for COCO-17)")
    p.add_argument("--skeleton", help="keypoint set for a ground truth whose category names none (e.g. halpe26)")
    p.add_argument("--metric", nargs="+", choices=("coco", "pck"), default=["coco"],
                   help="coco: the 10 OKS AP/AR numbers; pck: PCK@0.1, PCK@0.2 and EPE (default: coco)")
    p.add_argument("--pck-thr", type=float, nargs="+", default=[0.1, 0.2], metavar="ALPHA",
                   help="PCK thresholds as fractions of the normaliser (default: 0.1 0.2)")
    p.add_argument("--pck-norm", choices=PCK_NORMS, default="bbox",
                   help="PCK normaliser: the ground-truth box's longer side, the torso diameter, or the head size "
                        "(0.6 x head box diagonal, from annotations' bbox_head as in PoseTrack18) (default: bbox)")
    p.add_argument("--json", metavar="OUT.json", help="also write the figures as a JSON object")


def run(args: argparse.Namespace) -> int:
    from ..errors import ValidationError
    from ..evaluation import evaluate_coco

    gt = _ground_truth(args)
    if args.model:
        args.results = _predict(args, gt)
    elif args.image_ids:
        args.results = _remap(args, gt)
    out: dict[str, float] = {}
    if "coco" in args.metric or "pck" not in args.metric:
        try:
            ev = evaluate_coco(gt, args.results, sigmas=args.sigmas, skeleton=args.skeleton)
        except ValidationError as e:
            first = e.problems[0]
            if first.field == "image_id" and "unknown image_id" in first.reason and not args.image_ids:
                raise ValidationError([type(first)(
                    first.reason + "; if these are results of `posekit infer` without --gt (images numbered 1..N), rerun infer "
                    "with --gt, or pass --image-ids OUT/image_ids.json", first.path, first.record, first.field)
                    ] + e.problems[1:]) from None
            raise
        print(ev.table())
        out.update(ev.summary())
    if "pck" in args.metric:
        out.update(_pck_figures(args, gt))
        for key, value in out.items():
            if key.startswith(("PCK", "EPE")):
                print(f" {key:<18} = {value:0.4f}")
    if args.json:
        write_json(args.json, out, indent=True)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _ground_truth(args):
    """``--gt`` as given (a path: the evaluator's fast reader) when it is a COCO object, else read
    by :func:`load_any_dataset` (an MPII list, or a file that is no ground truth: one line)."""
    from pathlib import Path

    from ..errors import DataError

    try:
        with open(args.gt, "rb") as f:
            head = f.read(4096).lstrip()
    except OSError as e:
        raise DataError(f"cannot read file ({e.strerror or e})", args.gt) from None
    if head.startswith(b"{") and not args.model and "pck" not in args.metric:
        return Path(args.gt)
    from ..data import load_any_dataset  # the readers: only when the evaluator's own reader cannot serve

    return load_any_dataset(args.gt, args.skeleton)


def _remap(args, gt) -> list:
    """The results with image ids mapped through ``--image-ids`` onto the ground truth's."""
    from ..data import load_any_dataset
    from ..data.coco import CocoDataset
    from ..data.image_ids import match_image_ids
    from ..errors import DataError
    from ..fileio import read_json

    if not isinstance(gt, CocoDataset):
        gt = load_any_dataset(args.gt, args.skeleton)
    paths = read_json(args.image_ids)
    if not (isinstance(paths, dict) and all(type(v) is int for v in paths.values())):
        raise DataError("must be a JSON object {image path: image id}, as infer's image_ids.json", args.image_ids)
    mapping = match_image_ids(paths, gt.images, args.image_ids, args.gt)
    records = read_json(args.results)
    if not isinstance(records, list):
        return records  # the evaluator names the problem
    out = []
    for i, r in enumerate(records):
        if isinstance(r, dict) and type(r.get("image_id")) is int:
            if r["image_id"] not in mapping:
                raise DataError(f"image_id {r['image_id']} is not in {args.image_ids}", args.results,
                                f"result #{i}", "image_id")
            r = dict(r, image_id=mapping[r["image_id"]])
        out.append(r)
    return out


def _predict(args, gt) -> list:
    """COCO result records of ``--model`` on ``--gt``'s images (see :func:`posekit.topdown.inference.predict_coco`)."""
    from ..data.validate import detections_problems
    from ..zoo.checkpoints import load_model
    from ..errors import InputError, ValidationError
    from ..fileio import read_json
    from ..topdown.inference import predict_coco

    if not args.images:
        raise InputError("--model needs --images (the folder of the ground truth's images)")
    from ..estimators import PRETRAINED

    if args.model in PRETRAINED:
        records = _predict_pretrained(args, gt)
        if args.save_results:
            write_json(args.save_results, records)
        return records
    detections = None
    given = args.detector in ("gt",) or (args.detector or "").lower().endswith(".json")
    boxes = args.detector if given else args.boxes
    if args.detector and not given:
        detections = _run_detector(args.detector, gt, args.images)
    elif boxes != "gt":
        detections = read_json(boxes)
        problems = detections_problems(detections, boxes, gt)
        if problems:
            raise ValidationError(problems)
    model = load_model(args.model).to(args.device)
    records = predict_coco(model, gt, args.images, detections, flip=args.flip,
                           nms=None if args.nms == "none" else args.nms, min_box_score=args.min_box_score,
                           batch_size=args.batch_size, workers=args.workers)
    if args.save_results:
        write_json(args.save_results, records)
    return records


def _predict_pretrained(args, gt) -> list[dict]:
    """COCO records of a pretrained model run on every image of ``gt``, as ``posekit infer`` runs it."""
    from tqdm import tqdm

    from ..data.images import read_image
    from ..data.results import results_to_records
    from ..estimators import BOTTOM_UP, PRETRAINED_DETECTOR, load

    options = {"accurate": args.accurate, "flip": args.flip, "gt": gt}
    if args.model not in BOTTOM_UP:
        options["detector"] = args.detector or PRETRAINED_DETECTOR
    elif args.detector:
        options["detector"] = args.detector  # refused by load() in one line
    estimator = load(args.model, **options)
    results = []
    for img in tqdm(gt.images, desc=f"predict ({args.model})", unit="img"):
        results.append(estimator.predict(read_image(gt.image_path(img["id"], args.images)), image_id=img["id"],
                                         file_name=img["file_name"]))
    return results_to_records(results, "coco17")


def _run_detector(spec: str, gt, images) -> list[dict]:
    """COCO detection records of detector ``spec`` on every image of ``gt``."""
    from tqdm import tqdm

    from ..data.images import read_image
    from ..estimators import make_detector

    detector = make_detector(spec)
    records = []
    for img in tqdm(gt.images, desc=f"detect ({spec})", unit="img"):
        boxes, scores = detector(read_image(gt.image_path(img["id"], images)), image_id=img["id"],
                                 file_name=img["file_name"])
        records += [{"image_id": img["id"], "category_id": 1, "bbox": [float(v) for v in b], "score": float(sc)}
                    for b, sc in zip(boxes, scores)]
    return records


def _pck_figures(args, gt) -> dict[str, float]:
    import numpy as np

    from ..data.results import load_results
    from ..evaluation import pck
    from ..evaluation.pairing import pair_with_ground_truth

    records = load_results(args.results, gt)
    if args.sigmas and len(args.sigmas) != gt.skeleton().num_keypoints:
        from ..errors import DataError

        raise DataError(f"{len(args.sigmas)} sigmas given for {gt.skeleton().num_keypoints} keypoints", gt.path,
                        None, "keypoints")

    pairs = pair_with_ground_truth(gt, records, sigmas=np.asarray(args.sigmas) if args.sigmas else None)
    if args.pck_norm == "bbox":
        size = pck.box_size(pairs.boxes)
    elif args.pck_norm == "torso":
        size = pck.torso_size(pairs.gt, gt.skeleton())
    else:
        size = pck.head_size(_head_boxes(gt, pairs.ann_id))
    out = {f"PCK@{a:g}": pck.pck(pairs.pred, pairs.gt, pairs.visible, size, a) for a in args.pck_thr}
    out["EPE"] = pck.epe(pairs.pred[pairs.matched], pairs.gt[pairs.matched], pairs.visible[pairs.matched])
    return out


def _head_boxes(gt, ann_ids):
    """x1, y1, x2, y2 head boxes from each annotation's ``bbox_head`` (x, y, w, h)."""
    import numpy as np

    from ..errors import DataError

    by_id = {a["id"]: a for a in gt.annotations}
    boxes = []
    for i in ann_ids:
        box = by_id[int(i)].get("bbox_head")
        if box is None:
            raise DataError("--pck-norm head needs a 'bbox_head' in every annotation", gt.path,
                            f"annotation {int(i)}", "bbox_head")
        boxes.append([box[0], box[1], box[0] + box[2], box[1] + box[3]])
    return np.asarray(boxes, np.float64).reshape(len(boxes), 4)
