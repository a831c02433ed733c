"""HigherHRNet presets: parameter counts against the papers, the bottom-up model contract, the codec's
targets against the formulas, training through learn_paf and the checkpoint round trip."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from posekit.codecs.associative_embedding import AECodec
from posekit.codecs.contract import is_image_codec
from posekit.models.complexity import count_parameters
from posekit.zoo import PRESETS, build_model, load_model
from posekit.zoo.associative_embedding import CPU_PRESET, CPU_SWAHR_PRESET
from posekit.zoo.learning_paf import learn_paf, synthetic_scenes


@pytest.mark.parametrize("name", ["higherhrnet-w32-512", "higherhrnet-w48-640"])
def test_parameters_match_the_paper(name):
    # measured: 28.645 M (paper 28.6), 63.827 M (paper 63.8)
    model = build_model(name)
    published = PRESETS[name].published["params_m"]
    assert count_parameters(model) / 1e6 == pytest.approx(published, rel=0.03)


def test_presets_are_bottom_up_with_the_papers_figures():
    assert PRESETS["higherhrnet-w32-512"].published["coco_val_ap"] == 67.1
    assert PRESETS["higherhrnet-w48-640"].published["coco_val_ap_multiscale"] == 72.1
    assert PRESETS["higherhrnet-swahr-w32-512"].published["coco_val_ap"] == 68.9
    for name in ("higherhrnet-w32-512", CPU_PRESET, CPU_SWAHR_PRESET):
        assert PRESETS[name].family == "bottom-up"


def test_encode_matches_the_gaussian_and_the_flat_joint_index():
    codec = AECodec((64, 32), 2, (4, 2), sigma=2.0, max_people=3)
    kp = np.array([[[10.0, 6.0], [70.0, 6.0]], [[30.0, 20.0], [30.5, 21.0]]])   # (P=2, K=2, 2); one joint off the map
    vis = np.array([[2, 2], [1, 0]])
    t = codec.encode_image(kp, vis)
    assert t["heatmaps_0"].shape == (2, 8, 16) and t["heatmaps_1"].shape == (2, 16, 32)
    # stride 4: input x 10 -> grid (10.5 / 4 - 0.5) = 2.125, y 6 -> 1.125; cell (x 2, y 1)
    gx, gy = 2.125, 1.125
    assert t["heatmaps_0"][0, 1, 2] == pytest.approx(np.exp(-((2 - gx) ** 2 + (1 - gy) ** 2) / 8), rel=1e-6)
    # cell (x 9, y 1): the maximum over people; person 1's joint 0 at grid (7.125, 4.625)
    g0 = np.exp(-((9 - gx) ** 2 + (1 - gy) ** 2) / 8)
    g1 = np.exp(-((9 - 7.125) ** 2 + (1 - 4.625) ** 2) / 8)
    assert t["heatmaps_0"][0, 1, 9] == pytest.approx(max(g0, g1), rel=1e-6)
    assert t["heatmaps_0"][0, 1, 15] == 0.0                                   # beyond 3 sigma + 1 cells of both
    assert t["heatmaps_0"][1].max() == 0.0                                   # off the map / unlabelled
    # joints: flat index k h w + y w + x at stride 4 (h 8, w 16); person 1 joint 0 at (30, 20) -> cell (7, 5)
    assert t["joints"].shape == (3, 2, 2)
    assert t["joints"][0].tolist() == [[1 * 16 + 2, 1], [0, 0]]
    assert t["joints"][1].tolist() == [[5 * 16 + 7, 1], [0, 0]]
    assert not t["joints"][2].any()
    mask = np.ones((32, 64), bool)
    mask[:4, :2] = False
    assert codec.encode_image(kp, vis, mask)["mask_0"][0, 0] == pytest.approx(0.5)


def test_the_model_follows_the_bottom_up_contract():
    model = build_model(CPU_PRESET).eval()
    assert is_image_codec(model.codec) and model.skeleton.num_keypoints == 17 and model.spec["builder"]
    images = torch.rand(2, 3, 160, 160) * 255
    with torch.no_grad():
        out = model(images)
    assert [tuple(o.shape) for o in out] == [(2, 34, 40, 40), (2, 17, 80, 80)]
    heat, tags = model.fields(out)
    up = F.interpolate(out[0][:, :17], size=(80, 80), mode="bilinear", align_corners=False)
    assert torch.allclose(heat, (up + out[1]) / 2) and torch.equal(tags, out[0][:, 17:])
    people = model.predict_inputs(images)
    assert len(people) == 2 and all(kp.shape[1:] == (17, 2) for kp, _, _ in people)
    model.flip_test = True
    assert len(model.predict_inputs(images)) == 2


def test_swahr_model_predicts_scale_maps_and_trains_on_them():
    model = build_model(CPU_SWAHR_PRESET)
    train, _ = synthetic_scenes(2, (160, 160), 3)
    from posekit.bottomup.dataset import BottomUpDataset

    data = BottomUpDataset(train, model.codec, model.skeleton)
    batch = {k: torch.from_numpy(np.stack([data[i][k] for i in range(2)])) for k in data[0] if k not in ("matrix", "index")}
    out = model(batch["image"])
    assert [o.shape[1] for o in out] == [17 * 3, 17 * 2]
    loss = model.loss(out, batch)
    loss.backward()
    assert torch.isfinite(loss) and model.network.head.final[0].weight.grad.abs().sum() > 0


def test_training_steps_then_the_checkpoint_rebuilds_the_model(tmp_path):
    torch.set_num_threads(1)
    train, _ = synthetic_scenes(16, (160, 160), 1000)
    held_out, gt = synthetic_scenes(4, (160, 160), 7)
    row = learn_paf(CPU_PRESET, 4, train, held_out, gt, seed=0, out=str(tmp_path))
    assert row["steps"] == 4
    loaded = load_model(tmp_path)
    assert loaded.spec == build_model(CPU_PRESET).spec and type(loaded).__name__ == "AEModel"
    images = torch.rand(1, 3, 160, 160) * 255
    with torch.no_grad():
        fresh = build_model(CPU_PRESET).eval()(images)
        again = loaded(images)
    assert not torch.allclose(fresh[1], again[1])                          # trained weights, not a fresh net
    assert isinstance(loaded.codec, AECodec) and loaded.codec == build_model(CPU_PRESET).codec
