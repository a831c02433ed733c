"""Mean-teacher self-training (Tarvainen & Valpola 2017): the moving average, the weak -> strong map
of the pseudo-labels, the confidence filter, and what it refuses."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from posekit.adaptation import MeanTeacher, SelfTrainingSet
from posekit.adaptation.mean_teacher import STRONG_AUGMENT
from posekit.errors import ModelError
from posekit.topdown.transforms import RandomAugment, apply_affine
from posekit.zoo import build_model
from posekit.zoo.learning_proof import synthetic_instances

SIZE = (32, 64)


@pytest.fixture(scope="module")
def people():
    return synthetic_instances(6, SIZE, seed=5)


def _model():
    torch.manual_seed(0)
    return build_model("simplebaseline-r18-128x96", input_size=SIZE)


def test_the_teacher_is_the_moving_average_of_the_student():
    student = _model()
    mt = MeanTeacher(student, decay=0.9)
    before = {k: v.clone() for k, v in mt.teacher.state_dict().items()}
    with torch.no_grad():
        for p in student.parameters():
            p.add_(1.0)
        bn = next(m for m in student.modules() if isinstance(m, nn.BatchNorm2d))
        bn.running_mean.add_(2.0)
        bn.num_batches_tracked += 5
    mt.update_teacher()
    after, now = mt.teacher.state_dict(), student.state_dict()
    for k, v in before.items():
        if v.dtype.is_floating_point:
            torch.testing.assert_close(after[k], 0.9 * v + 0.1 * now[k], rtol=0, atol=1e-6)
        else:
            assert torch.equal(after[k], now[k]), k
    # the teacher is outside the module tree: the optimiser and the checkpoint see the student alone
    assert set(mt.state_dict()) == set(student.state_dict())
    assert sum(p.numel() for p in mt.parameters()) == sum(p.numel() for p in student.parameters())


def test_pseudo_labels_land_where_the_person_is_in_the_strong_view(people):
    model = _model()
    data = SelfTrainingSet(people, people, model.codec, model.skeleton, None, seed=3)
    item = data[2]
    weak, strong = data.weak[2], data.strong[2]
    gt = people[2].keypoints
    # weak crop -> strong crop, against the strong crop's own image -> crop matrix
    in_weak = apply_affine(gt[None], weak["matrix"][None])[0]
    np.testing.assert_allclose(apply_affine(in_weak[None], item["weak_to_strong"][None])[0],
                               apply_affine(gt[None], strong["matrix"][None])[0], atol=1e-9)
    assert item["image"].shape == (2, 3, SIZE[1], SIZE[0])
    np.testing.assert_array_equal(item["image"][1], strong["image"])

    # a teacher that outputs the ground truth's heatmaps (one keypoint faint) gives them back, moved
    mt = MeanTeacher(model, threshold=0.5)
    maps, _ = model.codec.encode(in_weak[None], np.full((1, gt.shape[0]), 2))
    maps[0, 3] *= 0.3  # below the threshold: no pseudo-label

    class Oracle(nn.Module):
        def forward(self, x):
            return torch.from_numpy(maps).expand(len(x), -1, -1, -1)

    mt.__dict__["_teacher"] = Oracle()
    target, weight = mt.pseudo_labels(torch.from_numpy(item["weak"])[None],
                                      torch.from_numpy(item["weak_to_strong"])[None])
    expected, _ = model.codec.encode(apply_affine(gt[None], strong["matrix"][None]), np.full((1, gt.shape[0]), 2))
    w = weight.numpy()[0].reshape(-1)
    assert w[3] == 0 and mt.pseudo_fraction == pytest.approx((gt.shape[0] - 1) / gt.shape[0])
    on = np.flatnonzero(w > 0)
    # decoded peaks sit on the heatmap grid: the moved targets peak within a heatmap pixel of the truth's
    got = target.numpy()[0, on].reshape(len(on), -1).argmax(1)
    want = expected[0, on].reshape(len(on), -1).argmax(1)
    hw = model.codec.heatmap_size[0]
    assert np.abs(got % hw - want % hw).max() <= 1 and np.abs(got // hw - want // hw).max() <= 1


def test_a_training_step_runs_and_the_eval_forward_is_the_students(people):
    model = _model()
    mt = MeanTeacher(model)
    data = SelfTrainingSet(people, people, model.codec, model.skeleton, RandomAugment(flip_prob=0.0), seed=0)
    batch = {k: torch.as_tensor(np.stack([data[i][k] for i in range(2)])) for k in data[0]}
    mt.train()
    loss = mt.loss(mt(batch["image"].float()), batch)
    loss.backward()
    assert torch.isfinite(loss) and any(p.grad is not None for p in model.parameters())
    mt.eval()
    x = batch["weak"].float()
    torch.testing.assert_close(mt(x), model(x))


def test_what_it_refuses(people):
    model = _model()
    with pytest.raises(ModelError, match="must not mirror"):
        SelfTrainingSet(people, people, model.codec, model.skeleton, None,
                        strong=RandomAugment(flip_prob=0.5))
    mt = MeanTeacher(model).train()
    with pytest.raises(ModelError, match=r"\(N, 2, 3, H, W\)"):
        mt(torch.zeros(2, 3, SIZE[1], SIZE[0]))
    assert STRONG_AUGMENT.flip_prob == 0
    with pytest.raises(ModelError, match="heatmap model"):
        MeanTeacher(build_model("deeppose-r18-128x96", input_size=SIZE))
