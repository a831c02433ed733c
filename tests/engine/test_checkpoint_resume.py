"""Checkpoints and exact resumption: a run interrupted mid-epoch and resumed repeats the uninterrupted run."""
import numpy as np
import pytest
import torch

from posekit.data.coco import load_coco
from posekit.zoo import load_model
from posekit.engine.config import TrainConfig
from posekit.engine.curves import read_csv
from posekit.engine.trainer import Trainer, seed_everything
from posekit.errors import ModelError
from posekit.topdown.dataset import TopDownDataset, person_instances
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import build_model


def _run(gt, images, out, **overrides):
    coco = load_coco(gt)
    seed_everything(0)
    model = build_model("simplebaseline-r18-128x96")
    people = person_instances(coco, images, train=True)
    ds = TopDownDataset(people, model.codec, model.skeleton, RandomAugment(), seed=0)
    cfg = TrainConfig(**{**dict(epochs=2, batch_size=4, lr=1e-3, warmup_steps=2, workers=0, log_every=1,
                                out=str(out), val_every=1, grad_clip=1.0), **overrides})
    summary = Trainer(model, ds, cfg).fit()
    return model, summary


@pytest.fixture(scope="module")
def straight(coco_handful, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    model, _ = _run(*coco_handful, out)
    return out, model


def test_resume_mid_epoch_repeats_the_run(coco_handful, straight, tmp_path):
    ref_dir, ref_model = straight
    _, first = _run(*coco_handful, tmp_path, max_minutes=1e-9)   # out of time after the first step
    assert first["stopped_by_budget"] and first["steps"] == 1
    resumed, second = _run(*coco_handful, tmp_path, resume=True)
    assert second["steps"] == 4
    ref = [(r["step"], r["loss"], r["lr"]) for r in read_csv(ref_dir / "steps.csv")]
    got = [(r["step"], r["loss"], r["lr"]) for r in read_csv(tmp_path / "steps.csv")]
    assert got == ref
    for (name, a), b in zip(ref_model.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_checkpoint_rebuilds_the_model(straight):
    run_dir, model = straight
    loaded = load_model(run_dir)
    x = torch.randn(2, 3, 128, 96)
    model.eval()
    assert torch.allclose(loaded(x), model(x), rtol=1e-4, atol=1e-6)  # same weights; memory formats differ
    assert loaded.spec == model.spec and loaded.codec == model.codec


def test_not_a_checkpoint_is_a_model_error(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="x.safetensors"):
        load_model(tmp_path / "x.safetensors")
    with pytest.raises(ModelError, match="no such checkpoint"):
        load_model(tmp_path / "missing")
