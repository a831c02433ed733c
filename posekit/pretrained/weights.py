"""Pretrained weights: found on local disk, converted once, cached as safetensors.

BlazePose's two networks ship inside the PyPI wheel ``mediapipe==0.10.14``
(Apache-2.0). posekit reads them from an installed ``mediapipe`` package or straight
from a wheel file on disk, converts each to safetensors (weights, plus the layer
spec in the file's metadata) under the cache folder, and never touches the network.

Where a wheel is looked for: ``$POSEKIT_MEDIAPIPE_WHEEL``, then ``mediapipe-*.whl``
in ``$POSEKIT_WHEELS``, ``./wheels``, ``~/.cache/posekit/wheels`` and pip's download
cache folders. The cache is ``$POSEKIT_CACHE`` or ``~/.cache/posekit``.

Intel's person-detection-retail-0013 and human-pose-estimation-0001 (Lightweight OpenPose)
(Apache-2.0, Open Model Zoo) ship with posekit as package data (``posekit/pretrained/data/``,
OpenVINO IR); they are converted the same way on first use (:data:`IR_MODELS`).

Every converted file has its sha256 recorded beside it (:mod:`.cache_manifest`), checked
on load: a damaged file is converted again from its source, or refused in one line when
the source is gone.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..fileio import atomic_write

__all__ = ["BLAZEPOSE_FILES", "PERSON_SSD_XML", "cache_dir", "find_tflite", "import_blazepose", "import_person_ssd",
           "load_graph_net", "load_readable_net", "load_person_ssd", "IR_MODELS", "OPENPOSE_XML", "import_ir_model",
           "load_ir_model"]

BLAZEPOSE_FILES = {
    "detector": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "landmark_full": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
MEDIAPIPE_VERSION = "0.10.14"
PERSON_SSD_XML = "data/person-detection-retail-0013/person-detection-retail-0013.xml"  # in posekit.pretrained
OPENPOSE_XML = "data/human-pose-estimation-0001/human-pose-estimation-0001.xml"


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


def _drop_derived(prefix: str) -> None:
    """Exports made from a weights file that has just been (re)converted are stale."""
    for f in cache_dir().glob(f"{prefix}*.onnx"):
        f.unlink(missing_ok=True)


def import_blazepose(wheel: str | os.PathLike | None = None, force: bool = False) -> dict[str, Path]:
    """Convert both BlazePose networks to safetensors in the cache (once; again if damaged or
    ``force``); returns their paths. Looks for the weights as first use does (:func:`find_tflite`)."""
    from .cache_manifest import ensure

    if wheel is not None and not Path(wheel).is_file():
        raise ModelError(f"{wheel}: no such wheel file")

    def build(name: str, member: str) -> None:
        from safetensors.numpy import save

        from .graph import spec_from_tflite
        from .tflite_reader import read_tflite

        data, source = find_tflite(member, wheel)
        graph = read_tflite(data, source)
        layers, weights = spec_from_tflite(graph)
        meta = {"format": "posekit-graph-1", "layers": json.dumps(layers), "inputs": json.dumps(graph.inputs),
                "outputs": json.dumps(graph.outputs), "source": source,
                "source_sha256": hashlib.sha256(data).hexdigest(), "license": "Apache-2.0 (MediaPipe)"}
        with atomic_write(_cached(name)) as f:
            f.write(save({k: np.ascontiguousarray(v) for k, v in weights.items()}, metadata=meta))
        _drop_derived(f"blazepose_{name}")

    return {name: ensure(_cached(name), lambda n=name, m=member: build(n, m), force)
            for name, member in BLAZEPOSE_FILES.items()}


def load_graph_net(name: str, wheel: str | os.PathLike | None = None):
    """The cached network ``name`` ('detector' or 'landmark_full') as a :class:`GraphNet` in eval mode."""
    import torch
    from safetensors import safe_open

    from .graph import GraphNet

    path = import_blazepose(wheel)[name]
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


def _ir_builders() -> dict:
    """name -> (a readable module filled from an IR graph, the settings the module's user needs)."""
    from .openpose_mapping import load_from_ir as fill_openpose
    from .person_ssd_mapping import detection_config, load_from_ir as fill_ssd
    from .person_ssd_net import PersonSSDNet
    from ..models.paf_network import lightweight_openpose

    def openpose(graph):
        net = fill_openpose(lightweight_openpose(), graph)
        return net, {"num_keypoints": net.num_keypoints, "num_limbs": net.num_limbs, "stride": net.stride,
                     "refinement_stages": len(net.head.refinement), "skeleton": "openpose18"}

    return {"person_ssd": lambda graph: (fill_ssd(PersonSSDNet(), graph), detection_config(graph)),
            "openpose_lightweight": openpose}


# name -> (its IR file in posekit.pretrained, the `posekit weights import` name, licence line)
IR_MODELS = {
    "person_ssd": ("PERSON_SSD_XML", "person-ssd", "Apache-2.0 (Intel Open Model Zoo, person-detection-retail-0013)"),
    "openpose_lightweight": ("OPENPOSE_XML", "openpose-lightweight",
                             "Apache-2.0 (Intel Open Model Zoo, human-pose-estimation-0001)"),
}


def import_ir_model(name: str, file: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Convert an OpenVINO IR model of :data:`IR_MODELS` (``file``, by default the copy shipped with
    posekit) to safetensors in the cache (once; again if damaged, ``force`` or a ``file`` is named)."""
    from .cache_manifest import ensure, sha256_file

    attr, cli_name, licence = IR_MODELS[name]
    xml = Path(file) if file is not None else Path(str(resources.files(__package__) / globals()[attr]))
    if file is not None and not xml.is_file():
        raise ModelError(f"{xml}: no such OpenVINO IR file")
    target = cache_dir() / f"{name}.safetensors"

    def build() -> None:
        from safetensors.torch import save

        from .openvino_reader import read_ir

        if not xml.is_file():
            raise ModelError(f"{xml}: the weights of {cli_name} are missing (reinstall posekit, or "
                             f"'posekit weights import {cli_name} --file PATH.xml')")
        graph = read_ir(xml)
        net, config = _ir_builders()[name](graph)
        meta = {"format": f"posekit-{cli_name}-1", "config": json.dumps(config), "source": str(xml),
                "source_sha256": sha256_file(xml) + " " + sha256_file(xml.with_suffix(".bin")), "license": licence}
        state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        with atomic_write(target) as f:
            f.write(save(state, metadata=meta))
        _drop_derived(name)

    return ensure(target, build, force or file is not None)


def load_ir_model(name: str):
    """A cached IR model: (its readable module in eval mode, its settings)."""
    from safetensors import safe_open

    from .person_ssd_net import PersonSSDNet
    from ..models.paf_network import lightweight_openpose

    path = import_ir_model(name)
    try:
        with safe_open(str(path), framework="pt") as f:
            config = json.loads(f.metadata()["config"])
            state = {k: f.get_tensor(k) for k in f.keys()}
        if name == "person_ssd":
            net = PersonSSDNet(priors=len(config["prior_widths"]), classes=config["num_classes"])
        else:
            net = lightweight_openpose(config["num_keypoints"], config["num_limbs"], config["refinement_stages"],
                                       bgr=True)
        net.load_state_dict(state)
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as e:
        raise ModelError(f"{path}: unreadable weights ({e}); run "
                         f"'posekit weights import {IR_MODELS[name][1]} --force'") from None
    return net.eval().requires_grad_(False), config


def import_person_ssd(file: str | os.PathLike | None = None, force: bool = False) -> Path:
    """person-detection-retail-0013 converted to safetensors in the cache (:func:`import_ir_model`)."""
    return import_ir_model("person_ssd", file, force)


def load_person_ssd():
    """The cached person detector: (:class:`~posekit.pretrained.person_ssd_net.PersonSSDNet` in eval
    mode, its decoding settings as read from the IR's PriorBoxClustered and DetectionOutput layers)."""
    return load_ir_model("person_ssd")
