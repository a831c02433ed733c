"""SPM models (posekit.zoo.centre_regression.spm): the bottom-up contract, the loss against its formula,
ONNX export, and a checkpoint from a few training steps rebuilt by posekit.zoo.load_model."""
import numpy as np
import pytest
import torch

from posekit.bottomup.spm import spm_loss
from posekit.zoo import PRESETS, build_model, load_model
from posekit.zoo.centre_regression import SPM_CPU_PRESET
from posekit.zoo.learning_paf import learn_paf, synthetic_scenes


def test_contract_shapes_and_decoding():
    torch.manual_seed(0)
    model = build_model(SPM_CPU_PRESET).eval()
    assert PRESETS[SPM_CPU_PRESET].family == "bottom-up"
    images = torch.rand(2, 3, 160, 160) * 255
    root, disp = model.fields(model(images))
    assert root.shape == (2, 1, 40, 40) and disp.shape == (2, 34, 40, 40)
    for kp, ks, ps in model.predict_inputs(images):
        assert kp.shape[1:] == (17, 2) and ks.shape == kp.shape[:2] and ps.shape == kp.shape[:1]


def test_loss_is_squared_root_error_plus_smooth_l1_displacements():
    rng = np.random.default_rng(0)
    n, k, h, w = 2, 3, 4, 5
    batch = {"root": rng.random((n, 1, h, w)), "root_weights": rng.random((n, 1, h, w)),
             "displacements": rng.normal(0, 2, (n, 2 * k, h, w)),
             "displacement_weights": rng.choice([0.0, 1.0], (n, 2 * k, h, w), p=[0.6, 0.4])}
    root, disp = rng.random((n, 1, h, w)), rng.normal(0, 2, (n, 2 * k, h, w))
    got = spm_loss(torch.from_numpy(root), torch.from_numpy(disp), {a: torch.from_numpy(b) for a, b in batch.items()})
    d = np.abs(disp - batch["displacements"])
    sl1 = np.where(d < 1 / 9, 4.5 * d * d, d - 1 / 18)
    want = np.mean((root - batch["root"]) ** 2 * batch["root_weights"]) + 0.03 * (
        (sl1 * batch["displacement_weights"]).sum() / (batch["displacement_weights"] > 0).sum())
    assert float(got) == pytest.approx(want, rel=1e-6)


def test_onnx_export_matches_torch(tmp_path):
    from posekit.compress.export import compare_outputs, export_onnx

    model = build_model(SPM_CPU_PRESET).eval()
    path = export_onnx(model, tmp_path / "spm.onnx", dynamic_size=True)
    images = (np.random.default_rng(0).random((1, 3, 192, 160)) * 255).astype(np.float32)
    assert compare_outputs(model, path, images) < 1e-4


def test_a_few_training_steps_leave_a_checkpoint_that_load_model_rebuilds(tmp_path):
    torch.set_num_threads(1)
    train, _ = synthetic_scenes(8, (160, 160), 1000)
    held_out, gt = synthetic_scenes(2, (160, 160), 7)
    row = learn_paf(SPM_CPU_PRESET, 3, train, held_out, gt, seed=0, out=str(tmp_path))
    assert row["steps"] == 3
    model = load_model(tmp_path)
    assert type(model).__name__ == "SPMModel" and model.spec == build_model(SPM_CPU_PRESET).spec
    assert len(model.predict_inputs(torch.rand(1, 3, 160, 160) * 255)) == 1
