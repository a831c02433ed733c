"""``posekit export PRESET_or_CKPT --out model.onnx``: the network as ONNX, checked under onnxruntime."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a checkpoint (.safetensors or run directory) or a preset name "
                                 "(randomly initialised: for trying a deployment path)")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--static-batch", action="store_true", help="fix the batch dimension at 1")
    p.add_argument("--dynamic-size", action="store_true",
                   help="free the input's height and width (fully convolutional networks; checked at two sizes)")
    p.add_argument("--device", default="cpu", help="torch device to trace on (cpu, cuda); the check runs on the CPU")
    p.add_argument("--fp16", action="store_true",
                   help="write the network in half precision (float32 inputs and outputs kept)")
    p.add_argument("--no-check", action="store_true",
                   help="skip running the exported file under onnxruntime against torch")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..codecs.contract import is_image_codec
    from ..compress.export import compare_outputs, export_onnx
    from ..zoo.checkpoints import resolve_model

    model = resolve_model(args.model).to(args.device)
    if is_image_codec(getattr(model, "codec", None)):
        args.dynamic_size = True  # a bottom-up network runs on whole images of any size
    if args.fp16:  # the float32 graph first, in a temporary file: nothing is written unless fp16 passes
        import tempfile

        from ..compress.quantize import convert_fp16

        with tempfile.TemporaryDirectory(prefix="posekit-export-") as tmp:
            fp32 = export_onnx(model, Path(tmp) / "fp32.onnx", args.opset, dynamic_batch=not args.static_batch,
                               dynamic_size=args.dynamic_size)
            w, h = model.input_size
            convert_fp16(fp32, args.out, np.zeros((1, 3, h, w), np.float32))
        path = Path(args.out)
    else:
        path = export_onnx(model, args.out, args.opset, dynamic_batch=not args.static_batch,
                           dynamic_size=args.dynamic_size)
    size = path.stat().st_size / 1e6
    dynamic = [d for d, on in (("batch", not args.static_batch), ("height and width", args.dynamic_size)) if on]
    print(f"wrote {path} ({size:.1f} MB{', fp16' if args.fp16 else ''}, "
          f"input 1x3x{model.input_size[1]}x{model.input_size[0]}{', ' + ' and '.join(dynamic) + ' dynamic' if dynamic else ''})")
    if not args.no_check:
        model = model.cpu()
        w, h = model.input_size
        batch = 1 if args.static_batch else 2
        sizes = [(h, w), (h + 32, w + 64)] if args.dynamic_size else [(h, w)]
        for sh, sw in sizes:
            images = np.random.default_rng(0).standard_normal((batch, 3, sh, sw)).astype(np.float32)
            diff = compare_outputs(model, path, images)
            print(f"onnxruntime vs torch at {sh}x{sw}: max relative difference {diff:.2e}")
    return 0
