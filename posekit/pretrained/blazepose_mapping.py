"""Filling the readable BlazePose modules from a converted .tflite graph, by topology.

The readable module is traced with ``torch.fx``; both graphs are then walked together
from each output back to the input. Every convolution of the module is paired with the
file's convolution that computes the same tensor, its kernel shape, stride, groups and
fused ReLU6 checked on the way; element-wise sums may list their operands in either
order. Padding, reshapes, permutations and the sigmoid are looked through (the parity
tests against :class:`~posekit.pretrained.graph.GraphNet` check them). A file whose graph
does not have the module's structure raises :class:`~posekit.errors.ModelError` naming
the first layer that does not fit.
"""
from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import ModelError
from .blazepose_nets import DepthToSpace
from .graph import GraphNet

__all__ = ["graph_mapping", "load_from_graph"]

_GRAPH_KIND = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "conv", "ADD": "add", "CONCATENATION": "cat",
               "DEPTH_TO_SPACE": "d2s", "RESIZE_BILINEAR": "resize", "MAX_POOL_2D": "pool"}
_GRAPH_SEE_THROUGH = {"PAD", "RESHAPE", "LOGISTIC"}
_SEE_THROUGH_METHODS = {"permute", "flatten", "unflatten", "reshape", "contiguous"}


class _Mismatch(Exception):
    pass


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, DepthToSpace) or super().is_leaf_module(m, qualname)


class _Walk:
    def __init__(self, module: nn.Module, net: GraphNet):
        self.gm = fx.GraphModule(module, _Tracer().trace(module))
        self.mods = dict(self.gm.named_modules())
        self.net = net
        self.producer = {s["output"]: n for n, s in enumerate(net.layers)}
        self.pairs: dict[fx.Node, object] = {}  # module node -> file layer index (or "input")

    # -- module side: (significant node, kind, ReLU6 seen on the way)
    def ours(self, node: fx.Node) -> tuple[fx.Node, str, bool]:
        relu6 = False
        while True:
            if node.op == "placeholder":
                return node, "input", relu6
            if node.op == "call_module":
                m = self.mods[node.target]
                if isinstance(m, nn.Conv2d):
                    return node, "conv", relu6
                if isinstance(m, DepthToSpace):
                    return node, "d2s", relu6
                if isinstance(m, nn.MaxPool2d):
                    return node, "pool", relu6
                if isinstance(m, nn.ReLU6):
                    relu6 = True
                elif not isinstance(m, (nn.Identity, nn.Sigmoid)):
                    raise ModelError(f"cannot map module {node.target} ({type(m).__name__})")
            elif node.op == "call_function":
                if node.target in (operator.add, torch.add):
                    return node, "add", relu6
                if node.target is torch.cat:
                    return node, "cat", relu6
                if node.target is F.interpolate:
                    return node, "resize", relu6
                if node.target not in (F.pad, torch.sigmoid):
                    raise ModelError(f"cannot map operation {node.target}")
            elif node.op != "call_method" or node.target not in _SEE_THROUGH_METHODS:
                raise ModelError(f"cannot map {node.op} {node.target}")
            node = node.args[0]

    # -- file side: (layer index or "input", kind)
    def theirs(self, tensor: int) -> tuple[object, str]:
        while True:
            n = self.producer.get(tensor)
            if n is None:
                return "input", "input"
            kind = self.net.layers[n]["kind"]
            if kind not in _GRAPH_SEE_THROUGH:
                return n, _GRAPH_KIND[kind]
            tensor = self.net.layers[n]["inputs"][0]

    def match(self, node: fx.Node, tensor: int) -> None:
        ours, kind, relu6 = self.ours(node)
        layer, their_kind = self.theirs(tensor)
        where = f"module {_name(ours)} vs file layer {layer}"
        if kind != their_kind:
            raise _Mismatch(f"{where}: {kind} where the file has {their_kind}")
        spec = self.net.layers[layer] if layer != "input" else {}
        if relu6 != (spec.get("act") == "relu6"):
            raise _Mismatch(f"{where}: activation {'ReLU6' if relu6 else 'none'}, file {spec.get('act')}")
        if ours in self.pairs:
            if self.pairs[ours] != layer:
                raise _Mismatch(f"{where}: the module reuses a tensor the file computes twice")
            return
        self.pairs[ours] = layer
        if kind == "input":
            return
        if kind == "conv":
            conv = self.mods[ours.target]
            if list(conv.weight.shape) != spec["shape"] or conv.stride[0] != spec["stride"] or \
                    conv.groups != spec["groups"] or (conv.bias is not None) != spec["bias"]:
                raise _Mismatch(f"{where}: convolution {list(conv.weight.shape)} stride {conv.stride[0]} "
                                f"groups {conv.groups}, file {spec['shape']} stride {spec['stride']} "
                                f"groups {spec['groups']}")
        args = [a for a in (ours.args[0] if kind == "cat" else ours.args) if isinstance(a, fx.Node)]
        ins = spec["inputs"]
        if kind == "add":
            self._match_either(args, ins, where)
        elif len(args) != len(ins):
            raise _Mismatch(f"{where}: {len(args)} inputs, file {len(ins)}")
        else:
            for a, t in zip(args, ins):
                self.match(a, t)

    def _match_either(self, args: list[fx.Node], ins: list[int], where: str) -> None:
        saved = dict(self.pairs)
        try:
            self.match(args[0], ins[0])
            self.match(args[1], ins[1])
        except _Mismatch as first:
            self.pairs = saved
            try:
                self.match(args[0], ins[1])
                self.match(args[1], ins[0])
            except _Mismatch:
                raise first from None


def _name(node: fx.Node) -> str:
    return str(node.target) if node.op == "call_module" else node.name


def graph_mapping(module: nn.Module, net: GraphNet, outputs: list[int] | None = None) -> dict[str, int]:
    """Module convolution name -> file layer index, pairing the module's outputs with the file's
    outputs at positions ``outputs`` (all, in order, by default)."""
    walk = _Walk(module, net)
    (result,) = [n for n in walk.gm.graph.nodes if n.op == "output"]
    ours = list(result.args[0])
    theirs = [net.outputs[i] for i in (outputs if outputs is not None else range(len(net.outputs)))]
    if len(ours) != len(theirs):
        raise ModelError(f"the module has {len(ours)} outputs, the file {len(theirs)}")
    try:
        for node, tensor in zip(ours, theirs):
            walk.match(node, tensor)
    except _Mismatch as e:
        raise ModelError(f"the file's graph does not fit {type(module).__name__}: {e}") from None
    return {n.target: layer for n, layer in walk.pairs.items() if n.op == "call_module"
            and isinstance(walk.mods[n.target], nn.Conv2d)}


def load_from_graph(module: nn.Module, net: GraphNet, outputs: list[int] | None = None,
                    source: str = "the file") -> nn.Module:
    """Copy ``net``'s weights into ``module`` (see :func:`graph_mapping`); every parameter of the
    module must be filled, and with ``outputs=None`` every weight of the file used."""
    try:
        mapping = graph_mapping(module, net, outputs)
    except ModelError as e:
        raise ModelError(f"{source}: {e}") from None
    convs = {name: m for name, m in module.named_modules() if isinstance(m, nn.Conv2d)}
    missing = sorted(set(convs) - set(mapping))
    if missing:
        raise ModelError(f"{source}: no layer of the file computes {', '.join(missing)}")
    if outputs is None:
        unused = sorted(set(net.convs) - {f"l{n}" for n in mapping.values()})
        if unused:
            raise ModelError(f"{source}: layers {', '.join(unused)} of the file have no place in "
                             f"{type(module).__name__}")
    with torch.no_grad():
        for name, layer in mapping.items():
            src = net.convs[f"l{layer}"]
            convs[name].weight.copy_(src.weight)
            convs[name].bias.copy_(src.bias)
    return module
