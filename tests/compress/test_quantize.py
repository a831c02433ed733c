"""``posekit quantize`` (int8 QDQ, onnxruntime static quantization) and ``posekit export --fp16``.

Checked against the quantization formula itself (Jacob et al. 2018: per output channel, a weight
is stored as round(w / scale) with |w - q * scale| <= scale / 2), against the float model's own
outputs under onnxruntime, and for what each file must keep: the posekit metadata, the float head
by default, float32 inputs and outputs for fp16. Bad inputs get one line and write nothing.
"""
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from posekit.cli import main
from posekit.compress.export import onnx_outputs

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "data" / "mmpose_tests" / "coco"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("quantize")
    assert main(["export", "simplebaseline-r18-128x96", "--out", str(d / "fp32.onnx"), "--no-check"]) == 0
    return d


def _crops(n=4):
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo import build_model
    from posekit.zoo.learning_proof import synthetic_instances

    model = build_model("simplebaseline-r18-128x96")
    data = TopDownDataset(synthetic_instances(n, (96, 128), 5), model.codec, model.skeleton, encode=False)
    return np.stack([data[i]["image"] for i in range(n)])


def _conv_weights(proto) -> dict[str, tuple]:
    """conv name -> (float weight or None, (int8 weight, scale) or None), read from the graph."""
    init = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    producer = {o: n for n in proto.graph.node for o in n.output}
    out = {}
    for node in proto.graph.node:
        if node.op_type != "Conv":
            continue
        w = node.input[1]
        if w in init:
            out[node.name] = (init[w], None)
        elif w in producer and producer[w].op_type == "DequantizeLinear":
            dq = producer[w]
            out[node.name] = (None, (init[dq.input[0]], init[dq.input[1]]))
    return out


def test_int8_stores_weights_by_the_per_channel_formula_and_keeps_the_head_float(exported):
    d = exported
    assert main(["quantize", str(d / "fp32.onnx"), "--calibration", str(PHOTOS), "--out", str(d / "int8.onnx")]) == 0
    fp32, int8 = onnx.load(str(d / "fp32.onnx")), onnx.load(str(d / "int8.onnx"))
    meta = {p.key: p.value for p in int8.metadata_props}
    assert json.loads(meta["posekit.spec"]) == json.loads({p.key: p.value for p in fp32.metadata_props}["posekit.spec"])
    info = json.loads(meta["posekit.quantization"])
    assert info["head"] == "float" and info["samples"] == len(list(PHOTOS.glob("*.jpg")))
    convs = _conv_weights(int8)
    floats = [name for name, (w, q) in convs.items() if q is None]
    assert floats == info["float_nodes"] and len(floats) == 1  # the 1x1 heatmap convolution
    # the quantized weights: int8, one scale per output channel, within half a step of the float weight
    float_weights = [numpy_helper.to_array(t) for t in fp32.graph.initializer if t.dims and len(t.dims) == 4]
    checked = 0
    for name, (w, q) in convs.items():
        if q is None:
            continue
        qw, scale = q
        assert qw.dtype == np.int8 and scale.shape == (qw.shape[0],)
        deq = qw.astype(np.float64) * scale.astype(np.float64)[:, None, None, None]
        # symmetric: the largest magnitude of each channel maps to +-127 (channels of zeros, e.g. a
        # zero-initialised residual branch folded with its batch norm, stay 0)
        peak = np.abs(qw.astype(np.int32)).reshape(len(qw), -1).max(1)
        if peak.max() == 0:
            continue
        assert np.all((peak >= 126) | (peak == 0))
        checked += int(any(w0.shape == qw.shape and np.all(np.abs(w0 - deq) <= scale[:, None, None, None] / 2 + 1e-7)
                           for w0 in float_weights))
    assert checked >= 10


def test_int8_outputs_follow_the_float_model(exported):
    d = exported
    x = _crops()
    ref = onnx_outputs(d / "fp32.onnx", x)[0]
    got = onnx_outputs(d / "int8.onnx", x)[0]
    assert got.shape == ref.shape
    err = np.abs(got - ref).max() / np.abs(ref).max()
    assert err < 0.2, err   # random weights, 4 real calibration photos: a bound, not an accuracy claim
    # and the float head is the better choice: the int8 head adds its own rounding
    assert main(["quantize", str(d / "fp32.onnx"), "--calibration", "synthetic:8", "--out", str(d / "int8h.onnx"),
                 "--include-head"]) == 0
    meta = {p.key: p.value for p in onnx.load(str(d / "int8h.onnx")).metadata_props}
    assert json.loads(meta["posekit.quantization"])["float_nodes"] == []


def test_fp16_keeps_float32_io_and_follows_torch(exported, capsys):
    d = exported
    assert main(["export", "simplebaseline-r18-128x96", "--out", str(d / "fp16.onnx"), "--fp16"]) == 0
    said = capsys.readouterr().out
    diff = float(said.split("max relative difference ")[1].split()[0])
    assert diff < 5e-3
    proto = onnx.load(str(d / "fp16.onnx"))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert all(o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for o in proto.graph.output)
    big = [t for t in proto.graph.initializer if len(t.dims) == 4]
    assert big and all(t.data_type == onnx.TensorProto.FLOAT16 for t in big)
    assert (d / "fp16.onnx").stat().st_size < 0.6 * (d / "fp32.onnx").stat().st_size


def test_bottom_up_models_quantize_on_whole_images(tmp_path):
    assert main(["export", "openpose-small-160x160", "--out", str(tmp_path / "op.onnx"), "--no-check"]) == 0
    assert main(["quantize", str(tmp_path / "op.onnx"), "--calibration", str(PHOTOS),
                 "--out", str(tmp_path / "op8.onnx")]) == 0
    x = np.random.default_rng(0).uniform(0, 255, (1, 3, 192, 224)).astype(np.float32)  # another size
    ref, got = onnx_outputs(tmp_path / "op.onnx", x), onnx_outputs(tmp_path / "op8.onnx", x)
    assert len(ref) == len(got) == 2 and all(r.shape == g.shape for r, g in zip(ref, got))


def test_bad_inputs_get_one_line_and_write_nothing(exported, tmp_path, capsys):
    d = exported
    bare = onnx.load(str(d / "fp32.onnx"))
    del bare.metadata_props[:]
    onnx.save(bare, str(tmp_path / "bare.onnx"))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "text.onnx").write_text("hello")
    cases = [
        (["quantize", str(tmp_path / "bare.onnx"), "--calibration", str(PHOTOS)], "no posekit metadata"),
        (["quantize", str(tmp_path / "text.onnx"), "--calibration", str(PHOTOS)], "not an ONNX file"),
        (["quantize", str(d / "fp32.onnx"), "--calibration", str(empty)], "no usable calibration input"),
    ]
    for argv, words in cases:
        out = tmp_path / "out.onnx"
        capsys.readouterr()
        assert main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert words in err[-1] and err[-1].startswith("posekit quantize: error:"), err
        assert not out.exists()
    shutil.rmtree(empty)


def test_activations_are_uint8_by_default_and_deconvolutions_stay_float(exported, tmp_path):
    """onnxruntime's fast x86 path is u8 activations x s8 weights; it has no integer ConvTranspose."""
    d = exported
    for flag, dtype in (([], np.uint8), (["--activations", "int8"], np.int8)):
        out = tmp_path / f"{dtype.__name__}.onnx"
        assert main(["quantize", str(d / "fp32.onnx"), "--calibration", "synthetic:4", "--out", str(out), *flag]) == 0
        proto = onnx.load(str(out))
        init = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
        producer = {o: n for n in proto.graph.node for o in n.output}
        zero_points = [init[n.input[2]] for n in proto.graph.node if n.op_type == "QuantizeLinear"]
        assert zero_points and all(z.dtype == dtype for z in zero_points)
        deconvs = [n for n in proto.graph.node if n.op_type == "ConvTranspose"]
        assert len(deconvs) == 3  # SimpleBaseline's three deconvolutions
        assert all(n.input[1] in init and init[n.input[1]].dtype == np.float32 for n in deconvs)
        # float weights, no quantize-dequantize pair on them (the input may be a DequantizeLinear: the
        # int8 tensor of the layer before, back to float for the float deconvolution)
        assert all(producer.get(n.input[1]) is None for n in deconvs)
        assert json.loads({p.key: p.value for p in proto.metadata_props}["posekit.quantization"])["activations"] \
            .startswith(dtype.__name__)
