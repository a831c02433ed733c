"""The common walk of filling a readable module from an OpenVINO IR graph (:mod:`.openvino_reader`).

:class:`IRFill` holds what every mapping (:mod:`.person_ssd_mapping`, :mod:`.openpose_mapping`)
does the same way: one-line errors naming the file and the layer, a layer's live and constant
inputs, and filling an ``nn.Conv2d`` from ``bias Add <- (Group)Convolution`` (batch normalisation
folded into the bias by the converter), with kernel shape, stride, padding and dilation checked.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from .openvino_reader import IRGraph, IRLayer

__all__ = ["IRFill"]


class IRFill:
    def __init__(self, graph: IRGraph):
        self.g = graph
        self.used: set[int] = set()  # the convolutions filled so far

    def fail(self, layer: IRLayer, problem: str):
        raise ModelError(f"{self.g.source}: {layer.describe()}: {problem}")

    def expect(self, layer: IRLayer, kinds: tuple[str, ...], what: str) -> IRLayer:
        if layer.type not in kinds:
            self.fail(layer, f"{what} expects {' or '.join(kinds)}")
        return layer

    def inputs(self, layer: IRLayer) -> tuple[list[IRLayer], list[np.ndarray]]:
        """The layer's non-constant producers and its constant inputs (folded)."""
        live, consts = [], []
        for k in range(len(layer.inputs)):
            src = self.g.producer(layer, k)[0]
            value = self.g.fold(src)
            (live if value is None else consts).append(src if value is None else value)
        return live, consts

    def conv(self, conv: nn.Conv2d, biased: IRLayer, what: str) -> IRLayer:
        """Fill ``conv`` from the bias Add ``biased`` and the convolution under it; return its input."""
        self.expect(biased, ("Add",), f"{what} (bias)")
        live, consts = self.inputs(biased)
        if len(live) != 1 or len(consts) != 1:
            self.fail(biased, f"{what} expects a convolution plus a constant bias")
        layer = self.expect(live[0], ("GroupConvolution",) if conv.groups > 1 else ("Convolution",), what)
        kernel = self.g.weight(layer, 1)
        if layer.type == "GroupConvolution":  # (groups, out/groups, in/groups, kh, kw)
            kernel = kernel.reshape(-1, *kernel.shape[2:])
        bias = consts[0].astype(np.float32).reshape(-1)
        got = (list(kernel.shape), layer.ints("strides"), layer.ints("pads_begin"), layer.ints("pads_end"),
               layer.ints("dilations"))
        want = (list(conv.weight.shape), list(conv.stride), list(conv.padding), list(conv.padding),
                list(conv.dilation))
        if got != want or bias.size != conv.out_channels:
            self.fail(layer, f"{what} expects kernel {want[0]} stride {want[1]} padding {want[2]} dilation {want[4]}; "
                             f"the file has {got[0]} stride {got[1]} padding {got[2]}/{got[3]} dilation {got[4]}")
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(kernel))
            conv.bias.copy_(torch.from_numpy(bias))
        self.used.add(layer.id)
        return self.g.producer(layer, 0)[0]
