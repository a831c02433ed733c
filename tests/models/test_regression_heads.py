"""Regression-family heads and losses against hand computations and reference densities
(scipy's Laplace), and the presets' shapes and checkpoint round trip."""
import numpy as np
import pytest
import torch
from scipy import stats

import posekit
from posekit.codecs import RegressionLabel
from posekit.engine.checkpoint import save_weights
from posekit.zoo import load_model
from posekit.models.flow import RealNVP
from posekit.models.heads.integral import soft_argmax
from posekit.models.heads.regression import CascadeStage, RegressionHead
from posekit.models.regression_losses import CoordinateLoss, KLDiscreteLoss, RLELoss

CPU_PRESETS = ["deeppose-r18-128x96", "deeppose-r18-128x96-cascade3", "integral-r18-128x96",
               "rle-r18-128x96", "simcc-r18-128x96"]


def test_soft_argmax_of_a_delta_lands_on_its_pixel():
    hm = torch.zeros(1, 2, 32, 24)
    hm[0, 0, 7, 5] = 1e4
    hm[0, 1, 31, 0] = 1e4
    coords = soft_argmax(hm)
    assert torch.allclose(coords[0], torch.tensor([[5.5 / 24, 7.5 / 32], [0.5 / 24, 31.5 / 32]]))
    # heatmap pixel (5, 7) covers input pixels 20..23 x 28..31 of a 96x128 crop: its centre is (21.5, 29.5)
    kp, _ = RegressionLabel(input_size=(96, 128)).decode(coords.numpy())
    assert np.allclose(kp[0, 0], [21.5, 29.5], atol=1e-4)


def test_soft_argmax_is_the_expectation_and_differentiable():
    hm = torch.zeros(1, 1, 2, 2, requires_grad=True)  # uniform: the centre
    coords = soft_argmax(hm)
    assert torch.allclose(coords, torch.tensor([[[0.5, 0.5]]]))
    coords.sum().backward()
    assert hm.grad is not None and torch.isfinite(hm.grad).all()
    two = torch.full((1, 1, 1, 4), -1e4)
    two[..., 0] = two[..., 3] = 0.0  # half the mass on pixel 0, half on pixel 3
    assert soft_argmax(two)[0, 0, 0].item() == pytest.approx((0.5 / 4 + 3.5 / 4) / 2)


def test_coordinate_loss_by_hand():
    pred = torch.tensor([[[0.1, 0.2], [0.5, 0.5]]])
    target = torch.tensor([[[0.4, 0.6], [0.0, 0.0]]])
    weight = torch.tensor([[1.0, 0.0]])
    # keypoint 0: |0.3| + |0.4| = 0.7 (L1), 0.09 + 0.16 = 0.25 (L2); keypoint 1 weighted out; mean over 2 slots
    assert CoordinateLoss("l1")(pred, target, weight).item() == pytest.approx(0.35)
    assert CoordinateLoss("l2")(pred, target, weight).item() == pytest.approx(0.125)


def test_rle_loss_without_flow_is_the_laplace_negative_log_likelihood():
    rng = np.random.default_rng(0)
    mu, sigma, t = rng.uniform(0, 1, (3, 4, 2)), rng.uniform(0.05, 0.5, (3, 4, 2)), rng.uniform(0, 1, (3, 4, 2))
    weight = (rng.uniform(size=(3, 4)) > 0.3).astype(np.float64)
    nll = -stats.laplace(loc=mu, scale=sigma).logpdf(t).sum(-1)           # per keypoint, both axes
    expected = (nll * weight).sum() / weight.size
    got = RLELoss(flow=False)((torch.tensor(mu), torch.tensor(sigma)), torch.tensor(t), torch.tensor(weight))
    assert got.item() == pytest.approx(expected, rel=1e-10)


def test_rle_loss_subtracts_the_flow_log_density_of_the_residual():
    torch.manual_seed(0)
    loss = RLELoss(flow=True).double()
    mu, sigma = torch.rand(2, 3, 2, dtype=torch.float64), torch.rand(2, 3, 2, dtype=torch.float64) + 0.1
    t, weight = torch.rand(2, 3, 2, dtype=torch.float64), torch.tensor([[1.0, 1, 0], [1, 0, 1]], dtype=torch.float64)
    laplace = RLELoss(flow=False)((mu, sigma), t, weight)
    log_g = loss.flow.log_prob((t - mu) / sigma)
    assert loss((mu, sigma), t, weight).item() == pytest.approx((laplace - (log_g * weight).mean()).item())


def test_realnvp_is_a_density():
    torch.manual_seed(1)
    flow = RealNVP()
    with torch.no_grad():  # a far-from-identity flow
        for net in [*flow.scale, *flow.shift]:
            net[4].weight.normal_(std=0.3)
    step = 0.1
    r = torch.arange(-16, 16, step)
    grid = torch.stack(torch.meshgrid(r, r, indexing="xy"), -1).reshape(-1, 2)
    with torch.no_grad():
        density = flow.log_prob(grid).exp()
    gauss = torch.exp(-0.5 * grid.pow(2).sum(-1)) / (2 * np.pi)
    assert density.sum().item() * step ** 2 == pytest.approx(1.0, abs=1e-3)       # integrates to 1
    assert (density - gauss).abs().sum().item() * step ** 2 > 0.5                   # and is not the prior


def test_kl_discrete_loss_by_hand():
    logits_x = torch.tensor([[[0.0, np.log(3.0)]]])       # p = (1/4, 3/4)
    logits_y = torch.tensor([[[0.0, 0.0, 0.0]]])           # p = 1/3 each
    target = torch.tensor([[[1.0, 1.0, 0.0, 2.0, 0.0]]])   # q_x = (1/2, 1/2), q_y = (0, 1, 0)
    kl_x = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    kl_y = np.log(3.0)
    got = KLDiscreteLoss()((logits_x, logits_y), target, torch.ones(1, 1))
    assert got.item() == pytest.approx(kl_x + kl_y, rel=1e-6)
    assert KLDiscreteLoss()((logits_x, logits_y), target, torch.zeros(1, 1)).item() == 0
    perfect = (torch.log(torch.tensor([[[0.5, 0.5]]])), torch.log(torch.tensor([[[1e-9, 1.0, 1e-9]]])))
    assert KLDiscreteLoss()(perfect, target, torch.ones(1, 1)).item() == pytest.approx(0, abs=1e-6)


def test_cascade_samples_features_at_the_estimate():
    stage = CascadeStage(1, 2, patch=1, reach=2.0)
    with torch.no_grad():
        stage.weight.fill_(0.1)
    features = torch.arange(12.0).reshape(1, 1, 4, 3)       # value = 3 * row + column
    coords = torch.tensor([[[1.5 / 3, 2.5 / 4], [0.5 / 3, 0.5 / 4]]])  # centres of cells (1, 2) and (0, 0)
    # displacement = tanh(0.1 * sampled value) * reach cells, in normalised units of the 3 x 4 map
    expected = torch.tanh(torch.tensor([0.7, 0.0]))[:, None] * torch.tensor([2 / 3, 2 / 4])
    assert torch.allclose(stage(features, coords)[0], expected, atol=1e-6)
    head = RegressionHead(1, 2, stages=3)
    out = head(features)
    assert isinstance(out, list) and len(out) == 3 and all(o.shape == (1, 2, 2) for o in out)
    assert torch.allclose(out[0], out[2])  # refinements start at zero displacement


@pytest.mark.parametrize("name", CPU_PRESETS)
def test_cpu_presets_shapes_take_k_from_the_skeleton(name):
    model = posekit.build_model(name, skeleton="mpii16").eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 128, 96))
    last = out[-1] if isinstance(out, list) else out
    parts = last if isinstance(last, tuple) else (last,)
    assert all(p.shape[:2] == (2, 16) for p in parts)
    kp, scores = model.predict_crops(torch.zeros(2, 3, 128, 96), flip=True)
    assert kp.shape == (2, 16, 2) and scores.shape == (2, 16) and np.isfinite(kp).all()
    assert posekit.PRESETS[name].section == "1.1 top-down / regression"


@pytest.mark.parametrize("name", ["rle-r18-128x96", "simcc-r18-128x96"])
def test_checkpoint_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = posekit.build_model(name, skeleton="mpii16").eval()
    with torch.no_grad():  # weights unlike a fresh build's, the flow's included
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    save_weights(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.spec == model.spec and loaded.skeleton.num_keypoints == 16
    x = torch.randn(1, 3, 128, 96)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    if name.startswith("rle"):
        assert torch.equal(model.loss_fn.flow.scale[0][0].weight, loaded.loss_fn.flow.scale[0][0].weight)
