"""``posekit weights import blazepose``: convert MediaPipe's BlazePose to safetensors in the cache."""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("import", "list"), help="import: convert and cache; list: what is cached")
    p.add_argument("name", nargs="?", default="blazepose", choices=("blazepose",))
    p.add_argument("--wheel", help="a mediapipe-0.10.14 wheel file to read (default: installed mediapipe, "
                                   "then $POSEKIT_MEDIAPIPE_WHEEL, ./wheels, ~/.cache/posekit/wheels)")
    p.add_argument("--force", action="store_true", help="convert again even if cached")


def run(args: argparse.Namespace) -> int:
    from ..pretrained.weights import cache_dir, import_blazepose

    if args.action == "list":
        for f in sorted(cache_dir().glob("*.safetensors")):
            print(f"{f}  {f.stat().st_size / 1e6:.1f} MB")
        return 0
    for name, path in import_blazepose(args.wheel, force=args.force).items():
        print(f"{name}: {path}")
    return 0
