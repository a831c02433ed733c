"""Convolutional Pose Machines (Wei et al. 2016): size against MMPose's re-implementation, stages, stride 8."""
import pytest
import torch

import posekit
from posekit.models.complexity import measure_builder


def test_size_and_cost_match_mmpose():
    # MMPose inference_speed_summary: CPM 256x192, 31.3 M params, 63.81 GFLOPs (mmcv also counts BN and ReLU)
    preset = posekit.PRESETS["cpm-256x192"]
    params, macs = measure_builder(preset.build, preset.input_size)
    assert abs(params / 1e6 - 31.3) / 31.3 < 0.03
    assert macs / 1e9 == pytest.approx(63.81, rel=0.01)


def test_paper_network_at_368_gives_46x46_belief_maps_per_stage():
    preset = posekit.PRESETS["cpm-368x368"]
    with torch.device("meta"):
        model = preset.build()
        out = model(torch.empty(1, 3, 368, 368))
    assert len(out) == 6 and all(o.shape == (1, 16, 46, 46) for o in out)
    assert model.codec.heatmap_size == (46, 46)


def test_later_stages_read_the_previous_beliefs():
    torch.manual_seed(0)
    model = posekit.build_model("cpm-128x96").eval()
    out = model(torch.randn(1, 3, 128, 96))
    assert len(out) == 3 and all(o.shape == (1, 17, 16, 12) for o in out)
    first = model.backbone.stages[0][0][0]  # 11x11 convolution over [image features, beliefs]
    assert first.in_channels == 32 + 17 and first.kernel_size == (11, 11)
