"""Cross-representation distillation (posekit.compress.cross_distill): a heatmap teacher's maps as
SimCC labels land on the keypoint that drew them, the loss is FPD's mix of the student's own KL
to ground-truth and teacher labels (computed independently in NumPy), and only the student learns."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posekit.codecs import MSRAHeatmap, SimCCLabel, UDPHeatmap
from posekit.compress.cross_distill import SimCCFromHeatmaps, heatmaps_to_simcc_labels
from posekit.errors import ModelError
from posekit.zoo import build_model

SIZE = (32, 64)


@pytest.mark.parametrize("codec", [MSRAHeatmap, UDPHeatmap])
def test_heatmap_labels_centre_on_the_keypoint(codec):
    hm = codec(input_size=(96, 128), heatmap_size=(24, 32), sigma=2.0, unbiased=True)  # sub-pixel centres
    simcc = SimCCLabel(input_size=(96, 128), split_ratio=2.0)
    kp = np.array([[[40.3, 61.7], [20.0, 90.2], [70.6, 30.1]]])
    maps, _ = hm.encode(kp, np.ones((1, 3)))
    labels = heatmaps_to_simcc_labels(torch.from_numpy(maps), hm, simcc).numpy()
    nx, ny = simcc.bins
    assert labels.shape == (1, 3, nx + ny)
    for d, part in ((0, labels[..., :nx]), (1, labels[..., nx:])):
        q = part / part.sum(-1, keepdims=True)
        mean_bin = (q * np.arange(part.shape[-1])).sum(-1)
        b = np.zeros(mean_bin.shape + (2,))
        b[..., d] = mean_bin
        np.testing.assert_allclose(simcc.from_bins(b)[..., d], kp[..., d], atol=0.15)


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _kl(logits, label, weight):
    """KLDiscreteLoss by hand: per axis mean over (N, K) of w * KL(label / sum || softmax(logits))."""
    q = label / np.maximum(label.sum(-1, keepdims=True), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = np.where(q > 0, q * np.log(q), 0.0)
    return ((ent - q * _log_softmax(logits)).sum(-1) * weight).mean()


def test_loss_mixes_ground_truth_and_teacher_labels():
    torch.manual_seed(0)
    teacher = build_model("hourglass-2stack-128x96", input_size=SIZE, channels=32)
    student = build_model("simcc-r18-128x96", input_size=SIZE)
    model = SimCCFromHeatmaps(student, teacher, alpha=0.5)
    images = torch.randn(2, 3, SIZE[1], SIZE[0])
    nx, ny = student.codec.bins
    target = torch.rand(2, 17, nx + ny)
    weight = torch.ones(2, 17)
    weight[1, 3:] = 0
    model.train()
    out = model(images)
    with torch.no_grad():
        labels = heatmaps_to_simcc_labels(teacher(images)[-1], teacher.codec, student.codec).numpy()
    lx, ly = (o.detach().numpy() for o in out.student)
    t, w = target.numpy(), weight.numpy()
    gt = _kl(lx, t[..., :nx], w) + _kl(ly, t[..., nx:], w)
    kd = _kl(lx, labels[..., :nx], 1.0) + _kl(ly, labels[..., nx:], 1.0)
    got = model.loss(out, {"target": target, "target_weight": weight})
    assert float(got.detach()) == pytest.approx(0.5 * gt + 0.5 * kd, rel=1e-4)


def test_only_the_simcc_student_learns(tmp_path):
    from posekit.engine.config import TrainConfig
    from posekit.engine.trainer import Trainer
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo.learning_proof import SYNTHETIC_AUGMENT, synthetic_instances

    torch.manual_seed(0)
    teacher = build_model("hourglass-2stack-128x96", input_size=SIZE, channels=32)
    student = build_model("simcc-r18-128x96", input_size=SIZE)
    model = SimCCFromHeatmaps(student, teacher)
    before_t = {k: v.clone() for k, v in teacher.state_dict().items()}
    before_s = {k: v.clone() for k, v in student.state_dict().items()}
    data = TopDownDataset(synthetic_instances(24, SIZE, seed=1), model.codec, model.skeleton, SYNTHETIC_AUGMENT)
    cfg = TrainConfig(out=str(tmp_path / "run"), epochs=1, max_steps=3, batch_size=8, lr=1e-3, amp="off",
                      workers=0, augment=SYNTHETIC_AUGMENT, warmup_steps=0, log_every=1, seed=0)
    Trainer(model, data, cfg, None, "PCK@0.1").fit()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(torch.equal(v, before_t[k]) for k, v in teacher.state_dict().items())
    assert any(not torch.equal(v, before_s[k]) for k, v in student.state_dict().items() if v.is_floating_point())


def test_a_heatmap_student_is_refused():
    teacher = build_model("hourglass-2stack-128x96", input_size=SIZE, channels=16)
    with pytest.raises(ModelError, match="SimCC"):
        SimCCFromHeatmaps(build_model("hourglass-2stack-128x96", input_size=SIZE, channels=16), teacher)
