"""Post-training int8 quantization and fp16 conversion of posekit's ONNX files.

**int8** (:func:`quantize_int8`): onnxruntime's static quantization in QDQ format (Jacob et al.,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference",
CVPR 2018: affine int8 with a scale and zero point per tensor, per output channel for weights):
int8 weights (symmetric, per channel: every convolution, depthwise ones included, since one scale
per depthwise layer loses the small channels) and 8-bit activations (asymmetric, min-max ranges
from the calibration inputs), unsigned by default (``activations="uint8"``): onnxruntime's x86
kernels multiply u8 activations by s8 weights (VPMADDUBSW / VNNI), and s8 x s8 takes a slower path.
Transposed convolutions stay in float: onnxruntime has no integer kernel for them on the CPU, and a
quantize-dequantize pair around a float ConvTranspose only adds work. SimpleBaseline-R18 at 128x96,
batch 1, onnxruntime, 2 cores (``bench/compression.py``, docs/compression.md): 1.87x the speed of fp32
this way, 0.8x with s8 activations and quantized deconvolutions. Networks of depthwise convolutions
gain little (MobileNetV2 1.05x) and Lite-HRNet loses accuracy in int8 (PCK@0.1 0.764 -> 0.528). The **output head** (the convolutions that write the graph's
outputs) stays in float by default: a heatmap's small peaks and a field's fine values fall below
one int8 step of the layer's range, which is where quantized pose models are reported to collapse;
``include_head=True`` quantizes it too. Decoding always runs in float on the outputs.

**fp16** (:func:`convert_fp16`): every float tensor and operation in half precision, inputs and
outputs kept float32 (onnxruntime's converter, ``keep_io_types``).

Both keep the source file's ``posekit.*`` metadata (spec, input size), so a runtime can rebuild the
codec, and add ``posekit.quantization``. A file without posekit metadata is refused; the result
must load and run under onnxruntime before it is written (atomically).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import InputError, ModelError

__all__ = ["read_metadata", "head_nodes", "quantize_int8", "convert_fp16"]


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The ``posekit.*`` metadata of an ONNX file; :class:`ModelError` if it has none."""
    import onnx

    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds for a file that is not ONNX
        raise ModelError(f"{path}: not an ONNX file ({str(e).splitlines()[0][:120]})") from None
    meta = {p.key: p.value for p in proto.metadata_props if p.key.startswith("posekit.")}
    if "posekit.spec" not in meta or not json.loads(meta["posekit.spec"]):
        raise ModelError(f"{path}: no posekit metadata (posekit.spec); export the model with `posekit export` first")
    return meta


def head_nodes(model) -> list[str]:
    """Names of the nodes that compute the graph's outputs: walking back from each output through
    shape-only and elementwise operations to the first convolution or matrix product, inclusive."""
    producer = {o: n for n in model.graph.node for o in n.output}
    passthrough = {"Add", "Mul", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Identity",
                   "Sigmoid", "Relu", "Softmax", "Resize", "Slice", "Split", "Gather"}
    heads: list[str] = []
    for out in model.graph.output:
        stack, seen = [out.name], set()
        while stack:
            node = producer.get(stack.pop())
            if node is None or node.name in seen:
                continue
            seen.add(node.name)
            if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
                heads.append(node.name)
            elif node.op_type in passthrough:
                stack.extend(node.input)
    return sorted(set(heads))


@contextlib.contextmanager
def _quiet():
    """onnxruntime's quantizer logs advice on the root logger for every layer; keep it for errors."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _named(model) -> None:
    for i, node in enumerate(model.graph.node):
        if not node.name:
            node.name = f"{node.op_type}_{i}"


def _check_and_write(proto, out: str | os.PathLike, sample: np.ndarray) -> Path:
    """Write ``proto`` to ``out`` only if onnxruntime loads it and runs it on ``sample``."""
    import onnx
    import onnxruntime as ort

    from ..fileio import atomic_write

    data = proto.SerializeToString()
    try:
        onnx.checker.check_model(proto)
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        outputs = session.run(None, {session.get_inputs()[0].name: sample})
    except Exception as e:  # noqa: BLE001 - onnxruntime's failures have many types
        raise ModelError(f"{out}: the converted model fails onnxruntime's check ({str(e).splitlines()[0][:160]}); "
                         "nothing written") from None
    if not all(np.all(np.isfinite(o)) for o in outputs):
        raise ModelError(f"{out}: the converted model gives non-finite outputs; nothing written")
    out = Path(out)
    with atomic_write(out) as f:
        f.write(data)
    return out


def _topological(graph) -> None:
    """Reorder ``graph``'s nodes so every input is produced before it is used (onnxruntime's fp16
    converter appends the casts of kept float32 inputs at the end)."""
    known = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        ready = [n for n in pending if all(i in known for i in n.input)]
        if not ready:
            raise ModelError("the converted graph has a cycle or an input nothing produces")
        for n in ready:
            known.update(n.output)
        ordered += ready
        pending = [n for n in pending if all(n is not r for r in ready)]
    del graph.node[:]
    graph.node.extend(ordered)


def _with_metadata(proto, meta: dict[str, str], extra: dict) -> None:
    del proto.metadata_props[:]
    for key, value in {**meta, "posekit.quantization": json.dumps(extra)}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def quantize_int8(source: str | os.PathLike, out: str | os.PathLike, calibration: Iterable[np.ndarray],
                  include_head: bool = False, source_name: str = "calibration", activations: str = "uint8") -> dict:
    """int8 QDQ ``source`` -> ``out`` with activation ranges from ``calibration`` (arrays (1, 3, H, W)
    as the network takes them). ``activations``: ``"uint8"`` (the fast x86 path) or ``"int8"``.
    Returns what was done (``samples``, ``head``, excluded nodes)."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    meta = read_metadata(source)
    samples = [np.ascontiguousarray(x, np.float32) for x in calibration]
    if not samples:
        raise InputError(f"{source_name}: no usable calibration input (no readable image or person crop)")
    model = onnx.load(str(source))
    _named(model)
    if activations not in ("uint8", "int8"):
        raise ModelError(f"activations must be uint8 or int8, not {activations!r}")
    excluded = [] if include_head else head_nodes(model)
    input_name = model.graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(samples)

        def get_next(self):
            x = next(self.items, None)
            return None if x is None else {input_name: x}

    with tempfile.TemporaryDirectory(prefix="posekit-quantize-") as tmp, _quiet():
        named, prepared = Path(tmp) / "named.onnx", Path(tmp) / "prepared.onnx"
        onnx.save(model, str(named))
        # onnxruntime's pre-processing: shape inference and constant folding (biases become
        # initializers, batch norms fold), so every convolution quantizes
        quant_pre_process(str(named), str(prepared), skip_symbolic_shape=True)
        target = Path(tmp) / "int8.onnx"
        ops = sorted({n.op_type for n in onnx.load(str(prepared)).graph.node} - {"ConvTranspose"})
        quantize_static(str(prepared), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8 if activations == "uint8" else QuantType.QInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=excluded, op_types_to_quantize=ops,
                        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
        proto = onnx.load(str(target))
    info = {"format": "QDQ", "weights": "int8, symmetric, per output channel", "activations": f"{activations}, min-max",
            "float_ops": ["ConvTranspose"],
            "head": "int8" if include_head else "float", "float_nodes": excluded, "samples": len(samples),
            "calibration": source_name}
    _with_metadata(proto, meta, info)
    _check_and_write(proto, out, samples[0])
    return info


def convert_fp16(source: str | os.PathLike, out: str | os.PathLike, sample: np.ndarray) -> dict:
    """Half-precision ``source`` -> ``out`` (float32 inputs and outputs kept)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    meta = read_metadata(source)
    proto = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    _topological(proto.graph)
    info = {"format": "fp16", "weights": "float16", "activations": "float16", "io": "float32"}
    _with_metadata(proto, meta, info)
    _check_and_write(proto, out, np.ascontiguousarray(sample, np.float32))
    return info
