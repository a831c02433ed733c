"""DEKR models (posekit.zoo.centre_regression.dekr): paper-size parameter counts against the DEKR paper,
the bottom-up model contract, DEKR's loss against its formula, ONNX export under onnxruntime, and a
checkpoint written by a few training steps rebuilt by posekit.zoo.load_model."""
import numpy as np
import pytest
import torch

from posekit.bottomup.dekr import dekr_loss
from posekit.models.complexity import count_parameters
from posekit.zoo import PRESETS, build_model, load_model
from posekit.zoo.centre_regression import DEKR_CPU_PRESET
from posekit.zoo.learning_paf import learn_paf, synthetic_scenes


@pytest.mark.parametrize("name, paper_m", [("dekr-w32-512", 29.6), ("dekr-w48-640", 65.7)])
def test_paper_sizes_match_the_papers_parameter_counts(name, paper_m):
    model = build_model(name)
    assert PRESETS[name].published["params_m"] == paper_m
    measured = count_parameters(model.network) / 1e6       # measured: 29.561 M and 65.685 M
    assert abs(measured - paper_m) <= 0.03 * paper_m, measured
    assert PRESETS[name].family == "bottom-up"


def test_contract_shapes_and_decoding():
    torch.manual_seed(0)
    model = build_model(DEKR_CPU_PRESET).eval()
    images = torch.rand(2, 3, 160, 160) * 255
    heat, off = model.fields(model(images))
    assert heat.shape == (2, 18, 40, 40) and off.shape == (2, 34, 40, 40)
    people = model.predict_inputs(images)
    assert len(people) == 2
    for kp, ks, ps in people:
        assert kp.shape[1:] == (17, 2) and ks.shape == kp.shape[:2] and ps.shape == kp.shape[:1]


def test_loss_is_dekrs_formula():
    rng = np.random.default_rng(0)
    n, k, h, w = 2, 3, 5, 6
    batch = {"heatmaps": rng.random((n, k + 1, h, w)), "heatmap_weights": rng.choice([0.1, 1.0], (n, k + 1, h, w)),
             "offsets": rng.normal(0, 2, (n, 2 * k, h, w)),
             "offset_weights": rng.choice([0.0, 0.05], (n, 2 * k, h, w), p=[0.7, 0.3])}
    pred_h, pred_o = rng.random((n, k + 1, h, w)), rng.normal(0, 2, (n, 2 * k, h, w))
    tensors = {a: torch.from_numpy(b) for a, b in batch.items()}
    got = dekr_loss(torch.from_numpy(pred_h), torch.from_numpy(pred_o), tensors)
    heat = np.mean((pred_h - batch["heatmaps"]) ** 2 * batch["heatmap_weights"])
    d = np.abs(pred_o - batch["offsets"]).ravel()
    beta = 1 / 9
    sl1 = np.array([0.5 * x * x / beta if x < beta else x - 0.5 * beta for x in d]).reshape(d.shape)
    off = (sl1 * batch["offset_weights"].ravel()).sum() / (batch["offset_weights"] > 0).sum()
    assert float(got) == pytest.approx(heat + 0.03 * off, rel=1e-6)   # the loss runs in float32


def test_onnx_export_matches_torch_and_decodes_the_same_people(tmp_path):
    from posekit.compress.export import compare_outputs, export_onnx, onnx_outputs

    torch.manual_seed(0)
    model = build_model(DEKR_CPU_PRESET).eval()
    images = (np.random.default_rng(0).random((1, 3, 160, 160)) * 255).astype(np.float32)
    path = export_onnx(model, tmp_path / "dekr.onnx", dynamic_size=True)
    assert compare_outputs(model, path, images) < 1e-4
    heat, off = onnx_outputs(path, images)
    kp, ks, ps = model.codec.decode_image((heat, off))
    ref_kp, ref_ks, ref_ps = model.predict_inputs(torch.from_numpy(images))[0]
    assert len(kp) == len(ref_kp)
    np.testing.assert_allclose(kp, ref_kp, atol=1e-2)
    other = (np.random.default_rng(1).random((1, 3, 224, 192)) * 255).astype(np.float32)   # free height and width
    assert compare_outputs(model, path, other) < 1e-4


def test_a_few_training_steps_leave_a_checkpoint_that_load_model_rebuilds(tmp_path):
    torch.set_num_threads(1)
    train, _ = synthetic_scenes(8, (160, 160), 1000)
    held_out, gt = synthetic_scenes(2, (160, 160), 7)
    row = learn_paf(DEKR_CPU_PRESET, 3, train, held_out, gt, seed=0, out=str(tmp_path))
    assert row["steps"] == 3
    model = load_model(tmp_path)
    assert type(model).__name__ == "DEKRModel" and model.spec == build_model(DEKR_CPU_PRESET).spec
    images = torch.rand(1, 3, 160, 160) * 255
    assert len(model.predict_inputs(images)) == 1


@pytest.mark.parametrize("preset, builder", [(DEKR_CPU_PRESET, "dekr"), ("spm-small-160x160", "spm")])
def test_posekit_train_drives_the_centre_presets(tmp_path, capsys, preset, builder):
    from posekit.cli import main

    data = tmp_path / "synth"
    assert main(["synth", "--out", str(data), "--num-images", "4", "--size", "64x64", "--min-people", "2",
                 "--max-people", "3", "--min-height", "30", "--quiet"]) == 0
    ann, images = str(data / "annotations.json"), str(data / "images")
    out = tmp_path / "run"
    assert main(["train", "--model", preset, "--train", ann, "--train-images", images, "--val", ann,
                 "--val-images", images, "--epochs", "1", "--batch-size", "2", "--workers", "0",
                 "--warmup-steps", "0", "--out", str(out)]) == 0
    assert "trained 2 of 2 steps (1 epoch)" in capsys.readouterr().out
    model = load_model(out)
    assert model.spec["builder"] == builder and model.codec.input_size == (160, 160)
