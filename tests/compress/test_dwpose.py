"""DWPose-style distillation (posekit.compress.dwpose): the feature and logit losses against
their formulas computed independently (NumPy), the linear weight decay, and a frozen teacher
under the unchanged Trainer. Tiny crops (32x64), fixed seeds, one torch thread."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posekit.compress.dwpose import (ALPHA_FEA, BETA, WEIGHT_LOGIT, DWPoseDistillation, feature_loss,
                                     heatmap_kd_loss, linear_decay)
from posekit.zoo import build_model

SIZE = (32, 64)


def test_stated_weights_are_dwposes():
    assert (ALPHA_FEA, WEIGHT_LOGIT, BETA) == (7e-5, 0.1, 10.0)


def test_feature_loss_is_the_formula():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(2, 4, 3, 3, generator=g), torch.randn(2, 6, 3, 3, generator=g)
    align = torch.nn.Conv2d(4, 6, 1)
    w, b = align.weight.detach().numpy()[:, :, 0, 0], align.bias.detach().numpy()
    projected = np.einsum("oc,nchw->nohw", w, s.numpy()) + b[None, :, None, None]
    expect = 0.3 * ((projected - t.numpy()) ** 2).sum() / 2
    assert float(feature_loss(s, t, align, 0.3).detach()) == pytest.approx(expect, rel=1e-5)


def test_heatmap_kd_loss_is_the_kl_formula():
    g = torch.Generator().manual_seed(1)
    s, t = torch.rand(2, 3, 4, 5, generator=g), torch.rand(2, 3, 4, 5, generator=g)

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    p = softmax(BETA * t.numpy().reshape(2, 3, -1))
    q = softmax(BETA * s.numpy().reshape(2, 3, -1))
    kl = (p * (np.log(p) - np.log(q))).sum(-1)               # (N, K)
    expect = WEIGHT_LOGIT * kl.sum(1).mean() / 3
    assert float(heatmap_kd_loss(s, t)) == pytest.approx(expect, rel=1e-5)
    assert float(heatmap_kd_loss(t, t)) == pytest.approx(0.0, abs=1e-7)


def test_linear_decay():
    assert [linear_decay(s, 4) for s in range(6)] == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_dwpose_trains_the_student_and_projection_only(tmp_path):
    from posekit.engine.config import TrainConfig
    from posekit.engine.trainer import Trainer
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo.learning_proof import SYNTHETIC_AUGMENT, synthetic_instances

    torch.manual_seed(0)
    teacher = build_model("hrnet-w16-128x96", input_size=SIZE)               # 16 channels at 1/4
    student = build_model("simplebaseline-r18-128x96", input_size=SIZE)      # 512 channels at 1/32
    model = DWPoseDistillation(student, teacher, total_steps=4)
    assert model.align is not None and model.align.in_channels == 512 and model.align.out_channels == 16
    before_t = {k: v.clone() for k, v in teacher.state_dict().items()}
    align_before = model.align.weight.detach().clone()
    assert set(model.state_dict()) == set(student.state_dict())
    # the loss at step 0 is L_gt + 1 * (feature + logit), each computed directly
    images = torch.randn(2, 3, SIZE[1], SIZE[0])
    w, h = student.codec.heatmap_size
    batch = {"image": images, "target": torch.rand(2, 17, h, w), "target_weight": torch.ones(2, 17)}
    model.train()
    out = model(images)
    with torch.no_grad():
        t_feat, t_maps = teacher.backbone(images), teacher(images)
    expect = (student.loss(out.student, batch) + feature_loss(out.student_feature, t_feat, model.align)
              + heatmap_kd_loss(out.student, t_maps))
    assert torch.allclose(model.loss(out, batch), expect, rtol=1e-5)
    assert model.step == 1
    model.step = 0
    train = synthetic_instances(32, SIZE, seed=1)
    data = TopDownDataset(train, model.codec, model.skeleton, SYNTHETIC_AUGMENT, seed=0)
    cfg = TrainConfig(out=str(tmp_path / "run"), epochs=1, max_steps=4, batch_size=8, lr=1e-3, amp="off",
                      workers=0, augment=SYNTHETIC_AUGMENT, warmup_steps=0, log_every=1, seed=0)
    Trainer(model, data, cfg, None, "PCK@0.1").fit()
    assert model.step == 4 and linear_decay(model.step, model.total_steps) == 0.0
    assert all(p.grad is None for p in teacher.parameters())
    assert all(torch.equal(v, before_t[k]) for k, v in teacher.state_dict().items())
    assert not torch.equal(model.align.weight, align_before)   # the projection is trained
