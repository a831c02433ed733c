"""Multi-task training (posekit.topdown.multitask): person masks on the heatmap grid, the
segmentation head beside the keypoint head, Kendall et al.'s uncertainty weighting, and a short
learning run."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from posekit.data.coco import load_coco
from posekit.data.masks import segmentation_mask
from posekit.topdown.dataset import PersonInstance, TopDownDataset, person_instances, read_image
from posekit.topdown.multitask import MultiTask, segmentation_loss, uncertainty_weighted
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import build_model

SIZE = (64, 64)


def _expected_centroid(mask: np.ndarray, matrix: np.ndarray, stride: float) -> np.ndarray:
    """The mask's centroid carried through the crop matrix, in heatmap-cell index coordinates."""
    ys, xs = np.nonzero(mask)
    crop = matrix @ np.array([xs.mean(), ys.mean(), 1.0])
    return (crop - (stride - 1) / 2) / stride


def _centroid(grid: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[:grid.shape[0], :grid.shape[1]]
    return np.array([(grid * xs).sum(), (grid * ys).sum()]) / grid.sum()


@pytest.mark.parametrize("flip", [False, True])
def test_the_mask_follows_the_crop_and_the_flip(flip):
    model = build_model("simplebaseline-r18-128x96", input_size=SIZE)
    image = np.random.default_rng(0).integers(0, 255, (120, 100, 3), np.uint8)
    mask = np.zeros((120, 100), bool)
    mask[20:90, 15:45] = True  # the left part: a flip must carry it to the right of the crop
    kp = np.tile([[50.0, 60.0]], (17, 1))
    person = PersonInstance(0, np.array([5.0, 5.0, 90.0, 110.0]), kp, np.full(17, 2), image=image, mask=mask)
    augment = RandomAugment(flip_prob=1.0 if flip else 0.0, scale_factor=0.2, rotation_factor=20, rotation_prob=1.0,
                            half_body_prob=0.0)
    item = TopDownDataset([person], model.codec, model.skeleton, augment, masks=True)[0]
    grid = item["mask"]
    assert grid.shape == tuple(model.codec.heatmap_size)[::-1] and item["mask_weight"] == 1
    assert 0 <= grid.min() and grid.max() <= 1
    stride = SIZE[0] / model.codec.heatmap_size[0]
    np.testing.assert_allclose(_centroid(grid), _expected_centroid(mask, item["matrix"], stride), atol=0.3)
    # the whole mask lies inside the padded crop: its area, in cells, is the mask's area / stride^2 / scale^2
    det = abs(np.linalg.det(item["matrix"][:, :2]))
    assert grid.sum() == pytest.approx(mask.sum() * det / stride**2, rel=0.03)
    if flip:
        assert _centroid(grid)[0] > grid.shape[1] / 2


def test_coco_polygons_give_the_masks(shared_data):
    root = shared_data / "coco_mini"
    coco = load_coco(root / "annotations" / "person_keypoints_val2017.json")
    people = person_instances(coco, root / "images" / "val2017", train=True)
    model = build_model("simplebaseline-r18-128x96", input_size=SIZE)
    data = TopDownDataset(people, model.codec, model.skeleton, masks=True)
    with_mask = [i for i, p in enumerate(people) if p.segmentation]
    assert len(with_mask) >= 0.9 * len(people)
    stride = SIZE[0] / model.codec.heatmap_size[0]
    for i in with_mask[:6]:
        p, item = people[i], data[i]
        h, w = read_image(p.image_path).shape[:2]
        from pycocotools import mask as mask_api  # the COCO API's own rasteriser as the reference
        ref = mask_api.decode(mask_api.merge(mask_api.frPyObjects(p.segmentation, h, w))).astype(bool)
        assert item["mask_weight"] == 1 and item["mask"].sum() > 0
        np.testing.assert_allclose(_centroid(item["mask"]), _expected_centroid(ref, item["matrix"], stride), atol=0.5)
    no_seg = PersonInstance(people[0].image_id, people[0].box, people[0].keypoints, people[0].visible,
                            people[0].image_path)
    item = TopDownDataset([no_seg], model.codec, model.skeleton, masks=True)[0]
    assert item["mask_weight"] == 0 and item["mask"].sum() == 0
    assert segmentation_mask(people[with_mask[0]].segmentation, h, w) is not None


def test_kendall_weighting_is_the_papers_formula():
    lk, ls = torch.tensor(2.0), torch.tensor(3.0)
    s = torch.tensor([math.log(2.0), 0.0])
    # 0.5 e^{-s_k} L_k + 0.5 s_k + e^{-s_s} L_s + 0.5 s_s, by hand
    assert float(uncertainty_weighted(lk, ls, s)) == pytest.approx(0.5 * 0.5 * 2 + 0.5 * math.log(2) + 3.0, rel=1e-6)
    # its minimum over s is at s_k = log L_k, s_s = log 2 L_s: where the first-batch start puts them
    s = torch.tensor([math.log(2.0), math.log(6.0)], requires_grad=True)
    uncertainty_weighted(lk, ls, s).backward()
    torch.testing.assert_close(s.grad, torch.zeros(2), atol=1e-6, rtol=0)


def test_segmentation_loss_is_bce_over_people_with_masks():
    logits = torch.tensor([[[[0.0, 2.0]]], [[[-1.0, 1.0]]]])
    target = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]]])
    bce = lambda x, y: -(y * math.log(1 / (1 + math.exp(-x))) + (1 - y) * math.log(1 - 1 / (1 + math.exp(-x))))  # noqa: E731
    first = (bce(0.0, 1.0) + bce(2.0, 0.0)) / 2
    assert float(segmentation_loss(logits, target, torch.tensor([1.0, 0.0]))) == pytest.approx(first, rel=1e-6)
    both = (first + (bce(-1.0, 1.0) + bce(1.0, 1.0)) / 2) / 2
    assert float(segmentation_loss(logits, target, torch.tensor([1.0, 1.0]))) == pytest.approx(both, rel=1e-6)


@pytest.mark.parametrize("preset", ["simplebaseline-r18-128x96", "hourglass-2stack-128x96"])
def test_the_wrapper_is_the_pose_network_outside_training(preset):
    torch.manual_seed(0)
    model = build_model(preset, input_size=SIZE)
    wrapper = MultiTask(model, "uncertainty")
    images = torch.randn(2, 3, SIZE[1], SIZE[0])
    wrapper.train()
    out = wrapper(images)
    heat = out.pose[-1] if isinstance(out.pose, (list, tuple)) else out.pose
    assert out.segmentation.shape == (2, 1, *heat.shape[-2:])
    wrapper.eval()
    model_out = model(images)
    wrapped_out = wrapper(images)
    for a, b in zip(*(o if isinstance(o, (list, tuple)) else [o] for o in (model_out, wrapped_out))):
        torch.testing.assert_close(a, b)
    assert list(wrapper.state_dict()) == list(model.state_dict())
    assert wrapper._features == []  # no features kept from the inner model's own calls
    model(images)
    assert wrapper._features == []
    assert {n for n, _ in wrapper.named_parameters()} - {n for n, _ in model.named_parameters()} >= {"log_vars"}


def test_a_short_multitask_run_learns_the_masks_and_the_keypoints():
    """The learning claim's short deterministic version: 60 steps of an hourglass on synthetic crops
    with their generator masks (uncertainty weighting): the segmentation head's held-out IoU rises
    above both the untrained head and the all-person mask (measured 0.53 against 0.08 and 0.13), and
    the keypoints train beside it (PCK@0.1 0.50; single-task 0.58 at this budget: whether the
    masks help the keypoints is bench/multitask_synthetic.py's three-seed question)."""
    from posekit.zoo.learning_multitask import learn_multitask, segmentation_iou
    from posekit.zoo.learning_proof import synthetic_instances

    torch.set_num_threads(1)
    train = synthetic_instances(240, SIZE, seed=1, masks=True)
    held = synthetic_instances(60, SIZE, seed=4, masks=True)
    torch.manual_seed(0)
    untrained = MultiTask(build_model("hourglass-2stack-128x96", input_size=SIZE))
    base_iou = segmentation_iou(untrained, held)
    model = build_model("hourglass-2stack-128x96", input_size=SIZE)
    data = TopDownDataset(held, model.codec, model.skeleton, masks=True)
    cover = np.mean([(data[i]["mask"] > 0.5).mean() for i in range(len(held))])  # IoU of "every cell is the person"
    args = dict(model_args={"input_size": SIZE}, log_every=10**6)
    multi = learn_multitask("hourglass-2stack-128x96", 60, train, held, "uncertainty", 0, **args)
    assert multi["seg_IoU"] > max(base_iou, cover) + 0.1, (multi["seg_IoU"], base_iou, cover)
    assert multi["PCK@0.1"] > 0.4, multi
    assert multi["log_vars"][0] < -2  # the keypoint log-variance started near log L_k (~-4), not at 0


def test_train_with_a_segmentation_head_from_the_command_line(tmp_path, capsys):
    """``posekit train --multitask seg`` on synthetic people written with polygon segmentations:
    the run trains the wrapper, notes how many people have a mask, and its checkpoint is the plain
    preset's (it loads as one, without the head)."""
    from posekit.cli import main
    from posekit.zoo import load_model

    data = tmp_path / "synth"
    assert main(["synth", "--out", str(data), "--num-images", "6", "--size", "96x96", "--min-people", "1",
                 "--max-people", "2", "--min-height", "50", "--segmentation", "--quiet"]) == 0
    ann, images, out = str(data / "annotations.json"), str(data / "images"), tmp_path / "run"
    assert main(["train", "--model", "simplebaseline-r18-128x96", "--train", ann, "--train-images", images,
                 "--epochs", "1", "--batch-size", "4", "--workers", "0", "--warmup-steps", "0", "--multitask", "seg",
                 "--multitask-weighting", "uncertainty", "--out", str(out)]) == 0
    said = "".join(capsys.readouterr())
    masked = [ln for ln in said.splitlines() if "multi-task training" in ln]
    assert masked and " of " in masked[0], said
    n_masked, n_all = (int(v) for v in masked[0].split("training, ")[1].split(" people")[0].split(" of "))
    assert n_masked == n_all > 0
    model = load_model(out)
    assert type(model).__name__ != "MultiTask" and model.spec["builder"] == build_model("simplebaseline-r18-128x96").spec["builder"]
    assert main(["train", "--model", "simplebaseline-r18-128x96", "--train", ann, "--train-images", images,
                 "--epochs", "1", "--multitask", "depth", "--out", str(tmp_path / "bad")]) == 2
    assert "multitask" in capsys.readouterr().err
