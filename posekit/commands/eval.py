"""``posekit eval``: COCO keypoint AP/AR of a results file, plus PCK/EPE when asked.

With ``--model RUN_DIR_or_CKPT --images DIR`` the model first predicts every person box of
the ground truth (``--boxes gt``) or of a detections file (``--boxes DETS.json``, followed by
OKS-NMS), with an optional flip test, and the predictions are evaluated.
"""
from __future__ import annotations

import argparse
import sys

from ..fileio import write_json

PCK_NORMS = ("bbox", "torso", "head")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="ground truth: COCO-format keypoint annotations (JSON)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--results", help="COCO keypoint results file (JSON list)")
    src.add_argument("--model", metavar="RUN_DIR_or_CKPT",
                     help="evaluate a trained model: a run directory (its best.safetensors) or a .safetensors file")
    m = p.add_argument_group("model evaluation (with --model)")
    m.add_argument("--images", help="folder the ground truth's file_names are relative to")
    m.add_argument("--boxes", default="gt", metavar="gt|DETS.json",
                   help="person boxes: the ground truth's (default) or a COCO detections file")
    m.add_argument("--flip", action="store_true", help="flip test: average with the mirrored crop's heatmaps")
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
    from ..evaluation import evaluate_coco

    if args.model:
        args.results = _predict(args)
    out: dict[str, float] = {}
    if "coco" in args.metric or "pck" not in args.metric:
        ev = evaluate_coco(args.gt, args.results, sigmas=args.sigmas, skeleton=args.skeleton)
        print(ev.table())
        out.update(ev.summary())
    if "pck" in args.metric:
        out.update(_pck_figures(args))
        for key, value in out.items():
            if key.startswith(("PCK", "EPE")):
                print(f" {key:<18} = {value:0.4f}")
    if args.json:
        write_json(args.json, out, indent=True)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _predict(args) -> list:
    """COCO result records of ``--model`` on ``--gt``'s images (see :func:`posekit.topdown.inference.predict_coco`)."""
    from ..data.coco import CocoDataset
    from ..data.validate import detections_problems
    from ..zoo.checkpoints import load_model
    from ..errors import InputError, ValidationError
    from ..fileio import read_json
    from ..topdown.inference import predict_coco

    if not args.images:
        raise InputError("--model needs --images (the folder of the ground truth's images)")
    gt = CocoDataset.load(args.gt, args.skeleton)
    detections = None
    if args.boxes != "gt":
        detections = read_json(args.boxes)
        problems = detections_problems(detections, args.boxes, gt)
        if problems:
            raise ValidationError(problems)
    model = load_model(args.model)
    records = predict_coco(model, gt, args.images, detections, flip=args.flip,
                           nms=None if args.nms == "none" else args.nms, min_box_score=args.min_box_score,
                           batch_size=args.batch_size, workers=args.workers)
    if args.save_results:
        write_json(args.save_results, records)
    return records


def _pck_figures(args) -> dict[str, float]:
    import numpy as np

    from ..data.coco import CocoDataset
    from ..data.results import load_results
    from ..evaluation import pck
    from ..evaluation.pairing import pair_with_ground_truth

    gt = CocoDataset.load(args.gt, args.skeleton)
    records = load_results(args.results, gt)

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
