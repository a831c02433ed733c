"""The associative-embedding losses against HigherHRNet's definitions and SWAHR's formulas.

The tag loss is compared with a direct per-person loop written from HigherHRNet's ``AELoss.singleTagLoss``
(lib/core/loss.py) and with values computed by hand; SWAHR's scaled target with the Taylor series of
``G^(1+s)`` worked by hand and with the exact power; its weight with hand-computed values.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from posekit.bottomup.associative_embedding import (heatmap_loss, scale_adaptive_target, swahr_heatmap_loss,
                                                    tag_loss, weight_adaptive_weight)


def _loop_tag_loss(tags: torch.Tensor, joints: np.ndarray) -> tuple[float, float]:
    """HigherHRNet's singleTagLoss for one image, "exp" push: a loop over people and joints."""
    flat = tags.reshape(-1)
    means, pull = [], 0.0
    for person in joints:
        own = [float(flat[i]) for i, counted in person if counted > 0]
        if not own:
            continue
        m = sum(own) / len(own)
        means.append(m)
        pull += sum((t - m) ** 2 for t in own) / len(own)
    n = len(means)
    if n == 0:
        return 0.0, 0.0
    if n == 1:
        return 0.0, pull
    push = sum(math.exp(-(a - b) ** 2) for a in means for b in means) - n
    return push / ((n - 1) * n) * 0.5, pull / n


def test_tag_loss_equals_the_per_person_loop_of_higherhrnet():
    rng = np.random.default_rng(0)
    n, k, h, w, m = 3, 5, 6, 7, 4
    tags = torch.from_numpy(rng.normal(size=(n, k, h, w)))
    joints = np.zeros((n, m, k, 2), np.int64)
    for i in range(n):
        people = i + 1                                                    # 1, 2 and 3 people
        for p in range(people):
            counted = rng.random(k) < 0.7
            counted[0] = True
            cells = rng.integers(0, h * w, k)
            joints[i, p, :, 0] = np.where(counted, np.arange(k) * h * w + cells, 0)
            joints[i, p, :, 1] = counted
    joints[2, 3] = 0                                                      # image 2: a padded row
    push, pull = tag_loss(tags, torch.from_numpy(joints))
    for i in range(n):
        ref_push, ref_pull = _loop_tag_loss(tags[i], joints[i])
        assert float(push[i]) == pytest.approx(ref_push, abs=1e-12)
        assert float(pull[i]) == pytest.approx(ref_pull, abs=1e-12)
    assert float(push[0]) == 0.0 and float(pull[0]) > 0                  # one person: no push


def test_tag_loss_by_hand():
    # image of K=2 tag maps 1x2: person 0 tags (0, 0.5), person 1 tags (2, 2) at its cells
    tags = torch.tensor([[[[0.0, 2.0]], [[0.5, 2.0]]]], dtype=torch.float64)  # (1, 2, 1, 2)
    joints = torch.tensor([[[[0, 1], [2, 1]], [[1, 1], [3, 1]]]])         # flat index k*2 + x
    push, pull = tag_loss(tags, joints)
    # means 0.25 and 2; pull = mean over people of mean (t - m)^2 = (0.0625 + 0) / 2
    assert float(pull) == pytest.approx(0.03125)
    # push = 0.5 * (exp(-1.75^2) * 2) / (2 * 1)
    assert float(push) == pytest.approx(0.5 * math.exp(-1.75 ** 2))


def test_heatmap_loss_is_the_masked_mean_squared_error():
    rng = np.random.default_rng(1)
    pred, target = (torch.from_numpy(rng.random((2, 3, 4, 5))) for _ in range(2))
    ones = torch.ones(2, 4, 5)
    assert float(heatmap_loss(pred, target, ones).mean()) == pytest.approx(float(F.mse_loss(pred, target)))
    mask = torch.zeros(2, 4, 5)
    mask[:, :2] = 1
    expected = F.mse_loss(pred[:, :, :2], target[:, :, :2], reduction="none").sum((1, 2, 3)) / (3 * 4 * 5)
    assert torch.allclose(heatmap_loss(pred, target, mask), expected)


def test_swahr_target_is_the_taylor_form_of_g_to_the_one_plus_s():
    g = torch.tensor([0.5, 1.0, 0.0, 0.2, 0.9])
    s = torch.tensor([0.2, 0.7, 0.5, -0.1, 0.0])
    out = scale_adaptive_target(g, s)
    # by hand: 0.5 (1 + 0.2 ln 0.5 + (0.2 ln 0.5)^2 / 2) = 0.5 (1 - 0.1386294 + 0.0096091)
    assert float(out[0]) == pytest.approx(0.4354898, abs=1e-6)
    assert float(out[1]) == 1.0 and float(out[2]) == 0.0 and float(out[4]) == pytest.approx(0.9)
    # second order: within (s ln G)^3 / 6 of the exact power
    exact = g[[0, 3]] ** (1 + s[[0, 3]])
    assert torch.allclose(out[[0, 3]], exact, atol=1e-3)
    assert abs(float(out[0]) - 0.5 ** 1.2) < abs(0.2 * math.log(0.5)) ** 3 / 6 * 0.5 * 1.01


def test_swahr_weight_by_hand():
    p = torch.tensor([0.3, 0.3, 0.8, -0.2])
    g = torch.tensor([0.5, 0.0, 1.0, 0.0])
    w = weight_adaptive_weight(p, g)
    # |1 - P| G^0.01 + |P| (1 - G^0.01); 0.5^0.01 = 0.9930925
    assert float(w[0]) == pytest.approx(0.7 * 0.9930925 + 0.3 * (1 - 0.9930925), abs=1e-6)
    assert float(w[1]) == pytest.approx(0.3)                              # background: |P|
    assert float(w[2]) == pytest.approx(0.2)                              # a peak: |1 - P|
    assert float(w[3]) == pytest.approx(0.2)


def test_swahr_loss_keeps_the_scale_on_the_foreground_and_regularises_it():
    g = torch.zeros(1, 1, 2, 2)
    g[0, 0, 0, 0] = 0.5
    p = torch.full((1, 1, 2, 2), 0.1)
    s = torch.full((1, 1, 2, 2), 0.3)
    mask = torch.ones(1, 2, 2)
    heat, reg = swahr_heatmap_loss(p, s, g, mask)
    target = 0.5 * (1 + 0.3 * math.log(0.5) + 0.5 * (0.3 * math.log(0.5)) ** 2)
    w_fg = 0.9 * 0.5 ** 0.01 + 0.1 * (1 - 0.5 ** 0.01)
    expected = ((0.1 - target) ** 2 * w_fg + 3 * 0.1 ** 2 * 0.1) / 4    # background: target 0, weight |P|
    assert float(heat) == pytest.approx(expected, rel=1e-6)
    assert float(reg) == pytest.approx(0.3 ** 2 / 4)                    # s counts only where G > 0
