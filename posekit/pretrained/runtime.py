"""Running a converted network on a backend: torch (default) or onnxruntime.

A runner takes float32 arrays in the network's input layout (NHWC for BlazePose's two
networks, NCHW for ``person_ssd`` and ``openpose_lightweight``) and returns the network's outputs as NumPy arrays, so
the pipelines do not care which backend runs them. The ONNX exports are cached beside the
weights, each with its checksum (:mod:`.cache_manifest`).
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError

__all__ = ["make_runner", "export_onnx"]

_INPUT_SHAPE = {"detector": (1, 224, 224, 3), "landmark_full": (1, 256, 256, 3), "person_ssd": (1, 3, 320, 544),
                "openpose_lightweight": (1, 3, 368, 368)}
_NCHW = ("person_ssd", "openpose_lightweight")  # any input size (multiples of the stride)



def _net(name: str, segmentation: bool, wheel=None):
    """The readable module (:mod:`posekit.pretrained.blazepose_nets`, :mod:`.person_ssd_net`) filled
    with the cached weights."""
    if name in _NCHW:
        from .weights import load_ir_model

        net = load_ir_model(name)[0]
        return net.last_stage_only() if name == "openpose_lightweight" else net
    from .weights import load_readable_net

    return load_readable_net(name, segmentation, wheel)  # the detector has no segmentation branch to drop


def make_runner(name: str, backend: str = "torch", wheel=None, segmentation: bool = True,
                threads: int | None = None):
    """A function float32 input -> the network's outputs in the file's order; ``segmentation=False``
    leaves the landmark network's segmentation branch (half its cost) out of the graph and the outputs.
    ``threads``: onnxruntime's intra-op threads (its default if None; torch's are process-wide)."""
    if backend == "torch":
        import torch

        net = _net(name, segmentation, wheel)
        nchw = name in _NCHW
        if nchw:  # channels-last convolutions are about 30% faster on CPU for these networks
            net = net.to(memory_format=torch.channels_last)

        def run(x: np.ndarray) -> list[np.ndarray]:
            t = torch.from_numpy(np.ascontiguousarray(x, np.float32))
            with torch.inference_mode():
                return [o.numpy() for o in net(t.contiguous(memory_format=torch.channels_last) if nchw else t)]

        return run
    if backend == "onnxruntime":
        import onnxruntime as ort

        path = export_onnx(name, wheel=wheel, segmentation=segmentation)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types; say which file in one line
            raise ModelError(f"{path}: onnxruntime cannot load it ({str(e).splitlines()[0]}); "
                             f"delete it to have it exported again") from None
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

    from .cache_manifest import ensure

    if name not in _INPUT_SHAPE:
        raise ModelError(f"unknown network {name!r}; use one of {', '.join(_INPUT_SHAPE)}")
    tag = "" if segmentation or name != "landmark_full" else "_2d"
    path = out or cache_dir() / (f"{name}.onnx" if name in _NCHW else f"blazepose_{name}{tag}.onnx")
    axes = {0: "batch", 2: "height", 3: "width"} if name in _NCHW else {0: "batch"}
    # the weights first: (re)converting them drops the exports made from them
    from .weights import import_blazepose, import_ir_model

    import_ir_model(name) if name in _NCHW else import_blazepose(wheel)

    def build() -> None:
        net = _net(name, segmentation, wheel)
        with atomic_write(path) as f:
            torch.onnx.export(net, (torch.zeros(_INPUT_SHAPE[name]),), f, input_names=["image"],
                              dynamic_axes={"image": axes}, opset_version=17, dynamo=False)

    if out is not None:
        build()
        return path
    return ensure(path, build)
