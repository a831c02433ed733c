"""``posekit eval``: COCO keypoint AP/AR of a results file, plus PCK/EPE when asked."""
from __future__ import annotations

import argparse
import sys

from ..fileio import write_json

PCK_NORMS = ("bbox", "torso", "head")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="ground truth: COCO-format keypoint annotations (JSON)")
    p.add_argument("--results", required=True, help="COCO keypoint results file (JSON list)")
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
