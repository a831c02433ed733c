"""Optical-flow heatmap fusion (Flowing ConvNets): warping along a known flow, DIS flow of a known
shift, the fusion's start as a plain average, and a short deterministic learning run."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posekit.codecs.heatmap_ops import render_gaussians
from posekit.data.synthetic import make_video
from posekit.topdown.transforms import normalize_image
from posekit.video.flow_fusion import FlowFusion, crop_flows, to_uint8, warp_heatmaps


def test_warp_pulls_each_frame_to_the_target_along_the_flow():
    maps = render_gaussians(np.array([[[5.0, 6.0]], [[5.0, 6.0]]]), np.ones((2, 1), bool), (12, 16), 1.5)
    flows = np.zeros((2, 16, 12, 2), np.float32)
    flows[1] = [2.0, -1.0]  # target pixel x sits at x + (2, -1) in frame 1
    out = warp_heatmaps(maps.astype(np.float32), flows)
    np.testing.assert_allclose(out[0], maps[0], atol=1e-6)  # zero flow: unchanged
    y, x = np.unravel_index(out[1, 0].argmax(), (16, 12))
    assert (x, y) == (3, 7)


def test_dis_flow_of_a_shifted_crop_on_the_heatmap_grid():
    frame = make_video(np.random.default_rng(0), 128, 160, 1, num_people=1)[0].image
    crops = np.stack([frame[16:144, 16:112], frame[16:144, 12:108]])  # second crop: content 4 px to the right
    flows = crop_flows(crops, 0, (24, 32))
    assert flows.shape == (2, 32, 24, 2) and not flows[0].any()
    np.testing.assert_allclose(np.median(flows[1].reshape(-1, 2), 0), [4 * 24 / 96, 0.0], atol=0.1)
    np.testing.assert_array_equal(to_uint8(np.stack([normalize_image(c) for c in crops])), crops)


def test_fusion_starts_as_each_joints_mean_over_frames():
    fusion = FlowFusion(3, 4)
    x = torch.rand(2, 3, 4, 5, 6)
    torch.testing.assert_close(fusion(x), x.mean(1), atol=1e-6, rtol=1e-5)


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_short_learning_run(one_thread):
    """30 steps of the per-frame network on 3 small degraded videos, 50 of the fusion on 2 others
    (about 15 s). Measured: PCK@0.1 on the degraded held-out tubes single-frame 0.395, fused 0.481.
    So short a run proves only that the pieces fit and the fusion learns; the bench measures the gain."""
    from posekit.zoo.learning_flow_fusion import learn_flow_fusion

    row = learn_flow_fusion(seed=0, steps=30, input_size=(32, 64), train_videos=3, test_videos=2,
                            fusion_videos=2, frames=16, fusion_steps=50)
    assert row["degraded_tubes"] > 10 and row["test_tubes"] > row["degraded_tubes"]
    assert row["fusion_loss_last"] < row["fusion_loss_first"]
    assert row["fused_degraded_PCK@0.1"] >= row["single_degraded_PCK@0.1"]


def test_run_folder_round_trip(tmp_path):
    from posekit.errors import InputError
    from posekit.zoo import build_model
    from posekit.zoo.learning_flow_fusion import load_flow_fusion, save_flow_fusion

    model = build_model("simplebaseline-r18-128x96", input_size=(32, 64))
    fusion = FlowFusion(5, 17)
    with torch.no_grad():
        fusion.pool.weight.add_(0.01 * torch.randn_like(fusion.pool.weight))
    save_flow_fusion(tmp_path / "run", model, fusion, 5, 2, {"seed": 0})
    m2, f2, spec = load_flow_fusion(tmp_path / "run")
    assert spec == {"kind": "flow-fusion", "frames": 5, "keypoints": 17, "length": 5, "step": 2}
    x = torch.rand(2, 3, 64, 32)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(m2(x), model(x))
        w = torch.rand(1, 5, 17, 16, 8)
        torch.testing.assert_close(f2(w), fusion(w))
    with pytest.raises(InputError, match="not a flow-fusion run"):
        load_flow_fusion(tmp_path)
