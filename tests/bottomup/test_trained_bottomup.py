"""Every trainable bottom-up family end to end: a checkpoint of its CPU-sized preset through
``posekit infer --model RUN_DIR`` and through ONNX export (dynamic height and width) decoded by the
same NumPy decoder.

A network that finds no one proves nothing about the path, and a trained one costs minutes, so each
preset first memorises one synthetic scene (Adam on that image alone, a few seconds): the photo's
people are then known, and the path is checked against them (pycocotools' AP on that image) and
against the dataset-level prediction of :func:`posekit.bottomup.inference.predict_images`.
"""
import json

import cv2
import numpy as np
import pytest
import torch

from posekit.bottomup.dataset import BottomUpDataset
from posekit.bottomup.inference import coco_records, predict_images
from posekit.cli import main
from posekit.engine.checkpoint import save_best
from posekit.zoo import PRESETS, build_model, load_model
from posekit.zoo.learning_paf import synthetic_scenes

from coco_ap import pycocotools_ap  # tests/reference (on sys.path: tests/conftest.py)

# every CPU-sized preset of the bottom-up families
CPU_PRESETS = sorted(n for n, p in PRESETS.items() if p.family == "bottom-up" and max(p.input_size) <= 256)
SCENE = {"min_people": 2, "max_people": 3, "min_height": 70.0, "max_height": 110.0, "occluder_prob": 0.0,
         "crowd_prob": 0.0}


def _memorise(preset: str, instances, gt: dict, max_steps: int = 600):
    """``preset`` fitted to the one scene of ``instances`` until its people score AP 0.9 there."""
    from posekit.evaluation import evaluate_coco

    torch.manual_seed(0)
    model = build_model(preset)
    data = BottomUpDataset(instances, model.codec, model.skeleton)
    item = data[0]
    batch = {k: torch.from_numpy(np.asarray(v)[None]) for k, v in item.items()
             if isinstance(v, np.ndarray) and k != "matrix"}
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for step in range(max_steps):
        model.train()
        loss = model.loss(model(batch["image"]), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 20 == 19 and evaluate_coco(gt, coco_records(instances, predict_images(model, instances))
                                             ).summary()["AP"] >= 0.9:
            break
    return model.eval()


@pytest.fixture(scope="module", params=CPU_PRESETS)
def memorised(request, tmp_path_factory):
    torch.set_num_threads(1)
    instances, gt = synthetic_scenes(1, PRESETS[request.param].input_size, 13, **SCENE)
    model = _memorise(request.param, instances, gt)
    run = tmp_path_factory.mktemp(request.param)
    save_best(run, model, {"score": None, "step": 0})
    image = run / "scene.png"
    cv2.imwrite(str(image), cv2.cvtColor(instances[0].image, cv2.COLOR_RGB2BGR))
    gt = {**gt, "images": [{**gt["images"][0], "file_name": image.name}]}
    return request.param, model, run, image, instances, gt


def test_infer_on_a_run_directory_finds_the_people_of_the_image(memorised, tmp_path):
    preset, model, run, image, instances, gt = memorised
    assert main(["infer", str(image), "--model", str(run), "--out", str(tmp_path / "out")]) == 0
    records = json.loads((tmp_path / "out" / "results.json").read_text())
    for r in records:
        r["image_id"] = 1
    assert len(records) >= len(instances[0].keypoints), preset
    assert pycocotools_ap(gt, records) >= 0.8, preset  # memorised to AP 0.9 by posekit's own evaluation
    # the same people as the evaluation path (dataset input, batch prediction, affine back)
    expected = coco_records(instances, predict_images(load_model(run), instances))
    ours = sorted(records, key=lambda r: -r["score"])
    theirs = sorted(expected, key=lambda r: -r["score"])
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        found = np.asarray(b["keypoints"]).reshape(-1, 3)[:, 2] > 0
        np.testing.assert_allclose(np.asarray(a["keypoints"]).reshape(-1, 3)[found, :2],
                                   np.asarray(b["keypoints"]).reshape(-1, 3)[found, :2], atol=1e-3)


def test_onnx_export_at_other_sizes_decodes_like_torch(memorised, tmp_path):
    from posekit.compress.export import export_onnx, onnx_outputs

    preset, model, run, image, instances, gt = memorised
    path = export_onnx(model, tmp_path / "model.onnx", dynamic_size=True)
    w, h = model.input_size
    for size in ((w, h), (w + 64, h + 32)):
        rgb = cv2.resize(instances[0].image, size, interpolation=cv2.INTER_LINEAR)
        x = rgb.astype(np.float32).transpose(2, 0, 1)[None].copy()
        with torch.no_grad():
            ref = [f.numpy() for f in model.fields(model(torch.from_numpy(x)))]
        got = onnx_outputs(path, x)
        assert len(got) == len(ref)
        for r, g in zip(ref, got):
            assert r.shape == g.shape and np.abs(r - g).max() <= 1e-4 * max(np.abs(r).max(), 1.0), preset
        ref_people = model.codec.decode_image(tuple(torch.from_numpy(r[0]) for r in ref))
        ort_people = model.codec.decode_image(tuple(torch.from_numpy(g[0]) for g in got))
        assert len(ort_people[0]) == len(ref_people[0]), (preset, size)
        # at the training size the memorised people are there (at another size a stretched scene may hold none)
        assert size != (w, h) or len(ref_people[0]) > 0, preset
        np.testing.assert_allclose(ort_people[0], ref_people[0], atol=1e-3)
        np.testing.assert_allclose(ort_people[1], ref_people[1], atol=1e-4)


def test_flags_that_do_not_apply_to_a_bottom_up_run_are_refused_in_one_line(memorised, tmp_path, capsys):
    preset, model, run, image, instances, gt = memorised
    code = main(["infer", str(image), "--model", str(run), "--detector", "ssd", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "bottom-up" in err and "--detector" in err
