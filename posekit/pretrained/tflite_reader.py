"""Reading a TFLite flatbuffer into plain Python: the operator list and its constants.

Parses with the ``tflite`` package (generated flatbuffer accessors, no TensorFlow).
Constant tensors come out as float32 NumPy arrays: float16 weights behind
``DEQUANTIZE`` are widened, and weights stored sparse behind ``DENSIFY``
(TFLite's compressed-sparse-row format, as in MediaPipe's BlazePose detector) are
expanded. Those two operators disappear from the graph: their outputs are constants.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError

__all__ = ["TFLiteOp", "TFLiteGraph", "read_tflite"]

_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


@dataclass
class TFLiteOp:
    """One operator: ``kind`` (e.g. 'CONV_2D'), tensor ids, and its options as a dict."""

    kind: str
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)


@dataclass
class TFLiteGraph:
    ops: list[TFLiteOp]
    constants: dict[int, np.ndarray]
    shapes: dict[int, tuple]
    names: dict[int, str]
    inputs: list[int]
    outputs: list[int]


def _index_vector(table, kind: int) -> np.ndarray:
    import tflite

    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}[kind]
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return vec.ValuesAsNumpy().astype(np.int64)


def _densify(tensor, values: np.ndarray) -> np.ndarray:
    """Expand a TFLite sparse tensor whose leading dimensions are dense and last is CSR."""
    sp = tensor.Sparsity()
    shape = tuple(tensor.ShapeAsNumpy())
    order = sp.TraversalOrderAsNumpy().tolist()
    if order != list(range(len(shape))) or sp.BlockMapLength():
        raise ModelError(f"unsupported sparse layout (traversal {order}, blocks {sp.BlockMapLength()})")
    dims = [sp.DimMetadata(d) for d in range(sp.DimMetadataLength())]
    if any(d.Format() != 0 for d in dims[:-1]) or dims[-1].Format() != 1:
        raise ModelError("unsupported sparse layout: only a CSR last dimension is handled")
    last = dims[-1]
    segments = _index_vector(last.ArraySegments(), last.ArraySegmentsType())
    indices = _index_vector(last.ArrayIndices(), last.ArrayIndicesType())
    rows = int(np.prod(shape[:-1]))
    dense = np.zeros((rows, shape[-1]), np.float32)
    row_of = np.repeat(np.arange(rows), np.diff(segments))
    dense[row_of, indices] = values.astype(np.float32)
    return dense.reshape(shape)


def _options(op, kind: str) -> dict:
    import tflite

    table = op.BuiltinOptions()
    if table is None:
        return {}
    spec = {
        "CONV_2D": (tflite.Conv2DOptions, ("StrideH", "StrideW", "Padding", "FusedActivationFunction",
                                           "DilationHFactor", "DilationWFactor")),
        "DEPTHWISE_CONV_2D": (tflite.DepthwiseConv2DOptions, ("StrideH", "StrideW", "Padding",
                                                              "FusedActivationFunction", "DepthMultiplier",
                                                              "DilationHFactor", "DilationWFactor")),
        "ADD": (tflite.AddOptions, ("FusedActivationFunction",)),
        "MAX_POOL_2D": (tflite.Pool2DOptions, ("StrideH", "StrideW", "FilterHeight", "FilterWidth", "Padding",
                                               "FusedActivationFunction")),
        "CONCATENATION": (tflite.ConcatenationOptions, ("Axis", "FusedActivationFunction")),
        "DEPTH_TO_SPACE": (tflite.DepthToSpaceOptions, ("BlockSize",)),
        "RESIZE_BILINEAR": (tflite.ResizeBilinearOptions, ("AlignCorners", "HalfPixelCenters")),
    }.get(kind)
    if spec is None:
        return {}
    cls, names = spec
    o = cls()
    o.Init(table.Bytes, table.Pos)
    return {n: getattr(o, n)() for n in names}


def read_tflite(data: bytes, source: str = "model") -> TFLiteGraph:
    """Parse a .tflite file's bytes (first subgraph)."""
    try:
        import tflite
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise ModelError("reading .tflite files needs the 'tflite' package") from e
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        graph = model.Subgraphs(0)
    except Exception as e:  # noqa: BLE001 - flatbuffers raises assorted errors on garbage
        raise ModelError(f"{source}: not a TFLite model ({e})") from None
    names_by_code = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    constants, shapes, names = {}, {}, {}
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        shapes[i] = tuple(t.ShapeAsNumpy().tolist()) if t.ShapeLength() else ()
        names[i] = t.Name().decode()
        buf = model.Buffers(t.Buffer())
        if buf is not None and buf.DataLength():
            raw = buf.DataAsNumpy().tobytes()
            dtype = _DTYPES.get(t.Type())
            if dtype is None:
                raise ModelError(f"{source}: tensor {names[i]!r} has unsupported type {t.Type()}")
            arr = np.frombuffer(raw, dtype=dtype)
            constants[i] = arr if t.Sparsity() is not None else arr.reshape(shapes[i])
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = names_by_code.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "UNKNOWN")
        ins, outs = op.InputsAsNumpy().tolist(), op.OutputsAsNumpy().tolist()
        if kind == "DEQUANTIZE" and ins[0] in constants:
            src = graph.Tensors(ins[0])
            value = constants[ins[0]]
            constants[outs[0]] = _densify(src, value) if src.Sparsity() is not None else value.astype(np.float32)
            continue
        if kind == "DENSIFY" and ins[0] in constants:
            constants[outs[0]] = _densify(graph.Tensors(ins[0]), constants[ins[0]]).astype(np.float32)
            continue
        ops.append(TFLiteOp(kind, ins, outs, _options(op, kind)))
    return TFLiteGraph(ops, constants, shapes, names, graph.InputsAsNumpy().tolist(),
                       graph.OutputsAsNumpy().tolist())
