"""Stacked Hourglass (Newell et al. 2016): size, the per-stack outputs, intermediate supervision."""
import pytest
import torch

import posekit
from posekit.models.backbones.hourglass import Hourglass, StackedHourglass
from posekit.models.complexity import measure_builder
from posekit.zoo import hourglass


def test_eight_stacks_have_the_published_size():
    # 25.1 M parameters for the 8-stack network (Sun et al. 2019, Table 1)
    preset = posekit.PRESETS["hourglass-8stack-256x192"]
    params, _ = measure_builder(preset.build, preset.input_size)
    assert abs(params / 1e6 - 25.1) / 25.1 < 0.03
    assert preset.published["params_m"] == 25.1


def test_one_heatmap_per_stack_at_a_quarter_of_the_input():
    model = posekit.build_model("hourglass-2stack-128x96").eval()
    out = model(torch.zeros(2, 3, 128, 96))
    assert isinstance(out, list) and len(out) == 2
    assert all(o.shape == (2, 17, 32, 24) for o in out)
    kp, scores = model.predict_crops(torch.zeros(1, 3, 128, 96))
    assert kp.shape == (1, 17, 2) and scores.shape == (1, 17)


def test_hourglass_keeps_odd_sizes():
    # 24 x 20 pools to 12x10, 6x5, 3x3 (rounded up), 2x2, and comes back to 24 x 20
    assert Hourglass(4, 8)(torch.zeros(1, 8, 24, 20)).shape == (1, 8, 24, 20)
    assert len(StackedHourglass(5, stacks=3, channels=16)(torch.zeros(1, 3, 96, 80))) == 3


def test_loss_sums_every_stack_by_hand():
    torch.manual_seed(0)
    model = hourglass(stacks=3, channels=16, input_size=(32, 32), skeleton="mpii16")
    out = [torch.randn(2, 16, 8, 8) for _ in range(3)]
    target, weight = torch.rand(2, 16, 8, 8), (torch.rand(2, 16) > 0.3).float()
    by_hand = sum(0.5 * ((o - target) * weight[..., None, None]).pow(2).mean() for o in out)
    got = model.loss(out, {"target": target, "target_weight": weight})
    assert got.item() == pytest.approx(by_hand.item(), rel=1e-6)
    # every stack receives gradient from the summed loss
    out = model(torch.randn(2, 3, 32, 32))
    model.loss(out, {"target": target, "target_weight": weight}).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.backbone.predict.parameters())
