"""Reading an OpenVINO IR model (``.xml`` graph + ``.bin`` constants) into plain Python.

The IR (OpenVINO's "Intermediate Representation", IR version 10/11) is an XML list of
``<layer>`` elements (id, name, type, opset version, a ``<data>`` element of attributes,
input and output ``<port>`` elements with their shapes and precisions) and ``<edge>``
elements joining an output port to an input port. ``Const`` layers point into the
``.bin`` file by ``offset`` and ``size``. This module knows nothing about any model: it
yields layers, edges and constants as NumPy arrays, and folds the small constant
sub-graphs OpenVINO builds around weights (an f16 ``Const`` widened by ``Convert``; an
int8 ``Const`` -> ``Convert`` (to f16) -> ``Subtract`` zero point -> ``Multiply`` scale in
quantized models, computed in f16 as the graph's types say).
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError

__all__ = ["IRPort", "IRLayer", "IRGraph", "read_ir", "FakeQuantizeParams"]

ELEMENT_TYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64, "bf16": None,
                 "i4": None, "u4": None, "u1": None, "boolean": np.bool_,
                 "i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16,
                 "i32": np.int32, "u32": np.uint32, "i64": np.int64, "u64": np.uint64}
_FOLDABLE = {"Const", "Convert", "Subtract", "Multiply", "Add", "Reshape", "Unsqueeze", "Squeeze", "Transpose"}


@dataclass
class IRPort:
    """One port of a layer: its id (unique within the layer), shape, precision and tensor names."""

    id: int
    shape: tuple[int, ...]
    precision: str | None = None
    names: tuple[str, ...] = ()


@dataclass
class IRLayer:
    """One ``<layer>``: ``attrs`` holds its ``<data>`` attributes as the file's strings."""

    id: int
    name: str
    type: str
    version: str
    attrs: dict[str, str] = field(default_factory=dict)
    inputs: list[IRPort] = field(default_factory=list)
    outputs: list[IRPort] = field(default_factory=list)

    def attr(self, key: str, default: str | None = None) -> str:
        if key in self.attrs:
            return self.attrs[key]
        if default is None:
            raise ModelError(f"layer {self.id} '{self.name}' ({self.type}): no attribute '{key}'")
        return default

    def floats(self, key: str) -> list[float]:
        text = self.attr(key).strip()
        return [float(v) for v in text.split(",")] if text else []

    def ints(self, key: str) -> list[int]:
        return [int(v) for v in self.floats(key)]

    def flag(self, key: str, default: bool = False) -> bool:
        return self.attr(key, str(default)).strip().lower() in ("true", "1")

    def describe(self) -> str:
        return f"layer {self.id} '{self.name}' ({self.type})"


@dataclass
class FakeQuantizeParams:
    """A ``FakeQuantize`` layer's ``levels`` and its four range inputs (broadcastable arrays)."""

    levels: int
    input_low: np.ndarray
    input_high: np.ndarray
    output_low: np.ndarray
    output_high: np.ndarray

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The operation as OpenVINO's specification of FakeQuantize-1 defines it."""
        q = np.round((x - self.input_low) / (self.input_high - self.input_low) * (self.levels - 1))
        y = q / (self.levels - 1) * (self.output_high - self.output_low) + self.output_low
        return np.where(x <= np.minimum(self.input_low, self.input_high), self.output_low,
                        np.where(x > np.maximum(self.input_low, self.input_high), self.output_high, y))


class IRGraph:
    """Layers by id, edges, and the constants of the ``.bin`` (read on demand)."""

    def __init__(self, name: str, layers: dict[int, IRLayer], edges: list[tuple[int, int, int, int]],
                 weights: bytes, source: str):
        self.name, self.layers, self.edges, self.source = name, layers, edges, source
        self._weights = weights
        self._producer = {(tl, tp): (fl, fp) for fl, fp, tl, tp in edges}
        self._consumers: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for fl, fp, tl, tp in edges:
            self._consumers.setdefault((fl, fp), []).append((tl, tp))

    # -- graph walking
    def producer(self, layer: int | IRLayer, index: int = 0) -> tuple[IRLayer, int]:
        """The layer (and its output port id) feeding input number ``index`` of ``layer``."""
        lay = self._layer(layer)
        if index >= len(lay.inputs):
            raise ModelError(f"{self.source}: {lay.describe()} has no input {index}")
        found = self._producer.get((lay.id, lay.inputs[index].id))
        if found is None:
            raise ModelError(f"{self.source}: {lay.describe()}: input {index} is not connected")
        return self.layers[found[0]], found[1]

    def consumers(self, layer: int | IRLayer, port: int | None = None) -> list[tuple[IRLayer, int]]:
        """The layers (and their input indices) reading an output of ``layer`` (its first by default)."""
        lay = self._layer(layer)
        port = lay.outputs[0].id if port is None else port
        out = []
        for tl, tp in self._consumers.get((lay.id, port), []):
            target = self.layers[tl]
            out.append((target, [p.id for p in target.inputs].index(tp)))
        return out

    def by_type(self, kind: str) -> list[IRLayer]:
        return [lay for lay in self.topological() if lay.type == kind]

    def topological(self) -> list[IRLayer]:
        """All layers, each after its producers (ties broken by id, the converter's order)."""
        pending = {i: len(lay.inputs) for i, lay in self.layers.items()}
        ready = sorted(i for i, n in pending.items() if n == 0)
        order = []
        while ready:
            i = ready.pop(0)
            order.append(self.layers[i])
            for port in self.layers[i].outputs:
                for tl, _ in self._consumers.get((i, port.id), []):
                    pending[tl] -= 1
                    if pending[tl] == 0:
                        ready.append(tl)
            ready.sort()
        if len(order) != len(self.layers):
            raise ModelError(f"{self.source}: the graph has a cycle or unconnected inputs")
        return order

    def _layer(self, layer: int | IRLayer) -> IRLayer:
        return layer if isinstance(layer, IRLayer) else self.layers[layer]

    # -- constants
    def const(self, layer: int | IRLayer) -> np.ndarray:
        """The data of a ``Const`` layer, in its stored element type and shape."""
        lay = self._layer(layer)
        if lay.type != "Const":
            raise ModelError(f"{self.source}: {lay.describe()} is not a Const")
        kind = lay.attr("element_type")
        dtype = ELEMENT_TYPES.get(kind)
        if dtype is None:
            raise ModelError(f"{self.source}: {lay.describe()}: element type '{kind}' is not supported")
        offset, size = int(lay.attr("offset")), int(lay.attr("size"))
        shape = tuple(int(v) for v in lay.attr("shape", "").replace(" ", "").split(",") if v)
        if offset < 0 or offset + size > len(self._weights):
            raise ModelError(f"{self.source}: {lay.describe()}: bytes {offset}..{offset + size} lie outside "
                             f"the .bin file ({len(self._weights)} bytes)")
        count = int(np.prod(shape)) if shape else 1
        if count * np.dtype(dtype).itemsize != size:
            raise ModelError(f"{self.source}: {lay.describe()}: {size} bytes do not hold {kind} {list(shape)}")
        return np.frombuffer(self._weights, dtype, count, offset).reshape(shape).copy()

    def fold(self, layer: int | IRLayer) -> np.ndarray | None:
        """The value of ``layer``'s output if it is computed from constants only (weights behind
        Convert, dequantization Subtract/Multiply, shape ops); floating arithmetic is done in float32.
        None when it depends on the network's input."""
        lay = self._layer(layer)
        if lay.type not in _FOLDABLE:
            return None
        if lay.type == "Const":
            return self.const(lay)
        args = []
        for k in range(len(lay.inputs)):
            value = self.fold(self.producer(lay, k)[0])
            if value is None:
                return None
            args.append(value)
        x = args[0]
        if lay.type == "Convert":
            kind = lay.attr("destination_type")
            if ELEMENT_TYPES.get(kind) is None:
                raise ModelError(f"{self.source}: {lay.describe()}: cannot convert to '{kind}'")
            return x.astype(ELEMENT_TYPES[kind])
        if lay.type in ("Subtract", "Multiply", "Add"):
            # widened to float32 first, as OpenVINO folds dequantization (see weight() for the rounding)
            a, b = (v.astype(np.float32) if v.dtype.kind == "f" else v for v in args)
            return {"Subtract": np.subtract, "Multiply": np.multiply, "Add": np.add}[lay.type](a, b)
        if lay.type == "Transpose":
            return np.transpose(x, args[1].astype(int))
        return x.reshape(lay.outputs[0].shape)  # Reshape, Unsqueeze, Squeeze: the port says the result

    def weight(self, layer: int | IRLayer, index: int = 1) -> np.ndarray:
        """Input ``index`` of ``layer`` folded to a float32 array (a convolution's kernel by default)."""
        lay = self._layer(layer)
        src = self.producer(lay, index)[0]
        value = self.fold(src)
        if value is None:
            raise ModelError(f"{self.source}: {lay.describe()}: input {index} ({src.describe()}) is not constant")
        # a folded chain computed in float32 ends in the precision its last port declares: OpenVINO
        # rounds dequantized int8 weights to f16 there (on human-pose-estimation-0001 the outputs then
        # match OpenVINO's float evaluation to 6e-4 of their scale, against 2.4e-3 unrounded)
        while src.type in ("Reshape", "Unsqueeze", "Squeeze", "Transpose"):
            src = self.producer(src, 0)[0]
        if src.type in ("Subtract", "Multiply", "Add") and (src.outputs[0].precision or "").upper() in ("FP16", "F16"):
            value = value.astype(np.float16)
        return value.astype(np.float32)

    def fake_quantize(self, layer: int | IRLayer) -> FakeQuantizeParams:
        lay = self._layer(layer)
        if lay.type != "FakeQuantize":
            raise ModelError(f"{self.source}: {lay.describe()} is not a FakeQuantize")
        ranges = [self.weight(lay, k) for k in (1, 2, 3, 4)]
        return FakeQuantizeParams(int(lay.attr("levels")), *ranges)


def _port(el: ET.Element) -> IRPort:
    names = tuple(n.strip() for n in el.get("names", "").split(",") if n.strip())
    return IRPort(int(el.get("id")), tuple(int(d.text) for d in el.findall("dim")), el.get("precision"), names)


def read_ir(xml: str | os.PathLike, bin: str | os.PathLike | None = None) -> IRGraph:
    """Parse ``xml`` and its ``.bin`` (by default the same path with ``.bin``) into an :class:`IRGraph`."""
    xml = Path(xml)
    bin_path = Path(bin) if bin is not None else xml.with_suffix(".bin")
    try:
        root = ET.parse(xml).getroot()
        weights = bin_path.read_bytes()
    except OSError as e:
        raise ModelError(f"{e.filename}: cannot read ({e.strerror})") from None
    except ET.ParseError as e:
        raise ModelError(f"{xml}: not an XML file ({e})") from None
    if root.tag != "net" or root.find("layers") is None:
        raise ModelError(f"{xml}: not an OpenVINO IR file (no <net><layers>)")
    layers = {}
    for el in root.find("layers").findall("layer"):
        data = el.find("data")
        inp, out = el.find("input"), el.find("output")
        try:
            lay = IRLayer(int(el.get("id")), el.get("name", ""), el.get("type", ""), el.get("version", ""),
                          dict(data.attrib) if data is not None else {},
                          [_port(p) for p in inp.findall("port")] if inp is not None else [],
                          [_port(p) for p in out.findall("port")] if out is not None else [])
        except (TypeError, ValueError) as e:
            raise ModelError(f"{xml}: layer {el.get('id')} '{el.get('name')}': bad port or id ({e})") from None
        layers[lay.id] = lay
    edges = []
    for e in root.find("edges").findall("edge") if root.find("edges") is not None else []:
        edge = tuple(int(e.get(k)) for k in ("from-layer", "from-port", "to-layer", "to-port"))
        if edge[0] not in layers or edge[2] not in layers:
            raise ModelError(f"{xml}: edge {edge} joins a layer that does not exist")
        edges.append(edge)
    return IRGraph(root.get("name", ""), layers, edges, weights, str(xml))
