"""The torch re-implementation of BlazePose's networks against LiteRT running the same .tflite files."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from posekit.pretrained.weights import BLAZEPOSE_FILES, load_graph_net
from posekit.topdown.blazepose import DETECTOR_SIZE, LANDMARK_SIZE, Roi, _warp


def litert(wheel, member: str, x: np.ndarray) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    with zipfile.ZipFile(wheel) as z:
        it = Interpreter(model_content=z.read(member))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}


def real_input(shared_data, name: str, size: int, low: float) -> np.ndarray:
    """A letterboxed real photo scaled to [low, 1] (the detector reads [-1, 1], the landmark net [0, 1])."""
    from posekit.data.images import read_image

    img = read_image(shared_data / "mmpose_tests" / "coco" / name)
    h, w = img.shape[:2]
    x = _warp(img, Roi(w / 2, h / 2, float(max(h, w)), 0.0), size).astype(np.float32) / 255.0
    return (x * (1 - low) + low)[None]


@pytest.mark.parametrize("net,size,low,image", [
    ("detector", DETECTOR_SIZE, -1.0, "000000000785.jpg"), ("detector", DETECTOR_SIZE, -1.0, "000000196141.jpg"),
    ("landmark_full", LANDMARK_SIZE, 0.0, "000000000785.jpg"),
])
def test_raw_outputs_match_litert(blazepose_cache, mediapipe_wheel, shared_data, net, size, low, image):
    import torch

    x = real_input(shared_data, image, size, low)
    model = load_graph_net(net)
    with torch.inference_mode():
        ours = [o.numpy() for o in model(torch.from_numpy(x))]
    ref = litert(mediapipe_wheel, BLAZEPOSE_FILES[net], x)
    names = sorted(ref)  # Identity, Identity_1, ... in the file's output order
    assert len(ours) == len(names)
    for name, o in zip(names, ours):
        r = ref[name]
        assert o.shape == r.shape
        scale = np.abs(r).max()
        if name == "Identity_2":  # segmentation logits, unused by the pipeline: a looser bound
            assert np.abs(o - r).max() <= 2e-3 * scale
        else:
            assert np.abs(o - r).max() <= 1e-3 * scale + 1e-6, (net, name)


@pytest.mark.parametrize("net,size,low", [("detector", DETECTOR_SIZE, -1.0), ("landmark_full", LANDMARK_SIZE, 0.0)])
def test_onnx_export_matches_torch(blazepose_cache, shared_data, net, size, low):
    """The exported ONNX graph under onnxruntime gives torch's raw outputs within 1e-4 relative,
    batched (two real crops at once: the batch axis is dynamic); the segmentation logits, unused by
    the pipeline, within 1e-3 (measured up to 1.6e-4 on a fresh clone's CI run)."""
    from posekit.pretrained.runtime import make_runner

    x = np.concatenate([real_input(shared_data, name, size, low) for name in ("000000000785.jpg", "000000196141.jpg")])
    ours = make_runner(net, "torch")(x)
    onnx = make_runner(net, "onnxruntime")(x)
    assert len(ours) == len(onnx)
    for a, b in zip(ours, onnx):
        assert a.shape == b.shape and a.shape[0] == 2
        segmentation = a.shape[1:] == (256, 256, 1)
        tol = 1e-3 if segmentation else 1e-4
        assert np.abs(a - b).max() <= tol * np.abs(a).max(), (net, np.abs(a - b).max() / np.abs(a).max())
