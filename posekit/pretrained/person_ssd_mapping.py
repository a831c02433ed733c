"""Filling :class:`~posekit.pretrained.person_ssd_net.PersonSSDNet` from an OpenVINO IR graph.

The graph is walked by topology, backwards from its ``DetectionOutput`` layer: each head's
reshapes and softmax down to its convolution, then the backbone block by block (leaky
ReLU <- residual Add <- 1x1 <- leaky ReLU <- depthwise 3x3 <- leaky ReLU <- 1x1 <- the
block's input, and the shortcut: the block's input itself, or max-pool + 1x1), then the
first convolution and the input normalisation down to the ``Parameter``. Every
convolution's kernel shape, stride, padding and groups is checked against the module's,
biases are the constant ``Add`` after each convolution (batch normalisation folded by the
converter); every convolution of the file must find its place. A graph that does not fit raises a one-line
:class:`~posekit.errors.ModelError` naming the first layer that does not.

:func:`detection_config` reads the decoding settings of the ``PriorBoxClustered`` and
``DetectionOutput`` layers.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from .ir_fill import IRFill
from .openvino_reader import IRGraph, IRLayer
from .person_ssd_net import Bottleneck, PersonSSDNet

__all__ = ["load_from_ir", "detection_config"]

_SUPPORTED = {"code_type": "caffe.PriorBoxParameter.CENTER_SIZE", "share_location": "true",
              "variance_encoded_in_target": "false", "normalized": "true", "background_label_id": "0"}


class _Fill(IRFill):
    def prelu(self, act: nn.PReLU, layer: IRLayer, what: str) -> IRLayer:
        self.expect(layer, ("PRelu", "PReLU"), what)
        slope = self.g.weight(layer, 1).reshape(-1)
        if slope.size != act.weight.numel():
            self.fail(layer, f"{what} expects {act.weight.numel()} slope(s), the file has {slope.size}")
        with torch.no_grad():
            act.weight.copy_(torch.from_numpy(slope))
        return self.g.producer(layer, 0)[0]

    def block(self, block: Bottleneck, out: IRLayer, what: str) -> IRLayer:
        """Fill one bottleneck from its output layer; return the layer producing its input."""
        add = self.expect(self.prelu(block.act, out, f"{what}.act"), ("Add",), f"{what} (residual)")
        first: ModelError | None = None
        for main, skip in ((1, 0), (0, 1)):  # the converter lists the shortcut first; accept either
            try:
                x = self.conv(block.dim_inc, self.g.producer(add, main)[0], f"{what}.dim_inc")
                x = self.prelu(block.dw_act, x, f"{what}.dw_act")
                x = self.conv(block.depthwise, x, f"{what}.depthwise")
                x = self.prelu(block.red_act, x, f"{what}.red_act")
                block_input = self.conv(block.dim_red, x, f"{what}.dim_red")
                s = self.g.producer(add, skip)[0]
                if block.skip_conv is not None:
                    s = self.conv(block.skip_conv, s, f"{what}.skip_conv")
                    if isinstance(block.skip_pool, nn.MaxPool2d):
                        pool = self.expect(s, ("MaxPool",), f"{what}.skip_pool")
                        if pool.ints("kernel") != [2, 2] or pool.ints("strides") != [2, 2]:
                            self.fail(pool, f"{what}.skip_pool expects a 2x2 max-pool with stride 2")
                        s = self.g.producer(pool, 0)[0]
                if s.id != block_input.id:
                    self.fail(s, f"{what}: the shortcut does not read the block's input "
                                 f"({block_input.describe()})")
                return block_input
            except ModelError as e:
                first = first or e
        raise first

    def head(self, conv: nn.Conv2d, layer: IRLayer, softmax: bool, what: str) -> IRLayer:
        """Look through the head's Reshape / Transpose (/ SoftMax) down to its convolution."""
        seen_softmax = False
        while layer.type in ("Reshape", "Transpose", "SoftMax", "Softmax"):
            if layer.type == "Transpose" and [int(v) for v in self.g.weight(layer, 1)] != [0, 2, 3, 1]:
                self.fail(layer, f"{what} expects the channels moved last (order 0, 2, 3, 1)")
            if layer.type.lower() == "softmax":
                if not softmax or int(layer.attr("axis", "-1")) not in (-1, len(layer.outputs[0].shape) - 1) \
                        or layer.outputs[0].shape[-1] != self.classes:
                    self.fail(layer, f"{what}: a softmax the module does not have")
                seen_softmax = True
            layer = self.g.producer(layer, 0)[0]
        if softmax and not seen_softmax:
            self.fail(layer, f"{what} expects a softmax over the classes")
        return self.conv(conv, layer, what)

    def fill(self, net: PersonSSDNet) -> None:
        self.classes = net.classes
        (det,) = self.g.by_type("DetectionOutput") or [None]
        if det is None:
            raise ModelError(f"{self.g.source}: no DetectionOutput layer: not an SSD graph")
        features = self.head(net.loc_head, self.g.producer(det, 0)[0], False, "loc_head")
        other = self.head(net.conf_head, self.g.producer(det, 1)[0], True, "conf_head")
        if other.id != features.id:
            self.fail(other, f"conf_head expects the same features as loc_head ({features.describe()})")
        x = features
        blocks = [(f"stages.{i}.{j}", b) for i, s in enumerate(net.stages) for j, b in enumerate(s)]
        for name, block in reversed(blocks):
            x = self.block(block, x, name)
        self.expect(x, ("ReLU", "Relu"), "init_block.1")
        x = self.conv(net.init_block[0], self.g.producer(x, 0)[0], "init_block.0")
        scale, shift = np.ones(3, np.float32), np.zeros(3, np.float32)
        while x.type in ("Add", "Multiply"):  # the input normalisation, x * scale + shift
            live, consts = self.inputs(x)
            if len(live) != 1 or len(consts) != 1 or consts[0].size not in (1, 3):
                self.fail(x, "the input normalisation expects a per-channel scale and shift")
            c = consts[0].astype(np.float32).reshape(-1)
            if x.type == "Add":  # walking backwards: y = (z + c) * scale + shift
                shift = shift + c * scale
            else:
                scale = scale * c
            x = live[0]
        self.expect(x, ("Parameter",), "the network's input")
        unused = [lay for lay in self.g.topological()
                  if lay.type in ("Convolution", "GroupConvolution") and lay.id not in self.used]
        if unused:
            self.fail(unused[0], f"a convolution with no place in {type(net).__name__}")
        with torch.no_grad():
            net.input_scale.copy_(torch.from_numpy(scale).view(1, 3, 1, 1))
            net.input_shift.copy_(torch.from_numpy(shift).view(1, 3, 1, 1))


def load_from_ir(net: PersonSSDNet, graph: IRGraph) -> PersonSSDNet:
    """Copy the weights of ``graph`` into ``net`` (see the module docstring); returns ``net``."""
    _Fill(graph).fill(net)
    return net


def detection_config(graph: IRGraph) -> dict:
    """The decoding settings of the graph: input size, priors (PriorBoxClustered) and the
    DetectionOutput layer's thresholds, as plain numbers. Refuses settings posekit does not decode."""
    (prior,) = graph.by_type("PriorBoxClustered") or [None]
    (det,) = graph.by_type("DetectionOutput") or [None]
    (data,) = graph.by_type("Parameter") or [None]
    if prior is None or det is None or data is None:
        raise ModelError(f"{graph.source}: expects one Parameter, PriorBoxClustered and DetectionOutput layer")
    for key, value in _SUPPORTED.items():
        if det.attr(key, value).strip().lower() != value.lower():
            raise ModelError(f"{graph.source}: {det.describe()}: {key}={det.attr(key)} is not supported "
                             f"(posekit decodes {key}={value})")
    step = float(prior.attr("step", "0"))
    keep = det.ints("keep_top_k")
    return {"input_size": list(data.outputs[0].shape[2:]),
            "prior_widths": prior.floats("width"), "prior_heights": prior.floats("height"),
            "step_w": float(prior.attr("step_w", "0")) or step, "step_h": float(prior.attr("step_h", "0")) or step,
            "offset": float(prior.attr("offset")), "clip_priors": prior.flag("clip", True),
            "variances": prior.floats("variance") or [0.1], "num_classes": int(det.attr("num_classes")),
            "nms_threshold": float(det.attr("nms_threshold")), "top_k": int(det.attr("top_k", "-1")),
            "keep_top_k": keep[0] if keep else -1,
            "confidence_threshold": float(det.attr("confidence_threshold", "0")),
            "clip_before_nms": det.flag("clip_before_nms"), "clip_after_nms": det.flag("clip_after_nms")}
