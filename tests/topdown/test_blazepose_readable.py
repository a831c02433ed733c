"""The readable BlazePose modules against the layer-by-layer GraphNet (itself checked against LiteRT
in test_blazepose_networks.py) and against onnxruntime running their ONNX export."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.errors import ModelError
from posekit.pretrained.weights import load_graph_net, load_readable_net
from posekit.topdown.blazepose import DETECTOR_SIZE, LANDMARK_SIZE, Roi, _warp

CASES = [("detector", DETECTOR_SIZE, -1.0, True), ("landmark_full", LANDMARK_SIZE, 0.0, True),
         ("landmark_full", LANDMARK_SIZE, 0.0, False)]
KEPT = [0, 1, 3, 4]  # landmark outputs without the segmentation


def inputs(shared_data, size: int, low: float, batch: int) -> np.ndarray:
    """A real crop (the person of 000000000785.jpg, then the whole letterboxed photo) and random images."""
    from posekit.data.images import read_image

    img = read_image(shared_data / "mmpose_tests" / "coco" / "000000000785.jpg")
    h, w = img.shape[:2]
    rois = [Roi(w * 0.45, h * 0.5, 0.8 * h, 0.1), Roi(w / 2, h / 2, float(max(h, w)), 0.0)]
    real = [_warp(img, r, size).astype(np.float32) / 255.0 for r in rois]
    rand = list(np.random.default_rng(size).random((batch, size, size, 3), dtype=np.float32))
    x = np.stack((real + rand)[:batch])
    return x * (1 - low) + low


def reference(name: str, seg: bool):
    net = load_graph_net(name)
    return net if seg else net.keep_outputs(KEPT)


@pytest.mark.parametrize("name,size,low,seg", CASES)
@pytest.mark.parametrize("batch", [1, 3])
def test_outputs_match_graph_net(blazepose_cache, shared_data, name, size, low, seg, batch):
    import torch

    x = torch.from_numpy(inputs(shared_data, size, low, batch))
    with torch.inference_mode():
        ref = reference(name, seg)(x)
        ours = load_readable_net(name, segmentation=seg)(x)
    assert len(ours) == len(ref) == (2 if name == "detector" else 5 if seg else 4)
    for a, b in zip(ours, ref):
        assert a.shape == b.shape and a.shape[0] == batch
        assert (a - b).abs().max() <= 1e-5 * b.abs().max(), (name, tuple(b.shape))


def test_output_shapes_follow_the_file(blazepose_cache):
    import torch

    with torch.inference_mode():
        det = load_readable_net("detector")(torch.zeros(2, DETECTOR_SIZE, DETECTOR_SIZE, 3))
        lm = load_readable_net("landmark_full")(torch.zeros(2, LANDMARK_SIZE, LANDMARK_SIZE, 3))
    assert [tuple(o.shape) for o in det] == [(2, 2254, 12), (2, 2254, 1)]
    assert [tuple(o.shape) for o in lm] == [(2, 195), (2, 1), (2, 256, 256, 1), (2, 64, 64, 39), (2, 117)]


@pytest.mark.parametrize("name,size,low,seg", CASES)
def test_parameter_count_equals_the_file(blazepose_cache, name, size, low, seg):
    net = reference(name, seg)
    skip = getattr(net, "_skip", set())
    used = sum(p.numel() for key, conv in net.convs.items() if int(key[1:]) not in skip for p in conv.parameters())
    ours = load_readable_net(name, segmentation=seg)
    assert sum(p.numel() for p in ours.parameters()) == used
    assert seg or not any("seg" in key for key in ours.state_dict())
    assert used == {("detector", True): 2965314, ("landmark_full", True): 3169489,
                    ("landmark_full", False): 3167640}[name, seg]


def test_a_file_that_does_not_fit_is_refused(blazepose_cache):
    from posekit.pretrained.blazepose_mapping import load_from_graph
    from posekit.pretrained.blazepose_nets import BlazePoseDetector, BlazePoseLandmark

    with pytest.raises(ModelError, match="does not fit BlazePoseLandmark"):
        load_from_graph(BlazePoseLandmark(segmentation=False), load_graph_net("detector"), [0, 1, 0, 1])
    with pytest.raises(ModelError, match="does not fit BlazePoseDetector"):  # outputs swapped
        load_from_graph(BlazePoseDetector(), load_graph_net("detector"), [1, 0])
    with pytest.raises(ModelError, match="has 4 outputs, the file 5"):
        load_from_graph(BlazePoseLandmark(segmentation=False), load_graph_net("landmark_full"), None)
    net = load_graph_net("landmark_full")
    net.outputs = [net.outputs[i] for i in KEPT]  # a file whose segmentation layers lead nowhere
    with pytest.raises(ModelError, match="have no place in BlazePoseLandmark"):
        load_from_graph(BlazePoseLandmark(segmentation=False), net, None)


@pytest.mark.parametrize("name,size,low,seg", CASES)
def test_onnx_export_matches_torch(blazepose_cache, shared_data, tmp_path, name, size, low, seg):
    """Opset 17, dynamic batch (exported at batch 1, run at batch 3): onnxruntime within 1e-4 relative.

    Segmentation logits within 1e-3: on the tight person crop they reach +-1700 from sums that
    cancel, and float32 summation order alone moves them by 4e-4 of that (GraphNet's own
    export differs from torch by as much; the LiteRT test allows 2e-3)."""
    import onnxruntime as ort
    import torch

    net = load_readable_net(name, segmentation=seg)
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, (torch.zeros(1, size, size, 3),), str(path), input_names=["image"],
                      dynamic_axes={"image": {0: "batch"}}, opset_version=17, dynamo=False)
    x = inputs(shared_data, size, low, 3)
    with torch.inference_mode():
        ours = [o.numpy() for o in net(torch.from_numpy(x))]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx = sess.run(None, {"image": x})
    assert len(onnx) == len(ours)
    for a, b in zip(onnx, ours):
        assert a.shape == b.shape
        bound = 1e-3 if b.shape[1:] == (size, size, 1) else 1e-4
        assert np.abs(a - b).max() <= bound * np.abs(b).max(), (name, b.shape)
