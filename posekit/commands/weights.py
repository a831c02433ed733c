"""``posekit weights import blazepose|person-ssd|openpose-lightweight``: convert pretrained weights to
safetensors in the cache (done on first use too; nothing is downloaded)."""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("import", "list"), help="import: convert and cache; list: what is cached")
    p.add_argument("name", nargs="?", default="blazepose", choices=("blazepose", "person-ssd", "openpose-lightweight"))
    p.add_argument("--wheel", help="blazepose: a mediapipe-0.10.14 wheel file to read (default: installed "
                                   "mediapipe, then $POSEKIT_MEDIAPIPE_WHEEL, ./wheels, ~/.cache/posekit/wheels)")
    p.add_argument("--file", help="person-ssd / openpose-lightweight: an OpenVINO IR .xml of "
                                  "person-detection-retail-0013 / human-pose-estimation-0001 (FP32, FP16 or "
                                  "FP16-INT8), its .bin beside it (default: the copy shipped with posekit)")
    p.add_argument("--force", action="store_true", help="convert again even if cached")


def run(args: argparse.Namespace) -> int:
    from ..errors import ModelError
    from ..pretrained.cache_manifest import problem
    from ..pretrained.weights import IR_MODELS, cache_dir, import_blazepose, import_ir_model

    if args.action == "list":
        for f in sorted([*cache_dir().glob("*.safetensors"), *cache_dir().glob("*.onnx")]):
            print(f"{f}  {f.stat().st_size / 1e6:.1f} MB  {problem(f) or 'ok'}")
        return 0
    ir = {cli: name for name, (_, cli, _) in IR_MODELS.items()}
    if args.name in ir:
        if args.wheel:
            raise ModelError(f"--wheel is for blazepose; {args.name} reads an OpenVINO IR file (--file PATH.xml)")
        print(f"{ir[args.name]}: {import_ir_model(ir[args.name], args.file, force=args.force)}")
        return 0
    if args.file:
        raise ModelError("--file is for person-ssd and openpose-lightweight; blazepose reads a mediapipe wheel "
                         "(--wheel PATH.whl)")
    for name, path in import_blazepose(args.wheel, force=args.force).items():
        print(f"{name}: {path}")
    return 0
