"""Export a top-down or bottom-up model to ONNX, with what a runtime needs to decode its output.

The exported graph is the network alone, from a normalised crop (N, 3, H, W) to the final
prediction (the last stage of a multi-stage head; each part of a multi-part head as its own
output). The ONNX file's metadata records the preset spec (codec, input size, skeleton), so a
deployment can rebuild the codec and decode without posekit's checkpoint.

With ``dynamic_size`` the input's height and width are free (axes ``height``, ``width``; the
outputs' spatial axes ``out_height``, ``out_width``), for fully convolutional networks run on
whole images (bottom-up models, which ``posekit export`` always exports so): a network whose head pools a fixed grid
(regression, SimCC's linear layers) still needs its trained size.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from ..topdown.estimator import final_stage

__all__ = ["export_onnx", "onnx_outputs", "compare_outputs"]


class _Deployed(nn.Module):
    """The network's final prediction as a flat tuple of tensors: a bottom-up model's ``fields``
    (the tensors its decoder reads, :mod:`posekit.codecs.contract`), else the last stage."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images):
        raw = self.model(images)
        out = self.model.fields(raw) if hasattr(self.model, "fields") else final_stage(raw)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def export_onnx(model: nn.Module, out: str | os.PathLike, opset: int = 17, dynamic_batch: bool = True,
                dynamic_size: bool = False) -> Path:
    """Write ``model`` (eval mode) to ``out`` atomically; returns the path. ``dynamic_size`` frees
    the input's height and width (and the spatial axes of 4-D outputs)."""
    import onnx

    from ..fileio import atomic_write

    model = model.eval()
    w, h = model.input_size
    example = torch.zeros(1, 3, h, w, device=next(model.parameters()).device)
    deployed = _Deployed(model).eval()  # export restores the wrapper's mode: a fresh module would be in training
    with torch.no_grad():
        n_out = len(deployed(example))
        shapes = [o.shape for o in deployed(example)]
    names = ["output"] if n_out == 1 else [f"output_{i}" for i in range(n_out)]
    axes: dict = {n: {} for n in ["image", *names]}
    if dynamic_batch:
        for n in axes:
            axes[n][0] = "batch"
    if dynamic_size:
        axes["image"].update({2: "height", 3: "width"})
        for n, shape in zip(names, shapes):
            if len(shape) == 4:
                axes[n].update({2: f"out_height_{n}", 3: f"out_width_{n}"})
    axes = {n: a for n, a in axes.items() if a} or None
    buffer = io.BytesIO()
    torch.onnx.export(deployed, (example,), buffer, input_names=["image"], output_names=names,
                      dynamic_axes=axes, opset_version=opset, dynamo=False)
    proto = onnx.load_from_string(buffer.getvalue())
    meta = {"posekit.spec": json.dumps(getattr(model, "spec", {})),
            "posekit.input_size": json.dumps(list(model.input_size))}
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    out = Path(out)
    with atomic_write(out) as f:
        f.write(proto.SerializeToString())
    return out


def onnx_outputs(path: str | os.PathLike, images: np.ndarray) -> list[np.ndarray]:
    """Run an exported model under onnxruntime (CPU) on (N, 3, H, W) float32 crops."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": np.ascontiguousarray(images, np.float32)})


def compare_outputs(model: nn.Module, path: str | os.PathLike, images: np.ndarray) -> float:
    """Largest relative difference between torch's and onnxruntime's outputs on ``images``.

    Relative to each output's largest magnitude, so near-zero entries do not inflate it. A
    different number of outputs, or an output of a different shape, is a :class:`ModelError`.
    """
    with torch.no_grad():
        ref = _Deployed(model).eval()(torch.from_numpy(np.asarray(images, np.float32)))
    got = onnx_outputs(path, images)
    if len(ref) != len(got):
        raise ModelError(f"{path}: {len(got)} outputs under onnxruntime, but the torch model has {len(ref)}")
    worst = 0.0
    for i, (r, g) in enumerate(zip(ref, got)):
        r = r.float().numpy()
        if r.shape != g.shape:
            raise ModelError(f"{path}: output {i} has shape {list(g.shape)} under onnxruntime, "
                             f"{list(r.shape)} in torch")
        worst = max(worst, float(np.abs(r - g).max() / max(np.abs(r).max(), 1e-12)))
    return worst
