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


def _net(name: str, outputs: list[int] | None, wheel=None):
    from .weights import load_graph_net

    net = load_graph_net(name, wheel)
    return net.keep_outputs(outputs) if outputs is not None else net


def make_runner(name: str, backend: str = "torch", wheel=None, outputs: list[int] | None = None):
    """A function NHWC float32 -> the network's outputs (only those at ``outputs``, when given)."""
    if backend == "torch":
        import torch

        net = _net(name, outputs, wheel)

        def run(x: np.ndarray) -> list[np.ndarray]:
            with torch.inference_mode():
                return [o.numpy() for o in net(torch.from_numpy(np.ascontiguousarray(x, np.float32)))]

        return run
    if backend == "onnxruntime":
        import onnxruntime as ort

        path = export_onnx(name, wheel=wheel, outputs=outputs)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def run(x: np.ndarray) -> list[np.ndarray]:
            return session.run(None, {input_name: np.ascontiguousarray(x, np.float32)})

        return run
    raise ModelError(f"unknown backend {backend!r}; use 'torch' or 'onnxruntime'")


def export_onnx(name: str, out: str | os.PathLike | None = None, wheel=None, outputs: list[int] | None = None):
    """Export a cached network to ONNX (batch dimension dynamic); cached beside the weights."""
    import torch

    from ..fileio import atomic_write
    from .weights import cache_dir

    tag = "" if outputs is None else "_out" + "-".join(map(str, outputs))
    path = out or cache_dir() / f"blazepose_{name}{tag}.onnx"
    if out is None and os.path.isfile(path):
        return path
    net = _net(name, outputs, wheel)
    size = _INPUT_SIZE[name]
    x = torch.zeros(1, size, size, 3)
    with atomic_write(path) as f:
        torch.onnx.export(net, (x,), f, input_names=["image"], dynamic_axes={"image": {0: "batch"}},
                          opset_version=17, dynamo=False)
    return path
