"""Cascaded Pyramid Network (Chen et al. 2018): size, GlobalNet + RefineNet outputs, L2 + OHKM losses."""
import pytest
import torch

import posekit
from posekit.models.backbones.resnet import ResNet, ResNetPyramid
from posekit.models.complexity import measure_builder


def test_r50_has_the_published_size():
    # 27.0 M parameters for CPN on ResNet-50 at 256x192 (Sun et al. 2019, Table 1)
    preset = posekit.PRESETS["cpn-r50-256x192"]
    params, _ = measure_builder(preset.build, preset.input_size)
    assert abs(params / 1e6 - 27.0) / 27.0 < 0.03


def test_pyramid_backbone_is_a_resnet_with_four_outputs():
    net = ResNetPyramid(18).eval()
    assert list(net.state_dict()) == list(ResNet(18).state_dict())
    feats = net(torch.zeros(1, 3, 128, 96))
    assert [f.shape[1:] for f in feats] == [(64, 32, 24), (128, 16, 12), (256, 8, 6), (512, 4, 3)]
    assert ResNetPyramid(50).pyramid_channels == [256, 512, 1024, 2048]


def test_global_and_refine_outputs_and_their_losses_by_hand():
    torch.manual_seed(0)
    model = posekit.build_model("cpn-r18-128x96").eval()
    out = model(torch.randn(2, 3, 128, 96))
    assert len(out) == 5 and all(o.shape == (2, 17, 32, 24) for o in out)
    out = [torch.randn(2, 17, 32, 24) for _ in range(5)]
    target, weight = torch.rand(2, 17, 32, 24), (torch.rand(2, 17) > 0.2).float()
    per_kp = [0.5 * ((o - target) * weight[..., None, None]).pow(2).flatten(2).mean(2) for o in out]
    l2 = sum(p.mean() for p in per_kp[:4])                              # GlobalNet: L2 on every level
    ohkm = torch.sort(per_kp[4], dim=1, descending=True).values[:, :8].mean()  # RefineNet: top-8 keypoints
    got = model.loss(out, {"target": target, "target_weight": weight}).item()
    assert got == pytest.approx((l2 + ohkm).item(), rel=1e-6)
    mse_refine = posekit.build_model("cpn-r18-128x96", refine_loss="mse")
    assert mse_refine.loss(out, {"target": target, "target_weight": weight}).item() == pytest.approx(
        (l2 + per_kp[4].mean()).item(), rel=1e-6)
