"""A TFLite convolutional graph as a PyTorch module.

MediaPipe's networks (BlazePose: Bazarevsky et al., "BlazePose: On-device Real-time
Body Pose tracking", CVPR Workshops 2020) are plain chains of convolutions,
depthwise convolutions, residual additions, padding, up-sampling and reshapes. Each
TFLite operator becomes one typed torch layer (``Conv2d`` with its fused activation,
``DepthToSpace``, ...), executed in the file's order; tensors are kept NCHW inside
and given back NHWC, as TFLite returns them. The layer list is a JSON-able spec, so
a converted network is stored as safetensors weights plus that spec, and rebuilt
without the .tflite file.

TensorFlow conventions kept: 'SAME' padding puts the odd pixel at the bottom/right;
DEPTH_TO_SPACE orders channels as (row, column, channel); bilinear resizing uses
half-pixel centres.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError
from .tflite_reader import TFLiteGraph

__all__ = ["GraphNet", "spec_from_tflite"]

_ACTS = {0: None, 1: "relu", 3: "relu6"}


def _same_pad(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def spec_from_tflite(g: TFLiteGraph) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Layer specs (JSON-able) and weights (name -> array, torch layout) for a graph."""
    layers, weights = [], {}
    for n, op in enumerate(g.ops):
        o, ins, out = op.options, op.inputs, op.outputs[0]
        spec = {"kind": op.kind, "inputs": [i for i in ins if i >= 0 and i not in g.constants] or ins[:1],
                "output": out}
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w, b = g.constants[ins[1]], g.constants[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
            if op.kind == "CONV_2D":
                weight = w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                groups = 1
            else:
                weight = w.transpose(3, 0, 1, 2)  # 1HWO -> O1HW
                groups = g.shapes[ins[0]][3]
            k, s = weight.shape[2], o["StrideH"]
            _, h, wd, _ = g.shapes[ins[0]]
            pad = (0, 0, 0, 0) if o["Padding"] == 1 else (*_same_pad(wd, weight.shape[3], o["StrideW"]),
                                                          *_same_pad(h, k, s))
            spec.update(stride=s, groups=groups, pad=list(pad), act=_ACTS[o["FusedActivationFunction"]],
                        shape=list(weight.shape), bias=b is not None)
            weights[f"l{n}.weight"] = np.ascontiguousarray(weight, np.float32)
            if b is not None:
                weights[f"l{n}.bias"] = np.asarray(b, np.float32)
        elif op.kind == "ADD":
            spec.update(inputs=ins, act=_ACTS[o["FusedActivationFunction"]])
        elif op.kind == "PAD":
            p = g.constants[ins[1]].reshape(4, 2)  # NHWC (before, after)
            spec.update(pad=[int(p[2, 0]), int(p[2, 1]), int(p[1, 0]), int(p[1, 1]), int(p[3, 0]), int(p[3, 1])])
        elif op.kind == "RESHAPE":
            spec.update(shape=list(g.shapes[out]))
        elif op.kind == "CONCATENATION":
            spec.update(inputs=ins, axis=o["Axis"], rank=len(g.shapes[out]))
        elif op.kind == "DEPTH_TO_SPACE":
            spec.update(block=o["BlockSize"])
        elif op.kind == "RESIZE_BILINEAR":
            if not o["HalfPixelCenters"] or o["AlignCorners"]:
                raise ModelError("only half-pixel-centre bilinear resizing is supported")
            spec.update(size=list(g.shapes[out][1:3]))
        elif op.kind == "MAX_POOL_2D":
            _, h, wd, _ = g.shapes[ins[0]]
            k, s = o["FilterHeight"], o["StrideH"]
            pad = (0, 0, 0, 0) if o["Padding"] == 1 else (*_same_pad(wd, o["FilterWidth"], o["StrideW"]),
                                                          *_same_pad(h, k, s))
            spec.update(kernel=k, stride=s, pad=list(pad))
        elif op.kind != "LOGISTIC":
            raise ModelError(f"TFLite operator {op.kind} is not supported")
        layers.append(spec)
    return layers, weights


class GraphNet(nn.Module):
    """Runs layer specs in order. ``inputs``/``outputs`` are tensor ids; input NHWC float."""

    def __init__(self, layers: list[dict], inputs: list[int], outputs: list[int]):
        super().__init__()
        self.layers, self.inputs, self.outputs = layers, list(inputs), list(outputs)
        self.convs = nn.ModuleDict()
        self._outer_pad: dict[int, list | None] = {}
        for n, spec in enumerate(layers):
            if spec["kind"] in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                o, i_g, kh, kw = spec["shape"]
                left, right, top, bottom = spec["pad"]
                # Symmetric padding goes into the convolution; TensorFlow's lopsided 'SAME' stays a pad.
                inner = (top, left) if (left, top) == (right, bottom) else (0, 0)
                conv = nn.Conv2d(i_g * spec["groups"], o, (kh, kw), spec["stride"], padding=inner,
                                 groups=spec["groups"], bias=spec["bias"])
                self.convs[f"l{n}"] = conv
                self._outer_pad[n] = None if inner != (0, 0) or not any(spec["pad"]) else spec["pad"]

    @staticmethod
    def _act(x: torch.Tensor, act: str | None) -> torch.Tensor:
        if act == "relu":
            return F.relu_(x)
        if act == "relu6":
            return x.clamp_(0.0, 6.0)
        return x

    def keep_outputs(self, positions: list[int]) -> "GraphNet":
        """Only the outputs at ``positions`` (in that order) and the layers they need; in place.

        BlazePose's landmark network also computes a 256x256 segmentation and world landmarks,
        which the 2D pipeline never reads: dropping them skips their layers in torch and in the
        exported ONNX graph.
        """
        self.outputs = [self.outputs[i] for i in positions]
        producer = {s["output"]: n for n, s in enumerate(self.layers)}
        needed, stack = set(), list(self.outputs)
        while stack:
            n = producer.get(stack.pop())
            if n is not None and n not in needed:
                needed.add(n)
                stack.extend(self.layers[n]["inputs"])
        self._skip = set(range(len(self.layers))) - needed
        return self

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        t = {self.inputs[0]: x.permute(0, 3, 1, 2)}
        skip = getattr(self, "_skip", ())
        for n, s in enumerate(self.layers):
            if n in skip:
                continue
            kind = s["kind"]
            a = t[s["inputs"][0]]
            if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                pad = self._outer_pad[n]
                y = self._act(self.convs[f"l{n}"](F.pad(a, pad) if pad else a), s["act"])
            elif kind == "ADD":
                y = self._act(a + t[s["inputs"][1]], s["act"])
            elif kind == "PAD":
                y = F.pad(a, s["pad"])
            elif kind == "RESHAPE":
                nhwc = a.permute(0, 2, 3, 1) if a.dim() == 4 else a
                y = nhwc.reshape([-1, *s["shape"][1:]])  # the batch may differ from the file's 1
                if y.dim() == 4:
                    y = y.permute(0, 3, 1, 2)
            elif kind == "CONCATENATION":
                axis = s["axis"] % s["rank"]
                if s["rank"] == 4:
                    axis = {0: 0, 1: 2, 2: 3, 3: 1}[axis]
                y = torch.cat([t[i] for i in s["inputs"]], dim=axis)
            elif kind == "DEPTH_TO_SPACE":
                b = s["block"]
                n_, c, h, w = a.shape
                y = a.reshape(n_, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
                y = y.reshape(n_, c // (b * b), h * b, w * b)
            elif kind == "RESIZE_BILINEAR":
                y = F.interpolate(a, size=s["size"], mode="bilinear", align_corners=False)
            elif kind == "MAX_POOL_2D":
                y = F.max_pool2d(F.pad(a, s["pad"], value=-math.inf) if any(s["pad"]) else a, s["kernel"],
                                 s["stride"])
            else:  # LOGISTIC
                y = torch.sigmoid(a)
            t[s["output"]] = y
        return [t[i].permute(0, 2, 3, 1) if t[i].dim() == 4 else t[i] for i in self.outputs]
