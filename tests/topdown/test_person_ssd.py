"""The SSD person detector against OpenVINO running the same IR file on real photos: the network's
raw outputs (the inputs of the file's DetectionOutput layer), the priors, the decoded boxes, and
the onnxruntime backend against torch."""
from __future__ import annotations

import os

import numpy as np
import pytest

from posekit.errors import InputError, ModelError

ov = pytest.importorskip("openvino")

PHOTOS = [("mmpose_tests/coco", n) for n in ("000000000785.jpg", "000000040083.jpg", "000000196141.jpg",
                                             "000000197388.jpg")] + \
         [("coco_mini/images/val2017", n) for n in ("000000162092.jpg", "000000189475.jpg", "000000164602.jpg")]


@pytest.fixture(scope="module")
def ssd_cache(tmp_path_factory):
    """A private weights cache: the conversion from the shipped IR file is part of what is tested.
    One torch thread: on shared cores more only contend (a 544 x 320 pass is ~0.15 s on one)."""
    import torch

    old, threads = os.environ.get("POSEKIT_CACHE"), torch.get_num_threads()
    os.environ["POSEKIT_CACHE"] = str(tmp_path_factory.mktemp("ssd-cache"))
    torch.set_num_threads(1)
    yield os.environ["POSEKIT_CACHE"]
    torch.set_num_threads(threads)
    if old is None:
        os.environ.pop("POSEKIT_CACHE")
    else:
        os.environ["POSEKIT_CACHE"] = old


@pytest.fixture(scope="module")
def detector(ssd_cache):
    from posekit.topdown.person_ssd import PersonSSD

    return PersonSSD()


@pytest.fixture(scope="module")
def photos(shared_data):
    from posekit.data.images import read_image

    return {name: read_image(shared_data / folder / name) for folder, name in PHOTOS}


@pytest.fixture(scope="module")
def torch_raw(detector, photos):
    """posekit's torch outputs [loc, conf] for each photo."""
    return {name: detector.raw(img) for name, img in photos.items()}


@pytest.fixture(scope="module")
def openvino_ssd():
    """The IR file compiled by OpenVINO (f32 inference), with the DetectionOutput's three inputs
    added as outputs, all given as f32 (not rounded to the file's f16 ports):
    ``run(x) -> (detection_out rows, loc, conf, priors)``."""
    from importlib import resources

    from openvino.preprocess import PrePostProcessor

    from posekit.pretrained.weights import PERSON_SSD_XML

    xml = str(resources.files("posekit.pretrained") / PERSON_SSD_XML)
    core = ov.Core()
    model = core.read_model(xml)
    (det,) = [op for op in model.get_ordered_ops() if op.get_type_name() == "DetectionOutput"]
    model.add_outputs([det.input_value(k) for k in range(3)])
    ppp = PrePostProcessor(model)
    for k in range(4):
        ppp.output(k).tensor().set_element_type(ov.Type.f32)
    model = ppp.build()
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1})

    def run(x):
        out = compiled(x)
        rows, loc, conf, priors = (out[o] for o in compiled.outputs)
        rows = rows[0, 0]
        end = np.flatnonzero(rows[:, 0] < 0)
        return rows[:end[0] if end.size else len(rows)], loc, conf, priors[0]

    return run


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two (N, 4) corner arrays, row by row."""
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return w * h / (area(a) + area(b) - w * h)


def test_raw_outputs_match_openvino(detector, photos, torch_raw, openvino_ssd):
    for name, img in photos.items():
        loc, conf = torch_raw[name]
        assert loc.shape == (1, 8160 * 4) and conf.shape == (1, 8160 * 2)
        _, ref_loc, ref_conf, _ = openvino_ssd(detector.preprocess(img))
        for ours, ref in ((loc, ref_loc), (conf, ref_conf)):
            assert np.abs(ours - ref).max() <= 1e-3 * np.abs(ref).max(), name
        assert ref_conf.max() > 0.5


def test_a_batch_gives_each_images_outputs(detector, photos, torch_raw):
    import torch

    from posekit.pretrained.weights import load_person_ssd

    names = list(photos)[:3]
    x = np.concatenate([detector.preprocess(photos[n]) for n in names])
    with torch.inference_mode():
        loc, conf = (o.numpy() for o in load_person_ssd()[0](torch.from_numpy(x)))
    for k, name in enumerate(names):
        for ours, ref in ((loc[k], torch_raw[name][0][0]), (conf[k], torch_raw[name][1][0])):
            assert np.abs(ours - ref).max() <= 1e-5 * np.abs(ref).max()


def test_priors_match_openvinos_prior_box_clustered(detector, photos, openvino_ssd):
    *_, priors = openvino_ssd(detector.preprocess(next(iter(photos.values()))))
    np.testing.assert_allclose(detector.priors.reshape(-1), priors[0], atol=1e-6)
    np.testing.assert_allclose(priors[1].reshape(-1, 4), np.tile([0.1, 0.1, 0.2, 0.2], (8160, 1)), rtol=1e-6)


def test_decoding_matches_openvinos_detection_output(detector, photos, openvino_ssd):
    """posekit's NumPy DetectionOutput on OpenVINO's own raw outputs gives OpenVINO's rows: every
    detection above the file's 0.01 confidence threshold, in the same order."""
    from posekit.topdown.person_ssd import detection_output

    for name, img in photos.items():
        rows, loc, conf, _ = openvino_ssd(detector.preprocess(img))
        boxes, scores, labels = detection_output(loc[0], conf[0], detector.priors, detector.config)
        assert len(scores) == len(rows) > 10, name
        assert (labels == rows[:, 1]).all()
        assert np.abs(scores - rows[:, 2]).max() <= 1e-5
        assert iou(boxes, rows[:, 3:]).min() >= 0.999, name


def test_detected_people_match_openvino(detector, photos, torch_raw, openvino_ssd):
    """The whole detector (resize, torch network, decoding, threshold 0.5) against OpenVINO's
    detection_out on the same photos: same people, IoU >= 0.99, scores within 1e-3."""
    several = 0
    for name, img in photos.items():
        boxes, scores = detector.decode(torch_raw[name], img.shape[:2])
        rows = openvino_ssd(detector.preprocess(img))[0]
        rows = rows[rows[:, 2] > 0.5]
        h, w = img.shape[:2]
        ref = np.clip(rows[:, 3:] * [w, h, w, h], 0, [w, h, w, h])
        ours = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1)
        assert len(boxes) == len(rows), name
        assert np.abs(scores - rows[:, 2]).max(initial=0) <= 1e-3
        assert iou(ours, ref).min(initial=1) >= 0.99, name
        assert (np.diff(scores) <= 0).all() and boxes.dtype == np.float32
        several += len(boxes) >= 2
    assert several >= 3


def test_onnxruntime_backend_equals_torch(detector, photos, torch_raw):
    from posekit.topdown.person_ssd import PersonSSD

    onnx = PersonSSD(backend="onnxruntime", threads=1)
    for name, img in list(photos.items())[-4:]:
        raw = onnx.raw(img)
        for ours, ref in zip(raw, torch_raw[name]):
            assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max(), name
        (b1, s1), (b2, s2) = onnx.decode(raw, img.shape[:2]), detector.decode(torch_raw[name], img.shape[:2])
        assert len(s1) == len(s2) and np.abs(s1 - s2).max(initial=0) <= 1e-4
        assert np.abs(b1 - b2).max(initial=0) <= 0.05, name


def test_threshold_and_max_people(detector, photos, torch_raw):
    from posekit.topdown.person_ssd import PersonSSD

    name = "000000162092.jpg"
    img, raw, hw = photos[name], torch_raw[name], photos[name].shape[:2]
    boxes, scores = PersonSSD(score_threshold=0.2, max_people=3).decode(raw, hw)
    all_boxes, all_scores = PersonSSD(score_threshold=0.2)(img)  # the whole call, once
    assert len(all_scores) > 3 and len(scores) == 3
    np.testing.assert_array_equal(scores, all_scores[:3])
    np.testing.assert_array_equal(boxes, all_boxes[:3])
    strict = detector.decode(raw, hw)[1]
    assert (strict > 0.5).all() and (all_scores > 0.2).all() and len(strict) < len(all_scores)
    h, w = img.shape[:2]
    assert (all_boxes[:, 0] >= 0).all() and (all_boxes[:, 0] + all_boxes[:, 2] <= w + 1e-3).all()
    assert (all_boxes[:, 1] >= 0).all() and (all_boxes[:, 1] + all_boxes[:, 3] <= h + 1e-3).all()


def test_bad_images_are_refused(detector):
    with pytest.raises(InputError, match="RGB uint8"):
        detector(np.zeros((32, 32), np.uint8))
    with pytest.raises(InputError, match="RGB uint8"):
        detector(np.zeros((32, 32, 3), np.float32))


def test_a_graph_that_does_not_fit_is_refused(tmp_path, pose_int8_path):
    from importlib import resources

    from posekit.pretrained.openvino_reader import read_ir
    from posekit.pretrained.person_ssd_mapping import load_from_ir
    from posekit.pretrained.person_ssd_net import PersonSSDNet
    from posekit.pretrained.weights import PERSON_SSD_XML

    graph = read_ir(str(resources.files("posekit.pretrained") / PERSON_SSD_XML))
    cases = [(PersonSSDNet(depths=(4, 9, 11, 13)),  # one block too many: the strided one is met too late
              r"layer \d+ 'bottleneck4_0/inner/dw1/conv'.*stages\.3\.1\.depthwise expects"),
             (PersonSSDNet(widths=(32, 64, 128, 320)), r"layer \d+ 'mbox_loc1/out/conv/WithoutBiases'.* loc_head"),
             (PersonSSDNet(priors=10), r"'mbox_loc1/out/conv/WithoutBiases' \(Convolution\): loc_head expects kernel"
                                       r" \[40, 256, 3, 3\]")]
    for net, message in cases:
        with pytest.raises(ModelError, match=message) as e:
            load_from_ir(net, graph)
        assert "\n" not in str(e.value) and graph.source in str(e.value)
    with pytest.raises(ModelError, match="no DetectionOutput layer"):
        load_from_ir(PersonSSDNet(), read_ir(pose_int8_path))


@pytest.fixture
def pose_int8_path():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = root / "posekit" / "pretrained" / "data" / "human-pose-estimation-0001" / "human-pose-estimation-0001.xml"
    if not path.is_file():
        pytest.fail(f"the int8 pose model is missing: {path} (shipped in posekit/pretrained/data)")
    return path
