"""Heatmap losses against hand-computed values."""
import torch

from posekit.models.losses import KeypointMSELoss, OHKMMSELoss


def test_weighted_mse_by_hand():
    pred = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])
    weight = torch.tensor([[1.0, 0.0]])
    # keypoint 0: 0.5 * mean(1, 9) = 2.5; keypoint 1 weighted out; mean over (N, K) = 1.25
    assert KeypointMSELoss()(pred, target, weight).item() == 1.25
    assert KeypointMSELoss(use_target_weight=False)(pred, target, weight).item() == (2.5 + 2.0) / 2


def test_ohkm_keeps_the_hardest_keypoints():
    pred = torch.zeros(2, 3, 1, 1)
    target = torch.tensor([1.0, 2.0, 3.0, 4.0, 0.0, 1.0]).reshape(2, 3, 1, 1)
    weight = torch.ones(2, 3)
    # per-keypoint 0.5*t^2: [0.5, 2, 4.5], [8, 0, 0.5]; top-2: [4.5, 2], [8, 0.5]
    assert OHKMMSELoss(topk=2)(pred, target, weight).item() == (4.5 + 2 + 8 + 0.5) / 4
