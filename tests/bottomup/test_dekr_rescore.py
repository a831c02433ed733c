"""DEKR's OKS rescoring net (posekit.bottomup.rescore): its features by hand, its training on poses whose
ground-truth OKS pycocotools-equal code computes, and how it rescores."""
import numpy as np
import torch

from posekit.bottomup.rescore import RescoreNet, best_oks, fit_rescorer, pose_features
from posekit.skeletons import COCO17
from test_dekr_round_trip import TargetsNetwork, crowds, scene_instances


def test_features_are_limb_vectors_lengths_and_scores_over_the_box_diagonal():
    kp = np.array([[[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]])
    f = pose_features(kp, np.array([[0.5, 0.25, 1.0]]), ((0, 1), (1, 2)))
    diag = 10.0                                                        # box 6 x 8
    np.testing.assert_allclose(f[0], [-0.3, -0.4, -0.3, -0.4, 0.5, 0.5, 0.5, 0.25, 1.0], rtol=1e-6)
    assert f.shape == (1, 3 * 2 + 3) and diag == 10.0


def _rows(n_scenes: int, seed: int):
    """Ground-truth poses of crowds, each perturbed by its own noise level; keypoint scores that fall
    with the noise (as a network's heat values do); their best OKS with the ground truth."""
    rng = np.random.default_rng(seed)
    kps, kss, oks = [], [], []
    for scene in crowds(n_scenes, seed=seed):
        kp, vis = scene.keypoints, scene.visibility
        scale = rng.uniform(0.0, 12.0, len(kp))
        noisy = kp + rng.normal(0, 1, kp.shape) * scale[:, None, None]
        scores = np.clip(np.exp(-scale[:, None] / 6) + rng.normal(0, 0.1, vis.shape), 0, 1)
        kps.append(noisy)
        kss.append(scores)
        oks.append(best_oks(noisy, kp, vis, scene.areas, scene.boxes, COCO17.sigma_array()))
    return np.concatenate(kps), np.concatenate(kss), np.concatenate(oks)


def test_trained_net_predicts_the_oks_of_held_out_poses():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train, test = _rows(60, 1), _rows(15, 2)
    net = RescoreNet(COCO17)
    assert not bool(net.active)
    losses = fit_rescorer(net, *train, epochs=100, batch_size=128)
    pred = net.predict(test[0], test[1])
    mse, baseline = np.mean((pred - test[2]) ** 2), np.var(test[2])
    rank = np.corrcoef(np.argsort(np.argsort(pred)), np.argsort(np.argsort(test[2])))[0, 1]
    # measured (542 training, 167 held-out poses): held-out MSE 0.0147 against the OKS variance 0.0645,
    # rank correlation 0.87
    assert losses[-1] < losses[0] and mse < 0.5 * baseline and rank > 0.7, (mse, baseline, rank)
    assert bool(net.active)


def test_rescore_multiplies_by_the_predicted_oks_and_re_sorts():
    net = RescoreNet(COCO17)
    kp = np.random.default_rng(0).random((3, 17, 2)) * 100
    ks, person = np.ones((3, 17)), np.array([0.9, 0.5, 0.1])
    same = net.rescore(kp, ks, person)
    assert same[2] is person                                           # inactive: untouched
    net.active.fill_(True)
    new_kp, _, new = net.rescore(kp, ks, person)
    want = person * net.predict(kp, ks)
    order = np.argsort(-want, kind="stable")
    np.testing.assert_allclose(new, want[order])
    np.testing.assert_allclose(new_kp, kp[order])


def test_training_rows_are_the_models_own_predictions_with_their_oks():
    from posekit.bottomup.dataset import BottomUpDataset
    from posekit.bottomup.rescore import rescore_rows
    from posekit.zoo import build_model

    model = build_model("dekr-small-160x160", input_size=(512, 384))
    instances, gt = scene_instances(list(crowds(3, seed=12)))
    data = BottomUpDataset(instances, model.codec, model.skeleton)
    model.network = TargetsNetwork([data[i] for i in range(len(data))], ("heatmaps", "offsets"))
    kp, ks, oks = rescore_rows(model, instances, gt)
    people = sum(len(i.keypoints) for i in instances)
    assert kp.shape == (len(oks), 17, 2) and ks.shape == (len(oks), 17)
    # the ground-truth targets decode to the people themselves: nearly every row's OKS is 1
    assert len(oks) >= 0.9 * people and np.mean(oks > 0.95) >= 0.9 and np.all(oks <= 1)
