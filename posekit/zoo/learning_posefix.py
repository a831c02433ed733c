"""Training PoseFix on synthetic people: input poses perturbed by the error kinds of real estimators.

PoseFix (Moon, Chang, Lee, CVPR 2019; the network is :mod:`posekit.topdown.posefix`) is trained on
ground-truth poses made wrong in the ways estimators are wrong, following Ruggero Ronchi & Perona
(ICCV 2017)'s kinds: jitter (a small displacement), inversion (a left/right swap), swap (a keypoint
of another person) and miss (a keypoint far off). The errors come from the per-frame estimator
model of :mod:`posekit.video.track_errors` (``simulate_estimates`` with one frame per person, so
the drift is one more draw of white noise and every event lasts one frame), at the larger rates of
:data:`POSEFIX_ERRORS`: about one keypoint in 11 is an outlier, inverted or missed, against 1 in 40
per frame for video. The rates are set by hand, not fitted to an estimator nor taken from
PoseFix's or Ronchi & Perona's statistics. The swap with another person's keypoint is left out: the
synthetic crops hold one labelled person.

Each training item's errors are drawn afresh per (seed, epoch, index), as the augmentation is, so
a run is a function of its seed. The crops are :mod:`posekit.zoo.learning_proof`'s synthetic
people, augmented as the learning proof's (scale only, no flips).
"""
from __future__ import annotations

import numpy as np

from ..topdown.dataset import PersonInstance, TopDownDataset
from ..topdown.posefix import PoseFix, PoseFixConfig, refine_crops, render_pose
from ..topdown.transforms import apply_affine
from ..video.track_errors import EstimatorErrors, simulate_estimates
from .learning_proof import SYNTHETIC_AUGMENT, fit_steps, score_predictions

__all__ = ["POSEFIX_ERRORS", "perturb_poses", "PoseFixData", "train_posefix", "refine_instances", "posefix_scorer"]

POSEFIX_ERRORS = EstimatorErrors(noise=0.8, drift=0.8, outlier_rate=0.04, outlier_size=(0.1, 0.4), swap_rate=0.03,
                                 drop_rate=0.03, box_noise=0.0)


def perturb_poses(rng: np.random.Generator, keypoints: np.ndarray, visible: np.ndarray, boxes: np.ndarray,
                  errors: EstimatorErrors = POSEFIX_ERRORS, skeleton=None) -> tuple[np.ndarray, np.ndarray]:
    """What an estimator might report for each of N people: keypoints (N, K, 2) and scores (N, K),
    from the true ``keypoints`` (N, K, 2), ``visible`` (N, K) and ``boxes`` (N, 4) x y w h."""
    from ..skeletons import COCO17

    sk = skeleton or COCO17
    kp, sc = np.zeros(np.shape(keypoints)), np.zeros(np.shape(keypoints)[:2])
    for i in range(len(kp)):
        est, score, _ = simulate_estimates(rng, keypoints[i][None], visible[i][None], np.asarray(boxes[i])[None],
                                           errors, sk)
        kp[i], sc[i] = est[0], score[0]
    return kp, sc


class PoseFixData:
    """Training items for PoseFix: the top-down crop of each instance (augmented) with its perturbed
    pose rendered as K extra channels, and the codec's targets for the true pose."""

    def __init__(self, instances: list[PersonInstance], model: PoseFix, errors: EstimatorErrors = POSEFIX_ERRORS,
                 augment=SYNTHETIC_AUGMENT, seed: int = 0):
        self.crops = TopDownDataset(instances, model.codec, model.skeleton, augment, seed=seed)
        self.config, self.errors, self.skeleton, self.seed = model.config, errors, model.skeleton, seed

    def __len__(self) -> int:
        return len(self.crops)

    def set_epoch(self, epoch: int) -> None:
        self.crops.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict:
        item = self.crops[index]
        inst = self.crops.instances[index]
        rng = np.random.default_rng([self.seed, self.crops.epoch, index, 16])
        kp, _ = perturb_poses(rng, inst.keypoints[None], inst.visible[None], inst.box[None], self.errors,
                              self.skeleton)
        crop_kp = apply_affine(kp, item["matrix"])
        maps = render_pose(crop_kp, np.ones(crop_kp.shape[:2], bool), self.config.input_size, self.config.pose_sigma)
        item["image"] = np.concatenate([item["image"], maps[0]], 0)
        return item


def refine_instances(model: PoseFix, instances: list[PersonInstance], keypoints: np.ndarray,
                     batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Refined keypoints (N, K, 2) in image pixels and scores (N, K) of the poses ``keypoints``
    (N, K, 2, image pixels) that some estimator gave for ``instances`` (the evaluation crops)."""
    from ..engine.cpu import flush_denormals
    from ..topdown.transforms import invert_affine

    ds = TopDownDataset(instances, model.codec, model.skeleton, None, encode=False)
    items = [ds[i] for i in range(len(ds))]
    crops = np.stack([it["image"] for it in items])
    matrices = np.stack([it["matrix"] for it in items])
    keypoints = np.asarray(keypoints, np.float64)
    with flush_denormals(True):
        kp, ks = refine_crops(model, crops, apply_affine(np.nan_to_num(keypoints), matrices),
                              np.isfinite(keypoints).all(-1), batch_size)
    return apply_affine(kp, invert_affine(matrices)), ks


def posefix_scorer(held_out: list[PersonInstance], errors: EstimatorErrors = POSEFIX_ERRORS, seed: int = 0):
    """``score(model) -> {"PCK@0.1", "PCK@0.2", "AP"}`` of PoseFix refining perturbed true poses of
    ``held_out`` (the same perturbation for every call), and ``inputs``, the scores of those inputs."""
    from ..skeletons import COCO17

    gt = np.stack([p.keypoints for p in held_out])
    vis = np.stack([p.visible for p in held_out])
    kp, sc = perturb_poses(np.random.default_rng([seed, 10_000]), gt, vis, np.stack([p.box for p in held_out]),
                           errors)

    def score(model) -> dict:
        was = model.training
        out = score_predictions(*refine_instances(model, held_out, kp), held_out, model.skeleton)
        model.train(was)
        return out

    return score, score_predictions(kp, sc, held_out, COCO17)


def train_posefix(train: list[PersonInstance], steps: int, seed: int = 0, config: PoseFixConfig = PoseFixConfig(),
                  errors: EstimatorErrors = POSEFIX_ERRORS, score=None, out: str | None = None,
                  **settings) -> tuple[PoseFix, dict]:
    """``(model, summary)``: PoseFix trained from scratch for ``steps`` steps on ``train`` with perturbed
    input poses; ``score(model)``, given, is the Trainer's validation (at the end). ``settings``
    override :class:`TrainConfig` fields (defaults: the learning proof's, Adam 3e-3, batch 8, cosine,
    bf16 on the CPU)."""
    from ..engine.trainer import seed_everything

    seed_everything(seed)
    model = PoseFix(config)
    summary = fit_steps(model, lambda augment: PoseFixData(train, model, errors, augment, seed), len(train), steps,
                        score, "PCK@0.1", seed, out, **settings)
    return model, summary
