"""Running a converted network on a backend: torch (default) or onnxruntime.

A runner takes NHWC float32 arrays and returns the network's outputs as NumPy
arrays, so the pipelines do not care which backend runs them.
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError

__all__ = ["make_runner", "export_onnx"]

_INPUT_SIZE = {"detector": 224, "landmark_full": 256}


def _net(name: str, segmentation: bool, wheel=None):
    """The readable module (:mod:`posekit.pretrained.blazepose_nets`) filled with the cached weights."""
    from .weights import load_readable_net

    return load_readable_net(name, segmentation, wheel)  # the detector has no segmentation branch to drop


def make_runner(name: str, backend: str = "torch", wheel=None, segmentation: bool = True):
    """A function NHWC float32 -> the network's outputs in the file's order; ``segmentation=False``
    leaves the landmark network's segmentation branch (half its cost) out of the graph and the outputs."""
    if backend == "torch":
        import torch

        net = _net(name, segmentation, wheel)

        def run(x: np.ndarray) -> list[np.ndarray]:
            with torch.inference_mode():
                return [o.numpy() for o in net(torch.from_numpy(np.ascontiguousarray(x, np.float32)))]

        return run
    if backend == "onnxruntime":
        import onnxruntime as ort

        path = export_onnx(name, wheel=wheel, segmentation=segmentation)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def run(x: np.ndarray) -> list[np.ndarray]:
            return session.run(None, {input_name: np.ascontiguousarray(x, np.float32)})

        return run
    raise ModelError(f"unknown backend {backend!r}; use 'torch' or 'onnxruntime'")


def export_onnx(name: str, out: str | os.PathLike | None = None, wheel=None, segmentation: bool = True):
    """Export a cached network to ONNX (batch dimension dynamic); cached beside the weights."""
    import torch

    from ..fileio import atomic_write
    from .weights import cache_dir

    tag = "" if segmentation or name != "landmark_full" else "_2d"
    path = out or cache_dir() / f"blazepose_{name}{tag}.onnx"
    if out is None and os.path.isfile(path):
        return path
    net = _net(name, segmentation, wheel)
    size = _INPUT_SIZE[name]
    x = torch.zeros(1, size, size, 3)
    with atomic_write(path) as f:
        torch.onnx.export(net, (x,), f, input_names=["image"], dynamic_axes={"image": {0: "batch"}},
                          opset_version=17, dynamo=False)
    return path
