"""Pretrained weights: found on local disk, converted once, cached as safetensors.

BlazePose's two networks ship inside the PyPI wheel ``mediapipe==0.10.14``
(Apache-2.0). posekit reads them from an installed ``mediapipe`` package or straight
from a wheel file on disk, converts each to safetensors (weights, plus the layer
spec in the file's metadata) under the cache folder, and never touches the network.

Where a wheel is looked for: ``$POSEKIT_MEDIAPIPE_WHEEL``, then ``mediapipe-*.whl``
in ``$POSEKIT_WHEELS``, ``./wheels``, ``~/.cache/posekit/wheels`` and pip's download
cache folders. The cache is ``$POSEKIT_CACHE`` or ``~/.cache/posekit``.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..fileio import atomic_write

__all__ = ["BLAZEPOSE_FILES", "cache_dir", "find_tflite", "import_blazepose", "load_graph_net", "load_readable_net"]

BLAZEPOSE_FILES = {
    "detector": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "landmark_full": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
MEDIAPIPE_VERSION = "0.10.14"


def cache_dir() -> Path:
    return Path(os.environ.get("POSEKIT_CACHE", Path.home() / ".cache" / "posekit"))


def _wheel_candidates() -> list[Path]:
    env = os.environ.get("POSEKIT_MEDIAPIPE_WHEEL")
    if env:
        return [Path(env)]
    dirs = [os.environ.get("POSEKIT_WHEELS"), "wheels", cache_dir() / "wheels",
            Path.home() / ".cache" / "pip" / "wheels"]
    out = []
    for d in dirs:
        if d and Path(d).is_dir():
            out += sorted(Path(d).rglob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    return out


def find_tflite(member: str, wheel: str | os.PathLike | None = None) -> tuple[bytes, str]:
    """The bytes of ``member`` (a path inside the mediapipe package) and where they came from."""
    if wheel is None:
        try:
            import importlib.util

            spec = importlib.util.find_spec("mediapipe")
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))).parent / member
            if path.is_file():
                return path.read_bytes(), str(path)
    wheels = [Path(wheel)] if wheel is not None else _wheel_candidates()
    for w in wheels:
        if not w.is_file():
            raise ModelError(f"{w}: no such wheel file")
        try:
            with zipfile.ZipFile(w) as z:
                return z.read(member), f"{w}!{member}"
        except (zipfile.BadZipFile, KeyError) as e:
            raise ModelError(f"{w}: cannot read {member} ({e})") from None
    raise ModelError(
        f"BlazePose weights not found: install mediapipe=={MEDIAPIPE_VERSION}, or put its wheel in ./wheels "
        f"(pip download mediapipe=={MEDIAPIPE_VERSION} --no-deps -d wheels), or set POSEKIT_MEDIAPIPE_WHEEL")


def _cached(name: str) -> Path:
    return cache_dir() / f"blazepose_{name}.safetensors"


def import_blazepose(wheel: str | os.PathLike | None = None, force: bool = False) -> dict[str, Path]:
    """Convert both BlazePose networks to safetensors in the cache (once); returns their paths."""
    from safetensors.numpy import save

    from .graph import spec_from_tflite
    from .tflite_reader import read_tflite

    out = {}
    for name, member in BLAZEPOSE_FILES.items():
        target = _cached(name)
        if target.is_file() and not force:
            out[name] = target
            continue
        data, source = find_tflite(member, wheel)
        graph = read_tflite(data, source)
        layers, weights = spec_from_tflite(graph)
        meta = {"format": "posekit-graph-1", "layers": json.dumps(layers), "inputs": json.dumps(graph.inputs),
                "outputs": json.dumps(graph.outputs), "source": source,
                "source_sha256": hashlib.sha256(data).hexdigest(), "license": "Apache-2.0 (MediaPipe)"}
        with atomic_write(target) as f:
            f.write(save({k: np.ascontiguousarray(v) for k, v in weights.items()}, metadata=meta))
        out[name] = target
    return out


def load_graph_net(name: str, wheel: str | os.PathLike | None = None):
    """The cached network ``name`` ('detector' or 'landmark_full') as a :class:`GraphNet` in eval mode."""
    import torch
    from safetensors import safe_open

    from .graph import GraphNet

    path = _cached(name)
    if not path.is_file():
        import_blazepose(wheel)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata()
            state = {f"convs.{k}": f.get_tensor(k) for k in f.keys()}
        net = GraphNet(json.loads(meta["layers"]), json.loads(meta["inputs"]), json.loads(meta["outputs"]))
        net.load_state_dict(state)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise ModelError(f"{path}: unreadable weights ({e}); run 'posekit weights import blazepose --force'") from None
    # NHWC input viewed as NCHW is already channels-last: keeping the weights so too avoids
    # layout conversions inside every convolution (about 20% faster on CPU).
    return net.eval().requires_grad_(False).to(torch.float32).to(memory_format=torch.channels_last)


def load_readable_net(name: str, segmentation: bool = True, wheel: str | os.PathLike | None = None):
    """The cached network ``name`` as a readable module (:mod:`posekit.pretrained.blazepose_nets`), eval mode.

    ``segmentation=False`` (landmark network only) leaves out the segmentation decoder and output.
    """
    import torch

    from .blazepose_mapping import load_from_graph
    from .blazepose_nets import BlazePoseDetector, BlazePoseLandmark

    if name == "detector":
        module, outputs = BlazePoseDetector(), None
    elif name == "landmark_full":
        module, outputs = BlazePoseLandmark(segmentation), (None if segmentation else [0, 1, 3, 4])
    else:
        raise ModelError(f"unknown BlazePose network {name!r}; use 'detector' or 'landmark_full'")
    load_from_graph(module, load_graph_net(name, wheel), outputs, source=str(_cached(name)))
    return module.eval().requires_grad_(False).to(memory_format=torch.channels_last)
