"""Filling a Lightweight OpenPose :class:`~posekit.models.paf_network.PAFNetwork` from an OpenVINO IR graph.

The graph is walked by topology, backwards from its two ``Result`` layers (told apart by channel
count: ``2L`` part affinity fields, ``K+1`` heatmaps): each stage's two output branches down to
the tensor they share, the refinement blocks through their residual ``Add``, the ``Concat`` of
the previous stage's PAFs, heatmaps and the features, the initial stage, the CPM block, the
backbone unit by unit, the input normalisation and the ``Parameter``. Each unit is
``[FakeQuantize] <- activation <- bias Add <- (Group)Convolution``; kernel shape, stride,
padding, dilation and groups are checked against the module's, batch normalisation is folded
in the file's biases, int8 weights are dequantized by the reader (int8 x per-channel scale minus
the zero point). Every convolution and every ``FakeQuantize`` of the file must find its place.
A file that does not fit raises a one-line :class:`~posekit.errors.ModelError` naming the layer.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from ..models.fake_quant import FakeQuantize, QConv
from ..models.paf_network import PAFNetwork
from .ir_fill import IRFill
from .openvino_reader import IRGraph, IRLayer

__all__ = ["load_from_ir"]

_ACTS = {"relu": ("ReLU", "Relu"), "elu": ("Elu",)}


class _Fill(IRFill):
    def __init__(self, graph: IRGraph):
        super().__init__(graph)
        self.quants: set[int] = set()

    def quant(self, fq: FakeQuantize | None, layer: IRLayer, what: str) -> IRLayer:
        """Past the tensor's FakeQuantize (filling ``fq``), if the file has one; a float file has none."""
        if layer.type != "FakeQuantize":
            return layer
        if fq is None:
            self.fail(layer, f"{what}: a quantizer where the module has none")
        p = self.g.fake_quantize(layer)
        for v in (p.input_low, p.input_high, p.output_low, p.output_high):
            if v.size not in (1, fq.channels):
                self.fail(layer, f"{what}: {v.size} quantization ranges, the module expects 1 or {fq.channels}")
        fq.fill(p.levels, p.input_low, p.input_high, p.output_low, p.output_high)
        self.quants.add(layer.id)
        return self.g.producer(layer, 0)[0]

    def unit(self, unit: QConv, layer: IRLayer, what: str) -> IRLayer:
        """Fill ``unit`` from the layer producing its output; return the layer producing its input."""
        layer = self.quant(unit.quant, layer, what)
        if unit.act_name is not None:
            if layer.type not in _ACTS[unit.act_name]:
                self.fail(layer, f"{what} expects {unit.act_name}")
            if unit.act_name == "elu" and float(layer.attr("alpha", "1")) != 1.0:
                self.fail(layer, f"{what} expects ELU with alpha 1")
            layer = self.g.producer(layer, 0)[0]
        if unit.bn is not None:
            self.fail(layer, f"{what}: the module has batch normalisation, a converted file folds it")
        return self.conv(unit.conv, layer, what)

    def chain(self, units, layer: IRLayer, what: str) -> IRLayer:
        for i in reversed(range(len(units))):
            layer = self.unit(units[i], layer, f"{what}.{i}")
        return layer

    def residual(self, fq: FakeQuantize, first: QConv, trunk: nn.Sequential, layer: IRLayer, what: str) -> IRLayer:
        """``fq(first(x) + trunk(first(x)))``: returns the layer producing ``x``."""
        add = self.quant(fq, layer, f"{what} (residual)")
        if add.type != "Add" or len(self.inputs(add)[0]) != 2:
            self.fail(add, f"{what} expects a residual Add of two tensors")
        first_error = None
        for main, skip in ((1, 0), (0, 1)):
            try:
                start = self.chain(trunk, self.g.producer(add, main)[0], f"{what}.trunk")
                if start.id != self.g.producer(add, skip)[0].id:
                    self.fail(start, f"{what}: the residual does not add the trunk's input")
                return self.unit(first, start, f"{what}.first")
            except ModelError as e:
                first_error = first_error or e
        raise first_error

    def stage_outputs(self, stage, heat: IRLayer, paf: IRLayer, what: str) -> IRLayer:
        a = self.chain(stage.heatmaps, heat, f"{what}.heatmaps")
        b = self.chain(stage.pafs, paf, f"{what}.pafs")
        if a.id != b.id:
            self.fail(b, f"{what}: the PAF and heatmap branches do not share their input ({a.describe()})")
        return a

    def fill(self, net: PAFNetwork) -> None:
        head = net.head
        results = self.g.by_type("Result")
        by_channels = {r.inputs[0].shape[1] if len(r.inputs[0].shape) > 1 else -1: r for r in results}
        want_heat, want_paf = head.num_keypoints + 1, 2 * head.num_limbs
        if len(results) != 2 or set(by_channels) != {want_heat, want_paf}:
            shapes = [list(r.inputs[0].shape) for r in results]
            raise ModelError(f"{self.g.source}: expects two outputs of {want_heat} heatmaps and {want_paf} PAF "
                             f"channels; the file has {shapes}")
        heat = self.g.producer(by_channels[want_heat], 0)[0]
        paf = self.g.producer(by_channels[want_paf], 0)[0]
        features = None
        for s in reversed(range(len(head.refinement))):
            stage, what = head.refinement[s], f"refinement.{s}"
            x = self.stage_outputs(stage, heat, paf, what)
            blocks = stage.blocks
            for b in reversed(range(len(blocks))):
                x = self.residual(blocks[b].residual_quant, blocks[b].squeeze, blocks[b].trunk, x,
                                  f"{what}.blocks.{b}")
            if x.type != "Concat" or len(x.inputs) != 3 or int(x.attr("axis")) != 1:
                self.fail(x, f"{what} expects the Concat of PAFs, heatmaps and features (axis 1)")
            paf, heat, f = (self.g.producer(x, k)[0] for k in range(3))
            if features is not None and f.id != features.id:
                self.fail(f, f"{what}: the Concat does not read the CPM block's features")
            features = f
        x = self.stage_outputs(head.initial, heat, paf, "initial")
        x = self.chain(head.initial.trunk, x, "initial.trunk")
        if features is not None and x.id != features.id:
            self.fail(x, "initial stage: the refinement does not read the features the initial stage reads")
        cpm = head.cpm
        x = self.unit(cpm.conv, x, "cpm.conv")
        x = self.residual(cpm.residual_quant, cpm.align, cpm.trunk, x, "cpm")
        x = self.chain(list(net.backbone.layers), x, "backbone.layers")
        x = self.unit(net.backbone.stem, x, "backbone.stem")
        x = self.quant(net.input_quant, x, "input")
        scale, shift = np.ones(3, np.float32), np.zeros(3, np.float32)
        while x.type in ("Add", "Multiply", "Subtract"):  # the input normalisation, x * scale + shift
            live, consts = self.inputs(x)
            if len(live) != 1 or len(consts) != 1 or consts[0].size not in (1, 3):
                self.fail(x, "the input normalisation expects a per-channel scale and shift")
            c = np.broadcast_to(consts[0].astype(np.float32).reshape(-1), (3,))
            if x.type == "Multiply":
                scale = scale * c
            else:
                shift = shift + (c if x.type == "Add" else -c) * scale
            x = live[0]
        if x.type != "Parameter":
            self.fail(x, "expects the network's input")
        for kind, used in (("Convolution", self.used), ("GroupConvolution", self.used), ("FakeQuantize", self.quants)):
            spare = [lay for lay in self.g.by_type(kind) if lay.id not in used]
            if spare:
                self.fail(spare[0], f"a {kind} with no place in {type(net).__name__}")
        with torch.no_grad():  # the file reads BGR: net.bgr reverses posekit's RGB first
            net.input_scale.copy_(torch.from_numpy(scale).view(1, 3, 1, 1))
            net.input_shift.copy_(torch.from_numpy(shift).view(1, 3, 1, 1))
        net.bgr = True


def load_from_ir(net: PAFNetwork, graph: IRGraph) -> PAFNetwork:
    """Copy the weights (and quantization ranges) of ``graph`` into ``net``; returns ``net``."""
    _Fill(graph).fill(net)
    return net
