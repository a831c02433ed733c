"""Fast Pose Distillation (posekit.compress.distill): the loss against its formula, the teacher's
heatmaps on the student's grid, a frozen teacher under the unchanged engine, and the CLI.

Short and deterministic (tiny 32x64 crops, fixed seeds, one torch thread). The learning proof
(distilled student vs the same student alone, three seeds) is the slow test at the end, whose
bar comes from bench/results/distill_synthetic.json (bench/distill_synthetic.py).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from posekit import cli
from posekit.codecs import MSRAHeatmap, UDPHeatmap
from posekit.compress.distill import FPD_ALPHA, FPDDistillation, fpd_loss, heatmaps_on_grid
from posekit.errors import ModelError
from posekit.zoo import build_model

ROOT = Path(__file__).resolve().parents[2]
SIZE = (32, 64)  # (W, H)
TEACHER = ("hourglass-2stack-128x96", {"input_size": SIZE, "channels": 32})
STUDENT = ("hourglass-2stack-128x96", {"input_size": SIZE, "stacks": 1, "channels": 16})


def _pair(alpha=FPD_ALPHA, seed=0):
    torch.manual_seed(seed)
    teacher = build_model(TEACHER[0], **TEACHER[1])
    student = build_model(STUDENT[0], **STUDENT[1])
    return FPDDistillation(student, teacher, alpha), student, teacher


def _half_mse(a, b, w=None):
    """0.5 * mean((w * (a - b))**2), the weighted halved MSE, through torch.nn.functional."""
    if w is not None:
        a, b = a * w[..., None, None], b * w[..., None, None]
    return 0.5 * torch.nn.functional.mse_loss(a, b)


def test_fpd_loss_is_the_formula_on_small_tensors():
    g = torch.Generator().manual_seed(0)
    stages = [torch.rand(2, 3, 4, 5, generator=g) for _ in range(2)]
    teacher, gt = torch.rand(2, 3, 4, 5, generator=g), torch.rand(2, 3, 4, 5, generator=g)
    weight = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    gt_loss = sum(_half_mse(s, gt, weight) for s in stages)
    for alpha in (0.0, 0.5, 0.8):
        expect = (1 - alpha) * gt_loss + alpha * sum(_half_mse(s, teacher) for s in stages)
        got = fpd_loss(stages, teacher, gt_loss, alpha)
        assert torch.allclose(got, expect, rtol=1e-6), (alpha, got, expect)
    # one stage as a plain tensor; by hand: 0.5 * mean of squares over every element
    a, t = torch.tensor([[[[1.0, 2.0]]]]), torch.tensor([[[[0.0, 4.0]]]])
    assert float(fpd_loss(a, t, torch.tensor(2.0), 0.5)) == pytest.approx(0.5 * 2.0 + 0.5 * 0.5 * (1 + 4) / 2)


def test_wrapper_loss_is_student_loss_plus_teacher_term_on_every_stage():
    torch.manual_seed(0)
    teacher = build_model(TEACHER[0], **TEACHER[1])
    student = build_model(STUDENT[0], input_size=SIZE, stacks=2, channels=16)  # two stages, both supervised
    model = FPDDistillation(student, teacher, 0.5)
    torch.manual_seed(1)
    images = torch.randn(2, 3, SIZE[1], SIZE[0])
    w, h = student.codec.heatmap_size
    batch = {"image": images, "target": torch.rand(2, 17, h, w), "target_weight": torch.ones(2, 17)}
    batch["target_weight"][0, :5] = 0
    model.train()
    out = model(images)
    with torch.no_grad():
        t_last = teacher(images)[-1]  # the teacher's last stack; the same grid as the student's here
    assert torch.equal(out.teacher, t_last)
    s_stages = out.student
    assert isinstance(s_stages, list) and len(s_stages) == 2
    gt = sum(_half_mse(s, batch["target"], batch["target_weight"]) for s in s_stages)
    kd = sum(_half_mse(s, t_last) for s in s_stages)
    assert torch.allclose(model.loss(out, batch), 0.5 * gt + 0.5 * kd, rtol=1e-5)
    model.eval()  # eval: the student's output alone
    assert torch.equal(final(model(images)), final(student(images)))


def final(o):
    return o[-1] if isinstance(o, list) else o


@pytest.mark.parametrize("codec", [MSRAHeatmap, UDPHeatmap])
def test_teacher_heatmaps_are_resampled_by_the_codecs_pixel_mapping(codec):
    """A map whose value is the crop x (or y) coordinate of each pixel: bilinear sampling is exact on
    it, so on the student's grid it must read the student's own pixel coordinates."""
    t_codec = codec(input_size=(96, 128), heatmap_size=(12, 16))   # stride 8 (a CPM teacher)
    s_codec = codec(input_size=(96, 128), heatmap_size=(24, 32))   # stride 4
    ty, tx = np.mgrid[0:16, 0:12]
    crop = t_codec.from_heatmap(np.stack([tx, ty], -1).astype(np.float64))
    maps = torch.from_numpy(np.stack([crop[..., 0], crop[..., 1]])[None]).float()
    out = heatmaps_on_grid(maps, t_codec, s_codec)
    sy, sx = np.mgrid[0:32, 0:24]
    want = s_codec.from_heatmap(np.stack([sx, sy], -1).astype(np.float64))
    inside = (want[..., 0] <= crop[..., 0].max()) & (want[..., 1] <= crop[..., 1].max())
    for d in (0, 1):
        np.testing.assert_allclose(out[0, d].numpy()[inside], want[..., d][inside], atol=1e-4)
    same = heatmaps_on_grid(maps, t_codec, t_codec)
    assert same is maps


def test_mismatched_teacher_is_refused():
    teacher = build_model(TEACHER[0], input_size=(64, 64), channels=16)
    with pytest.raises(ModelError, match="same crop"):
        FPDDistillation(build_model(STUDENT[0], **STUDENT[1]), teacher)
    regression = build_model("deeppose-r18-128x96", input_size=SIZE)
    with pytest.raises(ModelError, match="heatmaps"):
        FPDDistillation(regression, build_model(TEACHER[0], **TEACHER[1]))


def _train(model, steps, out, seed=0):
    from posekit.engine.config import TrainConfig
    from posekit.engine.trainer import Trainer
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo.learning_proof import SYNTHETIC_AUGMENT, synthetic_instances

    train = synthetic_instances(steps * 8, SIZE, seed=1)
    data = TopDownDataset(train, model.codec, model.skeleton, SYNTHETIC_AUGMENT, seed=seed)
    cfg = TrainConfig(out=str(out), epochs=1, max_steps=steps, batch_size=8, lr=3e-3, schedule="cosine",
                      warmup_steps=2, amp="off", workers=0, augment=SYNTHETIC_AUGMENT, log_every=1, seed=seed)
    return Trainer(model, data, cfg, None, "PCK@0.1").fit()


def test_only_the_student_learns_under_the_unchanged_trainer(tmp_path):
    model, student, teacher = _pair()
    before_t = {k: v.clone() for k, v in teacher.state_dict().items()}
    before_s = {k: v.clone() for k, v in student.state_dict().items()}
    assert set(model.state_dict()) == set(student.state_dict())      # checkpoints hold the student alone
    assert {id(p) for p in model.parameters()} == {id(p) for p in student.parameters()}
    _train(model, 6, tmp_path / "run")
    assert all(p.grad is None and not p.requires_grad for p in teacher.parameters())
    assert not teacher.training  # eval mode for good, though the Trainer put the model in train mode
    assert all(torch.equal(v, before_t[k]) for k, v in teacher.state_dict().items())  # BN statistics too
    moved = [k for k, v in student.state_dict().items() if v.is_floating_point() and not torch.equal(v, before_s[k])]
    assert len(moved) > len(before_s) // 2
    assert any(p.grad is not None for p in student.parameters())
    from posekit.zoo import load_model

    loaded = load_model(tmp_path / "run")  # best.safetensors: a plain student, rebuilt from its spec
    assert loaded.spec == student.spec
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, student.state_dict()[k].cpu()), k


def test_distillation_loss_falls_in_twenty_steps(tmp_path):
    """Measured (1 thread, fp32): first five steps' mean 0.01294, last five 0.01199 (ratio 0.926)."""
    model, _, _ = _pair()
    _train(model, 20, tmp_path / "run")
    rows = (tmp_path / "run" / "steps.csv").read_text().splitlines()[1:]
    losses = np.array([float(r.split(",")[2]) for r in rows])
    assert len(losses) == 20
    assert losses[-5:].mean() < 0.95 * losses[:5].mean(), losses


def test_cli_missing_teacher_is_one_line(tmp_path, capsys):
    code = cli.main(["distill", "--teacher", str(tmp_path / "no-run"), "--student", "hourglass-2stack-128x96",
                     "--train", str(tmp_path / "t.json"), "--train-images", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("posekit distill: error: ") and "no-run" in lines[0], err


def test_cli_refuses_a_bottom_up_student(tmp_path, capsys):
    code = cli.main(["distill", "--teacher", str(tmp_path), "--student", "dekr-small-160x160"])
    _, err = capsys.readouterr()
    assert code == 2 and "top-down" in err, err


@pytest.mark.parametrize("method", ["fpd", "dwpose"])
def test_cli_distills_a_trained_teacher_into_a_student(method, tmp_path, capsys):
    """posekit train a teacher (2 steps), then posekit distill a slimmer student under it (2 steps): the
    run's best.safetensors is the student preset alone, as posekit train would write it."""
    from posekit.engine.checkpoint import weights_info
    from posekit.zoo import load_model

    data = tmp_path / "synth"
    assert cli.main(["synth", "--out", str(data), "--num-images", "8", "--crops", "--size", "96x128", "--seed", "0",
                     "--quiet"]) == 0
    common = ["--train", str(data / "annotations.json"), "--train-images", str(data / "images"), "--batch-size", "4",
              "--max-steps", "2", "--epochs", "1", "--workers", "0", "--amp", "off", "--augment-flip-prob", "0"]
    assert cli.main(["train", "--model", "hourglass-2stack-128x96", "--out", str(tmp_path / "teacher"), *common]) == 0
    assert cli.main(["distill", "--teacher", str(tmp_path / "teacher"), "--student", "cpm-128x96", "--method", method,
                     "--out", str(tmp_path / "student"), *common]) == 0
    out = capsys.readouterr().out
    assert "distilled 2 of 2 steps" in out, out
    student = load_model(tmp_path / "student")
    assert student.spec["builder"] == "cpm" and weights_info(tmp_path / "student" / "best.safetensors")["spec"] == \
        build_model("cpm-128x96").spec


def test_cli_dwpose_needs_max_steps(tmp_path, capsys):
    from posekit.engine.checkpoint import save_weights

    save_weights(build_model(TEACHER[0], **TEACHER[1]), tmp_path / "t.safetensors")
    code = cli.main(["distill", "--teacher", str(tmp_path / "t.safetensors"), "--student", "cpm-128x96",
                     "--method", "dwpose", "--train", str(tmp_path / "t.json"), "--train-images", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2 and "max_steps" in err and len(err.strip().splitlines()) == 1, err
