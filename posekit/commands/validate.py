"""``posekit validate``: list every problem in a dataset or results file; non-zero exit if any."""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE.json",
                   help="COCO keypoint dataset, COCO results file, or MPII (MMPose JSON) annotations")
    p.add_argument("--gt", help="ground truth to check results files against (image ids, categories, K)")
    p.add_argument("--skeleton", help="keypoint set for categories that name none (e.g. halpe26)")
    p.add_argument("--max-problems", type=int, default=50, help="problems printed per file (default 50)")


def run(args: argparse.Namespace) -> int:
    from ..data import validate as v
    from ..errors import DataError
    from ..fileio import read_json
    from ..skeletons import get_skeleton

    gt = None
    if args.gt:
        gt = read_json(args.gt)
        gt_problems = v.dataset_problems(gt, args.gt)
        if gt_problems:
            raise DataError(f"the ground truth has {len(gt_problems)} problems; validate it first", args.gt)
    k = get_skeleton(args.skeleton).num_keypoints if args.skeleton else None
    failed = 0
    for path in args.files:
        try:
            obj = read_json(path)
        except DataError as e:
            print(e)
            failed += 1
            continue
        kind = v.file_kind(obj)
        if kind == "dataset":
            problems = v.dataset_problems(obj, path, k)
        elif kind == "results":
            problems = v.results_problems(obj, path, gt)
        elif kind == "detections":
            problems = v.detections_problems(obj, path, gt)
        elif kind == "mpii":
            problems = v.mpii_problems(obj, path)
        else:
            problems = [DataError("neither a COCO dataset (images, annotations, categories), "
                                  "a results list nor MPII annotations", path)]
        for problem in problems[:args.max_problems]:
            print(problem)
        if len(problems) > args.max_problems:
            print(f"{path}: ... and {len(problems) - args.max_problems} more problems")
        if problems:
            failed += 1
        print(f"{path}: {kind}, {'%d problems' % len(problems) if problems else 'ok'}", file=sys.stderr)
    return 1 if failed else 0
