"""Each CPU-sized regression preset learns: twenty optimiser steps on a few synthetic people
(posekit.data.synthetic) lower its training loss (the pattern of tests/engine/test_learning_synthetic.py,
tiny). To keep each test a few seconds, the presets are built at 96x64 and trained in batches of 4.

The learning proof of every family (minutes of training, PCK on held-out people) is
tests/engine/test_learning_zoo.py."""
import numpy as np
import pytest

from posekit.engine.config import TrainConfig
from posekit.engine.curves import read_csv
from posekit.engine.trainer import Trainer, seed_everything
from posekit.topdown.dataset import PersonInstance, TopDownDataset
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import build_model

W, H = 64, 96
NO_AUGMENT = RandomAugment(flip_prob=0, scale_factor=0, rotation_prob=0, half_body_prob=0)


@pytest.fixture(scope="module")
def people():
    from posekit.data.synthetic import make_crops

    images, keypoints = make_crops(8, size=(W, H), seed=1)
    box = np.array([W / 2 - W / 2.5, H / 2 - H / 2.5, W / 1.25, H / 1.25])
    return [PersonInstance(i, box, keypoints[i, :, :2].astype(np.float64), keypoints[i, :, 2].astype(np.int64),
                           image=images[i]) for i in range(len(images))]


@pytest.mark.parametrize("name", ["deeppose-r18-128x96", "deeppose-r18-128x96-cascade3", "integral-r18-128x96",
                                  "rle-r18-128x96", "simcc-r18-128x96"])
def test_loss_falls_in_twenty_steps(name, people, tmp_path):
    seed_everything(0)
    model = build_model(name, input_size=(W, H))
    ds = TopDownDataset(people * 10, model.codec, model.skeleton, NO_AUGMENT)
    cfg = TrainConfig(epochs=1, batch_size=4, lr=2e-3, warmup_steps=0, workers=0, log_every=1, out=str(tmp_path),
                      augment=NO_AUGMENT, amp="off", grad_clip=1.0)
    Trainer(model, ds, cfg).fit()
    loss = np.array([float(r["loss"]) for r in read_csv(tmp_path / "steps.csv")])
    print(name, np.round(loss, 4))
    assert len(loss) == 20 and np.isfinite(loss).all()
    first, last = np.median(loss[:5]), np.median(loss[-5:])  # medians: RLE's likelihood has spikes
    assert last < first - 0.3 * abs(first)
