"""The engine learns: overfitting a handful of real COCO people lowers the loss and gives AP > 0."""
import numpy as np

from posekit.data.coco import load_coco
from posekit.engine.config import TrainConfig
from posekit.engine.curves import read_csv
from posekit.engine.trainer import Trainer, seed_everything
from posekit.models.heads.deconv import DeconvHead
from posekit.topdown.dataset import TopDownDataset, person_instances
from posekit.topdown.training import topdown_validator
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import simplebaseline

NO_AUGMENT = RandomAugment(flip_prob=0, scale_factor=0, rotation_prob=0, half_body_prob=0)


def test_overfit_a_handful_of_coco_people(coco_handful, tmp_path):
    gt, images = coco_handful
    coco = load_coco(gt)
    seed_everything(0)
    # SimpleBaseline-R18 with a slim head at 96x64, so fifty steps take seconds on two cores
    model = simplebaseline(18, input_size=(64, 96), sigma=1.5)
    model.head = DeconvHead(model.backbone.out_channels, model.skeleton.num_keypoints, channels=64)
    people = person_instances(coco, images, train=True)
    assert len(people) == 8
    ds = TopDownDataset(people * 10, model.codec, model.skeleton, NO_AUGMENT)
    cfg = TrainConfig(epochs=5, batch_size=8, lr=2e-3, warmup_steps=0, workers=0, log_every=1, out=str(tmp_path),
                      val_every=5, augment=NO_AUGMENT)
    summary = Trainer(model, ds, cfg, topdown_validator(coco, images, flip=False), "AP").fit()
    loss = np.array([float(r["loss"]) for r in read_csv(tmp_path / "steps.csv")])
    assert len(loss) == 50
    assert loss[-5:].mean() < 0.6 * loss[:5].mean()
    assert summary["metrics"]["AP"] > 0 and summary["best"] == summary["metrics"]["AP"]
    epochs = read_csv(tmp_path / "log.csv")
    assert [int(r["epoch"]) for r in epochs] == [1, 2, 3, 4, 5] and epochs[-1]["AP"] != ""
    assert (tmp_path / "best.safetensors").exists() and (tmp_path / "curve.png").stat().st_size > 1000
