"""The OpenVINO IR reader against the ``openvino`` runtime reading the same files: every constant,
the dequantized int8 weights of the quantized pose model, FakeQuantize, and the graph's edges."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from posekit.errors import ModelError
from posekit.pretrained.openvino_reader import read_ir

ov = pytest.importorskip("openvino")

MODELS = Path(__file__).resolve().parents[2] / "posekit" / "pretrained" / "data"
SSD = MODELS / "person-detection-retail-0013" / "person-detection-retail-0013.xml"


def ov_ops(xml: Path) -> dict:
    return {op.get_friendly_name(): op for op in ov.Core().read_model(str(xml)).get_ordered_ops()}


def test_every_constant_equals_openvinos(pose_int8_xml):
    for xml in (SSD, pose_int8_xml):
        graph, ops = read_ir(xml), ov_ops(xml)
        consts = [lay for lay in graph.layers.values() if lay.type == "Const"]
        assert len(consts) > 300
        for lay in consts:
            theirs = ops[lay.name].get_data()
            ours = graph.const(lay)
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, lay.name
            np.testing.assert_array_equal(ours, theirs, err_msg=lay.name)


def test_layers_and_edges_follow_the_file():
    graph, ops = read_ir(SSD), ov_ops(SSD)
    convs = graph.by_type("Convolution")
    assert len(convs) == 78 and len(graph.by_type("GroupConvolution")) == 36
    for conv in convs:  # producer of the data input and the output shape, as openvino sees them
        theirs = ops[conv.name]
        assert list(theirs.get_output_shape(0)) == list(conv.outputs[0].shape)
        assert conv.outputs[0].precision == "FP16" and conv.attrs["auto_pad"] == "explicit"
        src = theirs.input_value(0).get_node().get_friendly_name()
        assert graph.producer(conv, 0)[0].name == src
        assert conv.ints("strides") == list(theirs.get_strides())
        assert any(c.id == conv.id for c, _ in graph.consumers(graph.producer(conv, 0)[0]))
    order = {lay.id: k for k, lay in enumerate(graph.topological())}
    assert all(order[a] < order[b] for a, _, b, _ in graph.edges)
    for kind in ("DetectionOutput", "PriorBoxClustered"):
        (lay,) = graph.by_type(kind)
        (theirs,) = [op.get_attributes() for op in ops.values() if op.get_type_name() == kind]
        assert float(lay.attr("nms_threshold" if kind == "DetectionOutput" else "step_w")) == \
            pytest.approx(theirs["nms_threshold" if kind == "DetectionOutput" else "step_w"])
        if kind == "DetectionOutput":
            assert lay.ints("keep_top_k") == list(theirs["keep_top_k"]) and int(lay.attr("top_k")) == theirs["top_k"]
            assert lay.flag("share_location") == theirs["share_location"]
        else:
            np.testing.assert_allclose(lay.floats("width"), theirs["width"], rtol=1e-6)
            np.testing.assert_allclose(lay.floats("variance"), theirs["variance"], rtol=1e-6)


def test_int8_weights_dequantize_as_openvino_does(pose_int8_xml):
    """int8 Const -> Convert -> Subtract(zero point) -> Multiply(scale): folded in float32, then
    rounded to the graph's f16, it equals OpenVINO's own evaluation of that sub-graph."""
    xml = pose_int8_xml
    graph, ops = read_ir(xml), ov_ops(xml)
    convs = graph.by_type("Convolution") + graph.by_type("GroupConvolution")
    assert len(convs) == 58
    core = ov.Core()
    for conv in convs[:4] + convs[-4:]:
        chain = []
        node = graph.producer(conv, 1)[0]
        while node.type != "Const":
            chain.append(node.type)
            node = graph.producer(node, 0)[0]
        # grouped convolutions reshape the dequantized kernel to (groups, out, in, kh, kw)
        assert chain[-3:] == ["Multiply", "Subtract", "Convert"] and chain[:-3] in ([], ["Reshape"])
        assert graph.const(node).dtype == np.int8
        ours = graph.weight(conv)
        assert ours.dtype == np.float32 and ours.shape == tuple(conv.inputs[1].shape)
        sub = ov.Model([ops[conv.name].input_value(1)], [], "weights")
        theirs = core.compile_model(sub, "CPU")({})[0]
        np.testing.assert_array_equal(ours.astype(theirs.dtype), theirs, err_msg=conv.name)
        assert np.abs(ours).max() > 0.01


def test_fake_quantize_matches_openvino(pose_int8_xml):
    graph = read_ir(pose_int8_xml)
    layers = graph.by_type("FakeQuantize")
    assert len(layers) == 63
    opset = ov.opset13
    rng = np.random.default_rng(0)
    for lay in layers[:3] + layers[-2:]:
        fq = graph.fake_quantize(lay)
        assert fq.levels == 256
        shape = [1, lay.inputs[0].shape[1], 5, 7]
        x = rng.normal(0, 2, shape).astype(np.float32) * (np.abs(fq.input_high).max() + 1e-3)
        param = opset.parameter(shape, np.float32)
        node = opset.fake_quantize(param, *(opset.constant(v.astype(np.float32)) for v in
                                            (fq.input_low, fq.input_high, fq.output_low, fq.output_high)), 256)
        compiled = ov.Core().compile_model(ov.Model([node], [param]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        theirs = compiled(x)[0]
        ours = fq.apply(x)
        span = fq.output_high - fq.output_low  # OpenVINO's CPU kernel lands within 1% of a step of each level
        assert np.abs(ours - theirs).max() <= 0.01 * float(np.abs(span).max()) / 255
        level = lambda y: np.round((y - fq.output_low) / span * 255)  # noqa: E731
        assert np.mean(level(ours) == level(theirs)) > 0.99 and len(np.unique(level(ours))) > 20


def test_bad_files_are_refused_in_one_line(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        read_ir(tmp_path / "none.xml")
    xml = tmp_path / "m.xml"
    shutil.copy(SSD, xml)
    (tmp_path / "m.bin").write_bytes(SSD.with_suffix(".bin").read_bytes()[:100_000])
    graph = read_ir(xml)
    last = max((lay for lay in graph.layers.values() if lay.type == "Const"), key=lambda lay: int(lay.attrs["offset"]))
    with pytest.raises(ModelError, match=rf"layer {last.id} .*outside the \.bin file") as e:
        graph.const(last)
    assert "\n" not in str(e.value)
    (tmp_path / "bad.xml").write_text("<net><layers><layer id='x'/></layers></net>")
    shutil.copy(SSD.with_suffix(".bin"), tmp_path / "bad.bin")
    with pytest.raises(ModelError, match="bad port or id"):
        read_ir(tmp_path / "bad.xml")
    (tmp_path / "text.xml").write_text("not xml")
    shutil.copy(SSD.with_suffix(".bin"), tmp_path / "text.bin")
    with pytest.raises(ModelError, match="not an XML file"):
        read_ir(tmp_path / "text.xml")
