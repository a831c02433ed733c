"""``posekit corrupt``: apply a corruption at severity 1-5 to an image, a folder or a COCO dataset."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError

KIND_NAMES = ("overexposure", "underexposure", "gaussian_noise", "motion_blur", "defocus_blur", "occlusion", "jpeg")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="an image, a folder of images, a COCO annotation .json, "
                                 "or a folder holding annotations.json and images/")
    p.add_argument("output", help="output image (for an image input) or folder")
    p.add_argument("--kind", required=True, choices=KIND_NAMES, help="which corruption")
    p.add_argument("--severity", type=int, default=3, choices=(1, 2, 3, 4, 5), help="1 (mild) .. 5 (strong)")
    p.add_argument("--seed", type=int, default=0, help="random seed (per-file streams; same seed, same output)")
    p.add_argument("--images", default=None,
                   help="image folder of a COCO .json input (default: images/ beside it, or images/<split>/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _images_dir(ann: Path) -> Path:
    """Where a COCO file's images are: our layout (images/ beside it) or COCO's (../images/<split>)."""
    split = ann.stem.rsplit("_", 1)[-1]
    for cand in (ann.parent / "images", ann.parent.parent / "images" / split, ann.parent.parent / split,
                 ann.parent):
        if cand.is_dir():
            return cand
    raise InputError(f"{ann}: cannot find its image folder; pass --images")


def run(args: argparse.Namespace) -> int:
    from ..data.corruptions import IMAGE_SUFFIXES, corrupt_coco, corrupt_file, corrupt_folder

    src, dst = Path(args.input), Path(args.output)
    progress = not args.quiet
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    if src.is_dir() and (src / "annotations.json").is_file():
        problems = corrupt_coco(src / "annotations.json", args.images or src / "images", dst, args.kind,
                                args.severity, args.seed, progress)
        what = f"dataset {dst}/annotations.json"
    elif src.suffix.lower() == ".json":
        images = Path(args.images) if args.images else _images_dir(src)
        problems = corrupt_coco(src, images, dst, args.kind, args.severity, args.seed, progress)
        what = f"dataset {dst}/annotations.json"
    elif src.is_dir():
        problems = corrupt_folder(src, dst, args.kind, args.severity, args.seed, progress)
        what = f"folder {dst}"
    elif src.suffix.lower() in IMAGE_SUFFIXES:
        corrupt_file(src, dst, args.kind, args.severity, args.seed)
        problems, what = [], f"image {dst}"
    else:
        raise InputError(f"{src}: not an image, a folder or a COCO .json")
    for msg in problems:
        print(f"posekit corrupt: error: {msg}", file=sys.stderr)
    print(f"wrote {args.kind} severity {args.severity}: {what}"
          + (f" ({len(problems)} files failed)" if problems else ""))
    return 2 if problems else 0
