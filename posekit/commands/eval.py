"""``posekit eval``: COCO keypoint AP/AR of a results file, plus PCK/EPE when asked."""
from __future__ import annotations

import argparse
import sys

from ..fileio import write_json

PCK_NORMS = ("bbox", "torso")


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
                   help="PCK normaliser: the ground-truth box's longer side, or the torso diameter (default: bbox)")
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
    size = pck.box_size(pairs.boxes) if args.pck_norm == "bbox" else pck.torso_size(pairs.gt, gt.skeleton())
    out = {f"PCK@{a:g}": pck.pck(pairs.pred, pairs.gt, pairs.visible, size, a) for a in args.pck_thr}
    out["EPE"] = pck.epe(pairs.pred[pairs.matched], pairs.gt[pairs.matched], pairs.visible[pairs.matched])
    return out
