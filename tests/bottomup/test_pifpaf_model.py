"""The PifPaf model: its losses against their formulas, the bottom-up model contract, the decoder's steps
against direct computations, and the checkpoint round trip through ``learn_paf`` and ``load_model``."""
import numpy as np
import torch
import torch.nn.functional as F

from posekit.bottomup.pifpaf import focal_bce, laplace_nll, pifpaf_loss, relative_l1
from posekit.codecs.contract import is_image_codec
from posekit.codecs.pifpaf_decoder import _splat, cif_hr, keypoint_nms, person_score
from posekit.zoo import PRESETS, build_model, load_model
from posekit.zoo.pifpaf import CPU_PRESET


def test_focal_bce_is_the_focal_factor_times_cross_entropy():
    logit = torch.tensor([-2.0, 0.0, 1.5, 3.0])
    target = torch.tensor([0.0, 1.0, 1.0, 0.0])
    weight = torch.tensor([1.0, 1.0, 0.5, 0.0])
    p = 1 / (1 + np.exp(-logit.numpy()))
    t = target.numpy()
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    pt = np.where(t == 1, p, 1 - p)
    np.testing.assert_allclose(float(focal_bce(logit, target, weight)), np.sum((1 - pt) * bce * weight.numpy()),
                               rtol=1e-6)
    assert np.isclose(float(focal_bce(logit, target, torch.ones(4), gamma=0.0)),
                      float(F.binary_cross_entropy_with_logits(logit, target, reduction="sum")))


def test_laplace_loss_is_its_negative_log_likelihood_and_its_spread_optimum_is_the_error():
    vec = torch.tensor([[[[0.0, 1.0]], [[0.0, 2.0]]]])                  # (1, 2, 1, 2): two cells
    target = torch.tensor([[[[3.0, 1.0]], [[4.0, 2.0]]]])               # errors 5 and 0
    raw = torch.tensor([[[0.5, -1.0]]], requires_grad=True)
    on = torch.tensor([[[1.0, 0.0]]])
    b = np.log1p(np.exp(0.5)) + 0.1
    loss = laplace_nll(vec, raw, target, on, bmin=0.1)
    np.testing.assert_allclose(float(loss.detach()), np.log(b) + 5.0 / b, rtol=1e-6)
    # d/db (ln b + n / b) = 0 at b = n: a raw spread giving b = 5 has zero gradient
    at_optimum = torch.full((1, 1, 2), float(np.log(np.expm1(4.9))), requires_grad=True)
    laplace_nll(vec, at_optimum, target, on, bmin=0.1).backward()
    assert abs(float(at_optimum.grad[0, 0, 0])) < 1e-5


def test_scale_loss_is_relative_l1_where_the_scale_is_known():
    raw = torch.tensor([0.0, 1.0, 2.0])
    target = torch.tensor([1.0, 0.0, 2.0])
    s = np.log1p(np.exp(raw.numpy()))
    expected = abs(s[0] - 1.0) / 1.1 + abs(s[2] - 2.0) / 2.1            # the unknown (0) target is left out
    np.testing.assert_allclose(float(relative_l1(raw, target, torch.ones(3))), expected, rtol=1e-6)


def test_the_loss_reads_the_codec_targets_and_perfect_fields_score_lower():
    model = build_model(CPU_PRESET)
    from posekit.zoo.learning_paf import synthetic_scenes
    from posekit.bottomup.dataset import BottomUpDataset

    held, _ = synthetic_scenes(2, (160, 160), 7)
    data = BottomUpDataset(held, model.codec, model.skeleton)
    items = [data[i] for i in range(2)]
    batch = {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in ("cif", "caf", "mask")}
    cif, caf = batch["cif"].clone(), batch["caf"].clone()
    cif[:, :, 0], caf[:, :, 0] = cif[:, :, 0] * 20 - 10, caf[:, :, 0] * 20 - 10      # confident logits
    cif[:, :, 3], caf[:, :, 5:7] = -10.0, -10.0                                      # spreads at bmin
    cif[:, :, 4] = torch.log(torch.expm1(batch["cif"][:, :, 4].clamp(min=1e-6)))
    caf[:, :, 7:9] = torch.log(torch.expm1(batch["caf"][:, :, 7:9].clamp(min=1e-6)))
    perfect = float(pifpaf_loss(cif, caf, batch["cif"], batch["caf"], batch["mask"], model.bmin))
    with torch.no_grad():
        untrained = float(model.loss(model(torch.zeros(2, 3, 160, 160)), batch))
    assert perfect < 0 < untrained                          # ln(bmin) < 0 on every target cell


def test_the_model_meets_the_bottom_up_contract():
    model = build_model(CPU_PRESET).eval()
    assert is_image_codec(model.codec) and PRESETS[CPU_PRESET].family == "bottom-up"
    for name in ("network", "codec", "skeleton", "spec", "forward", "loss", "fields", "predict_inputs"):
        assert hasattr(model, name)
    images = torch.rand(2, 3, 160, 160) * 255
    with torch.no_grad():
        out = model(images)
        cif, caf = model.fields(out)
    assert cif.shape == (2, 85, 20, 20) and caf.shape == (2, 171, 20, 20)
    c = cif.view(2, 17, 5, 20, 20)
    assert float(c[:, :, 0].min()) >= 0 and float(c[:, :, 0].max()) <= 1 and float(c[:, :, 3].min()) >= model.bmin
    people = model.predict_inputs(images)
    assert len(people) == 2
    for kp, ks, ps in people:
        assert kp.shape[1:] == (17, 2) and ks.shape == kp.shape[:2] and ps.shape == kp.shape[:1]


def test_high_resolution_accumulation_equals_a_direct_loop():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-3, 40, 30), rng.uniform(-3, 30, 30)
    sigma, value = rng.uniform(1, 4, 30), rng.uniform(0, 1, 30)
    fast = _splat((28, 36), x, y, sigma, value, 1.0)
    slow = np.zeros((28, 36))
    for i in range(30):                                                 # the Cython loop of cif_hr, in Python
        for py in range(28):
            for px in range(36):
                if abs(px - x[i]) <= sigma[i] and abs(py - y[i]) <= sigma[i]:
                    slow[py, px] += value[i] * np.exp(-0.5 * ((px - x[i]) ** 2 + (py - y[i]) ** 2) / sigma[i] ** 2)
    np.testing.assert_allclose(fast, slow, atol=1e-12)
    # sixteen votes of confidence 1 at one point: the map reaches 1 there, and no more
    votes = [np.stack([np.ones(32), np.full(32, 10.0), np.full(32, 12.0), np.zeros(32), np.full(32, 8.0)])]
    hr = cif_hr(votes, (24, 24))
    assert hr[0, 12, 10] == 1.0 and hr.max() == 1.0


def test_keypoint_nms_drops_a_worse_persons_joint_in_an_occupied_place():
    joints = np.zeros((2, 17, 3))
    joints[0, :, :2] = np.stack([np.arange(17) * 10.0, np.full(17, 50.0)], 1)
    joints[0, :, 2] = 0.9
    joints[1, :3] = [[0.0, 51.0, 0.5], [100.0, 100.0, 0.5], [200.0, 100.0, 0.1]]   # 0: on person 0's nose
    scales = np.full((2, 17), 2.0)
    keep = keypoint_nms(joints, scales, (240, 320), keypoint_threshold=0.15, instance_threshold=0.0)
    assert list(keep) == [0, 1]
    assert joints[1, 0, 2] == 0.0 and joints[1, 1, 2] == 0.5 and joints[1, 2, 2] == 0.0      # occupied; under 0.15
    # the score: sorted joint scores, best three weighing 3 (OpenPifPaf Annotation.score)
    np.testing.assert_allclose(person_score(joints[:, :, 2]), [0.9, 0.5 * 3 / 23])
    np.testing.assert_allclose(person_score(np.array([[0.2, 0.8, 0.4, 0.6] + [0.0] * 13])),
                               [(3 * (0.8 + 0.6 + 0.4) + 0.2) / 23])


def test_a_checkpoint_from_learn_paf_rebuilds_the_model(tmp_path):
    from posekit.zoo.learning_paf import learn_paf, synthetic_scenes

    torch.set_num_threads(1)
    train, _ = synthetic_scenes(8, (160, 160), 1000)
    held, gt = synthetic_scenes(2, (160, 160), 7)
    row = learn_paf(CPU_PRESET, 3, train, held, gt, seed=0, out=str(tmp_path), log_every=1)
    assert row["steps"] == 3
    loaded = load_model(tmp_path).eval()
    built = build_model(CPU_PRESET)
    assert loaded.spec == built.spec and type(loaded) is type(built) and loaded.codec == built.codec
    images = torch.rand(1, 3, 160, 160) * 255
    with torch.no_grad():
        untrained = built.eval()(images)[0]
        again = loaded(images)[0]
    assert not torch.allclose(untrained, again)          # trained weights came back, not a fresh build


def test_posekit_train_drives_the_pifpaf_preset(tmp_path, capsys):
    from posekit.cli import main

    data = tmp_path / "synth"
    assert main(["synth", "--out", str(data), "--num-images", "8", "--size", "64x64", "--min-people", "2",
                 "--max-people", "3", "--min-height", "30", "--crowd-prob", "1", "--quiet"]) == 0
    ann, images, out = str(data / "annotations.json"), str(data / "images"), tmp_path / "run"
    assert main(["train", "--model", CPU_PRESET, "--train", ann, "--train-images", images, "--val", ann,
                 "--val-images", images, "--epochs", "2", "--batch-size", "4", "--workers", "0",
                 "--warmup-steps", "0", "--lr", "1e-3", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "trained 4 of 4 steps (2 epochs)" in said and "best AP" in said
    model = load_model(out)
    assert model.spec["builder"] == "pifpaf" and model.codec.input_size == (160, 160) and model.num_limbs == 19
    kp, scores, person_scores = model.predict_inputs(torch.zeros(1, 3, 64, 96))[0]
    assert kp.shape[1:] == (17, 2) and scores.shape[1:] == (17,) and len(person_scores) == len(kp)
