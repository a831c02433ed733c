"""The training-refinement losses against their papers' formulas, on values worked by hand, and
selectable by name (builders, ``TrainConfig.loss``)."""
import math

import numpy as np
import pytest
import torch

from posekit.errors import ModelError
from posekit.models.losses import AdaptiveWingLoss, FocalHeatmapLoss, HeatmapKLLoss
from posekit.models.regression_losses import LimbConsistencyLoss, OKSLoss, WingLoss
from posekit.skeletons import COCO17
from posekit.zoo import build_model


def _map(*values):
    return torch.tensor(values, dtype=torch.float64).reshape(1, 1, 1, -1)


def test_adaptive_wing_follows_eq_6_to_9():
    loss = AdaptiveWingLoss(map_weight=0.0)
    # y = 0, y_hat = 0.3: |d| < theta, omega ln(1 + (|d| / eps)^(alpha - y))
    small = 14 * math.log(1 + 0.3 ** 2.1)
    # y = 1, y_hat = 0.2: |d| = 0.8 >= theta, A |d| - C with the exponent alpha - y = 1.1
    a = 14 * (1 / (1 + 0.5 ** 1.1)) * 1.1 * 0.5 ** 0.1 / 1
    c = 0.5 * a - 14 * math.log(1 + 0.5 ** 1.1)
    large = a * 0.8 - c
    got = loss(_map(0.3, 0.2), _map(0.0, 1.0), torch.ones(1, 1, dtype=torch.float64))
    assert float(got) == pytest.approx((small + large) / 2, rel=1e-9)
    # the two branches meet at |d| = theta (the constants A and C exist for that)
    y = torch.full((1, 1, 1, 1), 0.7, dtype=torch.float64)
    below = loss(y + 0.5 - 1e-9, y, torch.ones(1, 1, dtype=torch.float64))
    above = loss(y + 0.5 + 1e-9, y, torch.ones(1, 1, dtype=torch.float64))
    assert float(below) == pytest.approx(float(above), abs=1e-6)
    # the weighted loss map: pixels near the foreground (target > 0.2, 3x3-dilated) count 1 + 10 times
    target = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    target[0, 0, 2, 2] = 1.0
    pred = torch.full_like(target, 0.1)
    plain = AdaptiveWingLoss(map_weight=0.0)(pred, target, torch.ones(1, 1, dtype=torch.float64))
    weighted = AdaptiveWingLoss()(pred, target, torch.ones(1, 1, dtype=torch.float64))
    per = AdaptiveWingLoss(map_weight=0.0)
    near = torch.zeros_like(target)
    near[0, 0, 1:4, 1:4] = 1
    pixel = lambda t, p: float(per(p.reshape(1, 1, 1, 1), t.reshape(1, 1, 1, 1), torch.ones(1, 1,  # noqa: E731
                                                                                           dtype=torch.float64)))
    expected = sum(pixel(target[0, 0, i, j], pred[0, 0, i, j]) * (1 + 10 * near[0, 0, i, j]) for i in range(5)
                   for j in range(5)) / 25
    assert float(weighted) == pytest.approx(float(expected), rel=1e-9) and float(weighted) > float(plain)


def test_focal_heatmap_loss_is_cornernets_eq_1():
    loss = FocalHeatmapLoss()
    pred = _map(0.0, 0.0, math.log(3.0))  # sigmoid: 0.5, 0.5, 0.75
    target = _map(1.0, 0.5, 0.0)
    pos = -(0.5 ** 2) * math.log(0.5)
    neg = -(0.5 ** 4) * (0.5 ** 2) * math.log(0.5) - (1.0 ** 4) * (0.75 ** 2) * math.log(0.25)
    got = loss(pred, target, torch.ones(1, 1, dtype=torch.float64))
    assert float(got) == pytest.approx(pos + neg, rel=1e-6)  # one peak: normalised by 1


def test_heatmap_kl_vanishes_at_the_target_and_matches_the_definition():
    q = np.array([0.1, 0.2, 0.7])
    target = _map(*(2 * q))  # any scale: the target is normalised
    assert float(HeatmapKLLoss()(torch.log(_map(*q)), target, torch.ones(1, 1, dtype=torch.float64))) == \
        pytest.approx(0.0, abs=1e-12)
    logits = np.array([1.0, 0.0, -1.0])
    p = np.exp(logits) / np.exp(logits).sum()
    expected = float((q * np.log(q / p)).sum())
    got = HeatmapKLLoss()(_map(*logits), target, torch.ones(1, 1, dtype=torch.float64))
    assert float(got) == pytest.approx(expected, rel=1e-9)


def test_wing_follows_eq_5_in_input_pixels():
    loss = WingLoss((100, 50))
    pred = torch.tensor([[[0.05, 0.4]]], dtype=torch.float64)  # errors: 5 px in x, 20 px in y
    target = torch.tensor([[[0.0, 0.0]]], dtype=torch.float64)
    expected = 10 * math.log(1 + 5 / 2) + (20 - (10 - 10 * math.log(1 + 10 / 2)))
    assert float(loss(pred, target, torch.ones(1, 1, dtype=torch.float64))) == pytest.approx(expected, rel=1e-9)
    # continuous at |x| = w
    at = lambda x: float(loss(torch.tensor([[[x / 100, 0.0]]], dtype=torch.float64),  # noqa: E731
                              target, torch.ones(1, 1, dtype=torch.float64)))
    assert at(10 - 1e-7) == pytest.approx(at(10 + 1e-7), abs=1e-5)


def test_oks_loss_is_one_minus_cocos_similarity():
    sigmas = COCO17.sigma_array()
    loss = OKSLoss((96, 128), sigmas)
    target = torch.rand(2, 17, 2, dtype=torch.float64)
    weight = torch.ones(2, 17, dtype=torch.float64)
    assert float(loss(target, target, weight)) == pytest.approx(0.0, abs=1e-12)
    pred = target.clone()
    pred[0, 0, 0] += 6 / 96  # 6 px on the nose of the first person, the second exact
    weight[1, 5:] = 0
    area = 96 * 128 / 1.25 ** 2
    oks0 = (16 + math.exp(-36 / (2 * area * (2 * sigmas[0]) ** 2))) / 17
    assert float(loss(pred, target, weight)) == pytest.approx((1 - oks0) / 2, rel=1e-6)


def test_limb_consistency_ignores_translation_and_penalises_lengths():
    loss = LimbConsistencyLoss((100, 100), COCO17.limbs, COCO17.flip_index(), limb_weight=1.0)
    target = torch.rand(1, 17, 2, dtype=torch.float64) * 0.5 + 0.25
    weight = torch.ones(1, 17, dtype=torch.float64)
    shifted = target + torch.tensor([0.01, 0.0], dtype=torch.float64)
    # a translation keeps every limb's length: only the L1 term (1 px in x per keypoint) remains
    assert float(loss(shifted, target, weight)) == pytest.approx(1 / 100, rel=1e-6)
    # scaling about the origin by 1.1 lengthens each limb by 10%: the limb term is 0.1 x mean length (px)
    scaled = target * 1.1
    a = [l[0] for l in COCO17.limbs]
    b = [l[1] for l in COCO17.limbs]
    lengths = ((target[0, a] - target[0, b]) * 100).norm(dim=-1)
    l1 = float((scaled - target).abs().sum(-1).mean())
    pairs = loss.pairs
    sym = np.mean([abs(0.1 * float(lengths[i] - lengths[j])) for i, j in pairs])
    expected = l1 + 0.1 * float(lengths.mean()) + sym
    assert len(pairs) >= 6 and float(loss(scaled, target, weight)) == pytest.approx(expected, rel=1e-6)


def test_losses_are_selectable_by_name():
    assert isinstance(build_model("simplebaseline-r18-128x96", loss="awing").loss_fn, AdaptiveWingLoss)
    assert isinstance(build_model("simplebaseline-r18-128x96", loss="focal").loss_fn, FocalHeatmapLoss)
    assert isinstance(build_model("deeppose-r18-128x96", loss="oks").loss_fn, OKSLoss)
    assert isinstance(build_model("deeppose-r18-128x96", loss="limbs").loss_fn, LimbConsistencyLoss)
    with pytest.raises(ModelError, match="loss must be one of"):
        build_model("deeppose-r18-128x96", loss="huber")
    model = build_model("deeppose-r18-128x96", loss="wing")
    out = model(torch.zeros(2, 3, 128, 96))
    value = model.loss(out, {"target": torch.rand(2, 17, 2), "target_weight": torch.ones(2, 17)})
    value.backward()
    assert torch.isfinite(value) and all(p.grad is not None for p in model.head.parameters())
