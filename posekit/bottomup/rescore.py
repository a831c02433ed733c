"""DEKR's pose rescoring net (Geng et al., CVPR 2021; official ``lib/models/predictOKS.py``
and ``lib/utils/rescore.py``): a small MLP that predicts a detected pose's OKS with the ground truth
from the pose alone, trained on a model's own predictions; at test time a person's score is multiplied
by the predicted OKS, so that poses likely to be right rank first (AP is a ranking measure).

Features (DEKR's ``get_feature``): for every limb ``(a, b)`` of the skeleton the vector ``p_a - p_b`` and its
length, normalised, and every keypoint's score. DEKR normalises by the mean of two torso links (COCO's
shoulder-hip pairs); posekit by the diagonal of the pose's box, which every skeleton has (at least 1
pixel, as DEKR's ``normalize[normalize < 1] = 1``), and uses the skeleton's own limbs (for COCO-17 the 19
of :data:`posekit.skeletons.COCO17`; DEKR's list differs by a few face links).

Net (``PredictOKSNet``): Linear(features, 256) - ReLU - Linear(256, 256) - ReLU - Linear(256, 1),
Kaiming-uniform weights (``a = 1``) and zero biases. Training (``rescore_coco.yaml``): Adam at 1e-3,
mean squared error against the OKS, batches of 1024, 20 epochs. The target of a detection is its largest
OKS over the image's ground-truth people (DEKR takes the OKS of the match COCOeval makes, which is that
maximum unless two detections claim one person).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ..oks import oks_matrix
from ..skeletons import Skeleton

__all__ = ["RescoreNet", "pose_features", "fit_rescorer", "best_oks", "rescore_rows"]


def pose_features(keypoints: np.ndarray, scores: np.ndarray, limbs) -> np.ndarray:
    """(M, 3L + K) float32: limb vectors (2L) and lengths (L) over the pose's box diagonal, keypoint scores (K)."""
    kp = np.asarray(keypoints, np.float64).reshape(len(keypoints), -1, 2)
    a, b = np.asarray(limbs, int).reshape(-1, 2).T
    rel = kp[:, a] - kp[:, b]                                              # (M, L, 2)
    length = np.linalg.norm(rel, axis=-1)
    diag = np.linalg.norm(kp.max(1) - kp.min(1), axis=-1) if kp.size else np.zeros(len(kp))
    norm = np.maximum(diag, 1.0)[:, None]
    return np.concatenate([(rel / norm[..., None]).reshape(len(kp), -1), length / norm,
                           np.asarray(scores, np.float64).reshape(len(kp), -1)], 1).astype(np.float32)


class RescoreNet(nn.Module):
    """The OKS predictor for ``skeleton``'s poses; ``active`` (a buffer, saved in checkpoints) says
    whether it has been trained and :meth:`rescore` applies it."""

    def __init__(self, skeleton: Skeleton, hidden: int = 256):
        super().__init__()
        self.limbs = tuple(skeleton.limbs)
        k, n_limbs = skeleton.num_keypoints, len(skeleton.limbs)
        self.mlp = nn.Sequential(nn.Linear(3 * n_limbs + k, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)
        self.register_buffer("active", torch.zeros((), dtype=torch.bool))

    def forward(self, features: Tensor) -> Tensor:
        return self.mlp(features)[:, 0]

    @torch.no_grad()
    def predict(self, keypoints: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """(M,) the predicted OKS of each pose."""
        if not len(keypoints):
            return np.zeros(0)
        x = torch.from_numpy(pose_features(keypoints, scores, self.limbs)).to(self.active.device)
        out = self(x).cpu().double().numpy()
        return np.nan_to_num(out, nan=0.0)

    def rescore(self, keypoints: np.ndarray, scores: np.ndarray, person: np.ndarray):
        """The people with ``person`` scores times their predicted OKS, re-sorted (as they came when inactive)."""
        if not bool(self.active) or not len(keypoints):
            return keypoints, scores, person
        new = person * self.predict(keypoints, scores)
        order = np.argsort(-new, kind="stable")
        return keypoints[order], scores[order], new[order]


def fit_rescorer(net: RescoreNet, keypoints: np.ndarray, scores: np.ndarray, oks: np.ndarray, epochs: int = 20,
                 lr: float = 1e-3, batch_size: int = 1024, seed: int = 0) -> list[float]:
    """Train ``net`` on poses (M, K, 2), their keypoint scores (M, K) and target OKS (M,); marks it
    active. Returns the mean training loss of each epoch."""
    x = torch.from_numpy(pose_features(keypoints, scores, net.limbs))
    y = torch.as_tensor(np.asarray(oks), dtype=torch.float32)
    opt = torch.optim.Adam(net.mlp.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total, batches = 0.0, 0
        for s in range(0, len(x), batch_size):
            idx = order[s:s + batch_size]
            opt.zero_grad()
            loss = ((net(x[idx]) - y[idx]) ** 2).mean()
            loss.backward()
            opt.step()
            total, batches = total + loss.item(), batches + 1
        losses.append(total / max(batches, 1))
    net.eval()
    net.active.fill_(True)
    return losses


def best_oks(found: np.ndarray, gt_keypoints: np.ndarray, gt_visible: np.ndarray, gt_areas: np.ndarray,
             gt_boxes: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """(M,) each detection's largest COCO OKS (:func:`posekit.oks.oks_matrix`) over the ground truth (0 without any)."""
    if not len(found) or not len(gt_keypoints):
        return np.zeros(len(found))
    gt = np.concatenate([gt_keypoints, gt_visible[..., None]], -1)
    return oks_matrix(found, gt, gt_areas, gt_boxes, sigmas).max(1)


def rescore_rows(model, instances, gt: dict, batch_size: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A model's own predictions on ``instances`` (its rescorer left out) and their best OKS with the
    COCO ground truth ``gt``: keypoints (M, K, 2), keypoint scores (M, K), OKS (M,), the rescorer's
    training rows."""
    from .inference import predict_images

    was = bool(model.rescorer.active)
    model.rescorer.active.fill_(False)
    try:
        found = predict_images(model, instances, batch_size)
    finally:
        model.rescorer.active.fill_(was)
    sigmas = model.skeleton.sigma_array()
    by_image: dict = {}
    for a in gt["annotations"]:
        if not a.get("iscrowd", 0) and a.get("num_keypoints", 1) > 0:
            by_image.setdefault(a["image_id"], []).append(a)
    k = model.skeleton.num_keypoints
    kps, kss, targets = [], [], []
    for inst, (kp, ks, _) in zip(instances, found):
        anns = by_image.get(inst.image_id, [])
        g = np.asarray([a["keypoints"] for a in anns], np.float64).reshape(-1, k, 3)
        areas = np.asarray([a["area"] for a in anns], np.float64)
        boxes = np.asarray([a["bbox"] for a in anns], np.float64).reshape(-1, 4)
        targets.append(best_oks(kp, g[..., :2], g[..., 2], areas, boxes, sigmas))
        kps.append(kp.reshape(-1, k, 2))
        kss.append(ks.reshape(-1, k))
    return np.concatenate(kps), np.concatenate(kss), np.concatenate(targets)
