"""The learning proof: SimpleBaseline-R18 at 128x96, trained from scratch on the CPU for at most
five minutes on synthetic people, localises held-out synthetic people (PCK@0.1 >= 0.8).

Slow (five minutes of two cores, plus data): ``pytest -m slow tests/engine/test_learning_synthetic.py``.

No horizontal flips, in training or at test time: the synthetic people carry a light stripe on
their left limbs and a dark one on their right (posekit.data.synthetic.render), and a mirror
image keeps the stripes while swapping the labels, so flip augmentation teaches the network that
a light stripe means left half the time and right the other half. With flips the same run
stalls at PCK@0.1 0.78, 93% of its far misses left/right swaps; without, it passes 0.9 in one epoch.
"""
import numpy as np
import pytest

from posekit.engine.config import TrainConfig
from posekit.engine.trainer import Trainer, seed_everything
from posekit.evaluation.pck import box_size, pck
from posekit.topdown.dataset import PersonInstance, TopDownDataset
from posekit.topdown.inference import predict_instances
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import build_model

W, H = 96, 128


def synthetic_people(n: int, seed: int) -> list[PersonInstance]:
    """In-memory crops from posekit's generator, each framed as a 1.25-padded box would frame it."""
    synthetic = pytest.importorskip("posekit.data.synthetic", reason="needs the synthetic generator")
    images, keypoints = synthetic.make_crops(n, size=(W, H), seed=seed)
    box = np.array([W / 2 - W / 2.5, H / 2 - H / 2.5, W / 1.25, H / 1.25])
    return [PersonInstance(i, box, keypoints[i, :, :2].astype(np.float64), keypoints[i, :, 2].astype(np.int64),
                           image=images[i]) for i in range(n)]


@pytest.mark.slow
def test_simplebaseline_r18_learns_synthetic_people_in_five_minutes(tmp_path):
    train, held_out = synthetic_people(6000, seed=1), synthetic_people(300, seed=2)
    seed_everything(0)
    model = build_model("simplebaseline-r18-128x96", sigma=2.0)
    augment = RandomAugment(flip_prob=0.0, scale_factor=0.1, rotation_prob=0.0, half_body_prob=0.0)
    gt = np.stack([p.keypoints for p in held_out])
    labelled = np.stack([p.visible for p in held_out]) > 0
    size = box_size(np.stack([p.box for p in held_out]))

    def validate(m):
        kp, _ = predict_instances(m, held_out, 64, flip=False, progress=False)
        return {"PCK@0.1": pck(kp, gt, labelled, size, 0.1), "PCK@0.2": pck(kp, gt, labelled, size, 0.2)}

    cfg = TrainConfig(epochs=2, batch_size=8, lr=3e-3, schedule="cosine", warmup_steps=50, amp="bf16",
                      max_minutes=5.0, workers=0, out=str(tmp_path), augment=augment, log_every=50)
    summary = Trainer(model, TopDownDataset(train, model.codec, model.skeleton, augment), cfg, validate,
                      "PCK@0.1").fit()
    print(summary)
    assert summary["minutes"] <= 5.5  # the budget, plus the last validation
    assert summary["best"] >= 0.8
