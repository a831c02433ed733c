"""AdaBN (Li et al. 2017): every BatchNorm's statistics become the target data's, nothing else moves."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from posekit.adaptation import adapt_batchnorm, batchnorm_layers
from posekit.errors import ModelError


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                         nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))


def test_one_batch_gives_the_target_mean_and_unbiased_variance():
    net = _net()
    x = torch.randn(6, 3, 8, 8) * 2 + 3  # a shifted, scaled "target domain"
    weights = {k: v.clone() for k, v in net.state_dict().items() if "running" not in k and "num_batches" not in k}
    net.train()
    assert adapt_batchnorm(net, [x]) == 6
    conv_out = net[0](x)
    bn = net[1]
    torch.testing.assert_close(bn.running_mean, conv_out.mean((0, 2, 3)), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(bn.running_var, conv_out.var((0, 2, 3), unbiased=True), rtol=1e-5, atol=1e-6)
    # the second BN saw the first normalised by the target batch (train-mode BN), dropout off
    h = net[4](torch.relu(nn.functional.batch_norm(conv_out, None, None, bn.weight, bn.bias, training=True)))
    torch.testing.assert_close(net[5].running_mean, h.mean((0, 2, 3)), rtol=1e-5, atol=1e-5)
    # nothing else moved; the mode and momentum are as they were
    for k, v in weights.items():
        assert torch.equal(net.state_dict()[k], v), k
    assert net.training and bn.momentum == 0.1


def test_several_batches_average_their_statistics_equally():
    net = _net().eval()
    a, b = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8) * 3 - 1
    adapt_batchnorm(net, [a, b])
    ya, yb = net[0](a), net[0](b)
    expected = (ya.mean((0, 2, 3)) + yb.mean((0, 2, 3))) / 2  # PyTorch's cumulative average, momentum None
    torch.testing.assert_close(net[1].running_mean, expected, rtol=1e-5, atol=1e-6)
    assert not net.training


def test_a_network_without_batchnorm_or_without_images_is_refused():
    with pytest.raises(ModelError, match="no BatchNorm"):
        adapt_batchnorm(nn.Sequential(nn.Conv2d(3, 3, 1)), [torch.zeros(1, 3, 2, 2)])
    with pytest.raises(ModelError, match="no target image"):
        adapt_batchnorm(_net(), [])
    assert len(batchnorm_layers(_net())) == 2
