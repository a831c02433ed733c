"""``posekit quantize MODEL.onnx --calibration IMAGES_or_GT --out MODEL.int8.onnx``: int8 QDQ with
onnxruntime's static quantization (:mod:`posekit.compress.quantize`).

The calibration inputs are what the network takes, built from the spec in the file's metadata:
person crops (top-down models: the ground-truth boxes of a COCO file, or each photo of a folder
taken whole as one person's box) or whole images fitted into the input (bottom-up models);
``synthetic`` (or ``synthetic:N``) draws posekit's synthetic people instead. Unreadable images are
skipped with a line; a set with no usable input is refused. The output head stays float unless
``--include-head``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="an ONNX file written by posekit export")
    p.add_argument("--calibration", required=True,
                   help="a folder of photos, a COCO keypoint file (crops from its boxes), or synthetic[:N]")
    p.add_argument("--images", help="image folder of a --calibration COCO file (default: the file's folder)")
    p.add_argument("--out", required=True, help="the int8 .onnx file to write")
    p.add_argument("--samples", type=int, default=64, help="calibration inputs to use at most")
    p.add_argument("--include-head", action="store_true",
                   help="quantize the output head too (by default it stays float: small heatmap peaks survive)")
    p.add_argument("--activations", choices=("uint8", "int8"), default="uint8",
                   help="8-bit activation type (default uint8: onnxruntime's fast u8 x s8 kernels on x86)")


def calibration_inputs(source: str, model, images: str | None, limit: int) -> tuple[list, list[str]]:
    """Up to ``limit`` network inputs (1, 3, H, W) for ``model`` (a posekit model rebuilt from the
    file's spec) from ``source``, and the lines naming inputs that were skipped."""
    import numpy as np

    from ..bottomup.dataset import BottomUpDataset, ImageInstance
    from ..codecs.contract import is_image_codec
    from ..data.coco import CocoDataset
    from ..data.inputs import expand_inputs
    from ..errors import InputError, PosekitError
    from ..topdown.dataset import PersonInstance, TopDownDataset, person_instances

    bottom_up = is_image_codec(getattr(model, "codec", None))
    w, h = model.input_size
    skipped: list[str] = []
    if source.startswith("synthetic"):
        n = int(source.partition(":")[2] or limit)
        if bottom_up:
            from ..zoo.learning_paf import synthetic_scenes

            instances = synthetic_scenes(n, (w, h), 3)[0]
        else:
            from ..zoo.learning_proof import synthetic_instances

            instances = synthetic_instances(n, (w, h), 3)
    elif source.endswith(".json"):
        coco = CocoDataset.load(source)
        root = images or str(Path(source).parent)
        if bottom_up:
            from ..bottomup.dataset import image_instances

            instances = image_instances(coco, root)
        else:
            instances = [p for p in person_instances(coco, root, train=True)]
    else:
        from ..data.images import read_image

        items, _ = expand_inputs([source])
        k = model.skeleton.num_keypoints
        instances = []
        for f in [it.path for it in items if it.kind == "image"][:limit]:
            try:
                img = read_image(f)
            except (InputError, PosekitError) as e:
                skipped.append(str(e))
                continue
            ih, iw = img.shape[:2]
            instances.append(ImageInstance(0, iw, ih, np.zeros((0, k, 2)), np.zeros((0, k)), f, image=img)
                             if bottom_up else PersonInstance(0, np.array([0.0, 0.0, iw, ih]), np.zeros((k, 2)),
                                                              np.zeros(k, np.int64), f, image=img))
    data = (BottomUpDataset(instances, model.codec, model.skeleton, encode=False) if bottom_up
            else TopDownDataset(instances, model.codec, model.skeleton, encode=False))
    out = []
    for i in range(len(data)):
        if len(out) >= limit:
            break
        try:
            out.append(data[i]["image"][None])
        except (InputError, PosekitError, OSError, ValueError) as e:
            where = getattr(instances[i], "image_path", None) or f"input {i}"
            skipped.append(f"{where}: {e}")
    return out, skipped


def run(args: argparse.Namespace) -> int:
    import json

    from ..compress.quantize import quantize_int8, read_metadata
    from ..zoo import build_from_spec

    meta = read_metadata(args.model)
    model = build_from_spec(json.loads(meta["posekit.spec"]))
    inputs, skipped = calibration_inputs(args.calibration, model, args.images, args.samples)
    for line in skipped:
        print(f"posekit quantize: skipped {line}", file=sys.stderr)
    info = quantize_int8(args.model, args.out, inputs, args.include_head, args.calibration, args.activations)
    size = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB): int8 QDQ from {info['samples']} calibration inputs, "
          f"head in {info['head']} ({len(info['float_nodes'])} float nodes)")
    return 0
