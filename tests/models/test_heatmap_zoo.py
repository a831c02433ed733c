"""The heatmap architecture zoo as a whole: specs and checkpoints rebuild every preset, and each
family's CPU-sized preset learns on synthetic people through the ordinary engine."""
import numpy as np
import pytest
import torch

from posekit.engine.checkpoint import save_weights
from posekit.zoo import load_model
from posekit.engine.config import TrainConfig
from posekit.engine.curves import read_csv
from posekit.engine.trainer import Trainer, seed_everything
from posekit.models.complexity import count_parameters
from posekit.topdown.dataset import PersonInstance, TopDownDataset
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import BUILDERS, HEATMAP, PRESETS, build_from_spec

FAMILIES = ("hrnet", "hourglass", "cpm", "cpn")
ZOO = sorted(name for name, p in PRESETS.items() if p.section == HEATMAP and name.split("-")[0] in FAMILIES)
CPU_PRESETS = ["hrnet-w16-128x96", "hourglass-2stack-128x96", "cpm-128x96", "cpn-r18-128x96"]
NO_AUGMENT = RandomAugment(flip_prob=0, scale_factor=0, rotation_prob=0, half_body_prob=0)


def test_every_family_has_presets_and_a_builder():
    for family in FAMILIES:
        assert family in BUILDERS and any(n.startswith(family + "-") for n in ZOO)
    assert set(CPU_PRESETS) <= set(ZOO)
    for name in ZOO:
        published = PRESETS[name].published
        assert not published or published["source"], name


@pytest.mark.parametrize("name", ZOO + sorted(n for n, p in PRESETS.items() if p.section.startswith("1.4")))
def test_spec_rebuilds_the_same_network(name):
    """Every heatmap preset, the light ones (survey section 1.4) included."""
    preset = PRESETS[name]
    with torch.device("meta"):
        model = preset.build()
        again = build_from_spec(model.spec)
    assert again.spec == model.spec and model.input_size == preset.input_size
    shapes = lambda m: [(k, v.shape) for k, v in m.state_dict().items()]  # noqa: E731
    assert shapes(again) == shapes(model)


def test_checkpoint_round_trip_of_a_multi_stage_model(tmp_path):
    torch.manual_seed(0)
    model = build_from_spec(PRESETS["hourglass-2stack-128x96"].build(skeleton="mpii16", sigma=1.8).spec)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    save_weights(model.eval(), tmp_path / "hg.safetensors")
    loaded = load_model(tmp_path / "hg.safetensors")
    assert loaded.skeleton.name == "mpii16" and loaded.codec.sigma == 1.8
    assert count_parameters(loaded) == count_parameters(model)
    x = torch.randn(1, 3, 128, 96)
    for a, b in zip(model(x), loaded(x)):
        assert torch.equal(a, b)


def _synthetic_people(size, n=8):
    from posekit.data import synthetic

    w, h = size
    images, keypoints = synthetic.make_crops(n, size=size, seed=3)
    box = np.array([w / 2 - w / 2.5, h / 2 - h / 2.5, w / 1.25, h / 1.25])
    return [PersonInstance(i, box, keypoints[i, :, :2].astype(np.float64), keypoints[i, :, 2].astype(np.int64),
                           image=images[i]) for i in range(n)]


@pytest.mark.parametrize("name", CPU_PRESETS)
def test_cpu_preset_learns_synthetic_people(name, tmp_path):
    """30 steps of 4 crops of 64x96 (8 distinct people): the loss ends below what blank heatmaps score, i.e. the model
    puts peaks in the right places."""
    seed_everything(0)
    model = PRESETS[name].build(input_size=(64, 96))  # a smaller crop than the preset's, to keep the test short
    people = _synthetic_people(model.input_size)
    ds = TopDownDataset(people * 15, model.codec, model.skeleton, NO_AUGMENT)
    batch = {k: torch.as_tensor(np.stack([ds[i][k] for i in range(len(people))])) for k in ("target", "target_weight")}
    with torch.no_grad():
        stages = model(torch.zeros(1, 3, *model.input_size[::-1]))
        blank = model.loss([torch.zeros_like(batch["target"]) for _ in stages] if isinstance(stages, list)
                           else torch.zeros_like(batch["target"]), batch).item()
    cfg = TrainConfig(epochs=1, batch_size=4, lr=1e-3, warmup_steps=5, workers=0, log_every=1, out=str(tmp_path),
                      augment=NO_AUGMENT)
    Trainer(model, ds, cfg).fit()
    loss = np.array([float(r["loss"]) for r in read_csv(tmp_path / "steps.csv")])
    assert len(loss) == 30 and np.isfinite(loss).all()
    assert loss[-5:].mean() < 0.9 * blank, (loss, blank)
