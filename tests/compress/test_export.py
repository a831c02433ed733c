"""ONNX export: onnxruntime's outputs equal torch's (within 1e-4 relative) for every model builder,
the file carries the spec to decode with, and the CLI's errors are one line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from posekit.codecs.contract import is_image_codec
from posekit.compress.export import compare_outputs, export_onnx, onnx_outputs
from posekit.errors import ModelError
from posekit.zoo import PRESETS, build_model
from tests.conftest import run_cli


def smallest_preset_per_builder() -> list[str]:
    """For each model builder, its cheapest preset (the default suite covers every architecture)."""
    from posekit.models.complexity import measure_builder

    best: dict[str, tuple[int, str]] = {}
    for name, p in PRESETS.items():
        builder = getattr(p.build, "func", p.build).__name__
        cost = measure_builder(p.build, p.input_size)[1]
        if builder not in best or cost < best[builder][0]:
            best[builder] = (cost, name)
    return sorted(name for _, name in best.values())


def _images(model, n=2, seed=0):
    w, h = model.input_size
    return np.random.default_rng(seed).standard_normal((n, 3, h, w)).astype(np.float32)


def _check(name, tmp_path):
    torch.manual_seed(0)
    model = build_model(name).eval()
    path = export_onnx(model, tmp_path / f"{name}.onnx")
    images = _images(model)
    assert compare_outputs(model, path, images) <= 1e-4
    return model, path, images


@pytest.mark.parametrize("name", smallest_preset_per_builder())
def test_every_builder_exports_and_matches_torch(name, tmp_path):
    model, path, images = _check(name, tmp_path)
    # what a deployment does with the file: decode its outputs with the codec the metadata names
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    assert json.loads(meta["posekit.spec"]) == json.loads(json.dumps(model.spec))
    assert json.loads(meta["posekit.input_size"]) == list(model.input_size)
    out = onnx_outputs(path, images)
    if is_image_codec(model.codec):  # bottom-up: the last stage's (heatmaps, pafs), grouped per image
        found = [model.codec.decode_image((out[-2][i], out[-1][i])) for i in range(len(images))]
        for (kp_onnx, _, _), (kp_torch, _, _) in zip(found, model.predict_inputs(torch.from_numpy(images))):
            assert kp_onnx.shape == kp_torch.shape and np.abs(kp_onnx - kp_torch).max(initial=0) <= 0.5
        return
    kp_onnx, _ = model.codec.decode(out[0] if len(out) == 1 else tuple(out))
    kp_torch, _ = model.predict_crops(torch.from_numpy(images))
    assert np.abs(kp_onnx - kp_torch).max() <= 0.5  # same crop pixel, up to arg-max ties


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_exports_and_matches_torch(name, tmp_path):
    _check(name, tmp_path)


def test_export_cli_checkpoint_and_errors(tmp_path):
    from posekit.engine.checkpoint import save_weights

    model = build_model("simplebaseline-r18-128x96")
    ckpt = tmp_path / "best.safetensors"
    save_weights(model, ckpt)
    out = tmp_path / "m.onnx"
    proc = run_cli("export", tmp_path, "--out", out, check=True)
    assert "max relative difference" in proc.stdout and out.is_file()
    bad = run_cli("export", "no-such-model", "--out", tmp_path / "x.onnx")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "no-such-model" in bad.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_dynamic_size_export_runs_at_two_sizes_and_equals_torch(tmp_path):
    torch.manual_seed(0)
    model = build_model("simplebaseline-r18-128x96").eval()
    path = export_onnx(model, tmp_path / "dyn.onnx", dynamic_size=True)
    assert not model.training  # the export leaves the model as it found it (it used to switch it to training)
    for h, w in ((128, 96), (192, 160)):
        images = np.random.default_rng(h).standard_normal((2, 3, h, w)).astype(np.float32)
        (out,) = onnx_outputs(path, images)
        assert out.shape == (2, 17, h // 4, w // 4)
        with torch.no_grad():
            ref = model(torch.from_numpy(images)).numpy()
        assert np.abs(out - ref).max() <= 1e-4 * np.abs(ref).max()
        assert compare_outputs(model, path, images) <= 1e-4
    # without the option the size is fixed: onnxruntime refuses the other size
    fixed = export_onnx(model, tmp_path / "fixed.onnx")
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        onnx_outputs(fixed, np.zeros((1, 3, 192, 160), np.float32))


class _TwoOutputs(torch.nn.Module):
    """A model whose deployed graph has two outputs: the heatmaps and their negation."""

    def __init__(self, model):
        super().__init__()
        self.model, self.input_size, self.spec = model, model.input_size, {}

    def forward(self, x):
        y = self.model(x)
        return y, -y


def test_compare_outputs_refuses_a_different_number_of_outputs(tmp_path):
    torch.manual_seed(0)
    model = build_model("simplebaseline-r18-128x96").eval()
    one = export_onnx(model, tmp_path / "one.onnx")
    images = _images(model, n=1)
    assert compare_outputs(model, one, images) <= 1e-4
    with pytest.raises(ModelError, match="1 outputs under onnxruntime, but the torch model has 2"):
        compare_outputs(_TwoOutputs(model), one, images)
    two = export_onnx(_TwoOutputs(model), tmp_path / "two.onnx")
    with pytest.raises(ModelError, match="2 outputs under onnxruntime, but the torch model has 1"):
        compare_outputs(model, two, images)
