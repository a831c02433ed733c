"""``posekit validate``: list every problem in a dataset or results file.

Problem lines and each file's summary go to stdout, in that order. Exit status: 0 when every
file is fine, 1 when a file has problems, 2 when a file cannot be read or parsed at all.
Datasets' images are checked too (each exists, opens, and has the size the file states) under
``--images DIR``, or beside the file when its images are there.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE.json",
                   help="COCO keypoint dataset, COCO results or detections, tracks.json, or MPII (MMPose JSON)")
    p.add_argument("--gt", help="ground truth to check results files against (image ids, categories, K)")
    p.add_argument("--images", metavar="DIR",
                   help="folder the datasets' file_names are relative to: check every image exists and opens "
                        "(default: the file's own folder, when its images are there)")
    p.add_argument("--skeleton", help="keypoint set for categories that name none (e.g. halpe26)")
    p.add_argument("--max-problems", type=int, default=50, help="problems printed per file (default 50)")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _image_check(obj, kind: str, path: str, images: str | None) -> tuple[list, str]:
    """Problems with the images a dataset names, and a note for the summary."""
    from ..data import validate as v

    if kind == "dataset":
        files = [(f"image {img['id']}", img["file_name"]) for img in obj["images"]]
        sizes = {f"image {img['id']}": (img.get("width"), img.get("height")) for img in obj["images"]}
    else:
        files = [(f"record #{i}", r["image"]) for i, r in enumerate(obj)]
        sizes = None
    root = Path(images) if images else Path(path).parent
    if not images and files and not any((root / name).is_file() for _, name in files):
        return [], "images not checked: none beside the file; pass --images DIR"
    return v.image_problems(files, root, path, sizes), f"{len(files)} images checked"


def _gt_keypoints(gt) -> int | None:
    names = next((c.get("keypoints") for c in gt.get("categories", []) if c.get("keypoints")), None)
    return len(names) if names else None


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
            raise DataError(f"the ground truth has {_plural(len(gt_problems), 'problem')}; validate it first",
                            args.gt)
    if args.images and not Path(args.images).is_dir():
        raise DataError("--images must be a folder", args.images)
    k = get_skeleton(args.skeleton).num_keypoints if args.skeleton else None
    status = 0
    for path in args.files:
        try:
            obj = read_json(path)
        except DataError as e:
            print(e)
            status = 2
            continue
        kind = v.file_kind(obj)
        note = ""
        if kind == "dataset":
            problems = v.dataset_problems(obj, path, k)
        elif kind == "results":
            problems = v.results_problems(obj, path, gt)
        elif kind == "detections":
            problems = v.detections_problems(obj, path, gt)
        elif kind == "mpii":
            problems = v.mpii_problems(obj, path)
        elif kind == "tracks":
            first = obj[0].get("keypoints")
            kt = k or (_gt_keypoints(gt) if gt else None) or (len(first) // 3 if isinstance(first, list) else 0)
            problems = v.tracks_problems(obj, path, kt, float("inf"))
        else:
            problems = [DataError("neither a COCO dataset (images, annotations, categories), "
                                  "a results list nor MPII annotations", path)]
        if kind in ("dataset", "mpii") and not problems:
            problems, note = _image_check(obj, kind, path, args.images)
        for problem in problems[:args.max_problems]:
            print(problem)
        if len(problems) > args.max_problems:
            print(f"{path}: ... and {_plural(len(problems) - args.max_problems, 'more problem')}")
        if problems:
            status = max(status, 1)
        summary = _plural(len(problems), "problem") if problems else "ok"
        print(f"{path}: {kind}, {summary}" + (f" ({note})" if note else ""))
    return status
