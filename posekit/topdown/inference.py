"""Top-down inference over a dataset: crops -> model (with flip test) -> image keypoints ->
rescored, OKS-NMS-filtered COCO result records.

Rescoring follows Xiao et al. (2018) and Sun et al. (2019): a person's score is its box
score times the mean confidence of its keypoints above 0.2.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..data.coco import CocoDataset
from ..engine.cpu import flush_denormals
from .dataset import PersonInstance, TopDownDataset, person_instances
from .transforms import apply_affine, invert_affine

__all__ = ["predict_instances", "rescore", "predict_coco"]


def predict_instances(model, instances: Sequence[PersonInstance], batch_size: int = 32, flip: bool = False,
                      workers: int = 0, device: str | torch.device | None = None,
                      progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N, K, 2) in image pixels and their scores (N, K), one row per instance."""
    from torch.utils.data import DataLoader

    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    ds = TopDownDataset(instances, model.codec, model.skeleton, augment=None, encode=False)
    k = model.skeleton.num_keypoints
    keypoints, scores = np.zeros((len(ds), k, 2)), np.zeros((len(ds), k))
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False, num_workers=workers)
    with flush_denormals(device.type == "cpu"):  # denormal weights and activations slow x86 CPUs many-fold
        for batch in tqdm(loader, desc="inference", disable=not progress, leave=False):
            kp, sc = model.predict_crops(batch["image"].to(device), flip=flip)
            idx = batch["index"].numpy()
            keypoints[idx] = apply_affine(kp, invert_affine(batch["matrix"].numpy()))
            scores[idx] = sc
    model.train(was_training)
    return keypoints, scores


def rescore(box_scores: np.ndarray, keypoint_scores: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Box score x mean keypoint confidence over keypoints above ``threshold`` (N,)."""
    above = keypoint_scores > threshold
    mean = np.where(above.any(1), (keypoint_scores * above).sum(1) / np.maximum(above.sum(1), 1), 0.0)
    return np.asarray(box_scores) * mean


def predict_coco(model, coco: CocoDataset, image_root, detections: Sequence[dict] | None = None,
                 flip: bool = True, nms: str | None = "oks", nms_threshold: float = 0.9,
                 min_box_score: float = 0.0, batch_size: int = 32, workers: int = 0,
                 progress: bool = True) -> list[dict]:
    """COCO keypoint result records for every person box of ``coco`` (ground truth, or ``detections``).

    With ground-truth boxes the COCO protocol's people are used (no crowd, some keypoint
    labelled). ``nms``: ``"oks"``, ``"soft"`` or ``None``; it runs per image over detector boxes.
    """
    if detections is None:
        instances = person_instances(coco, image_root, train=True)
    else:
        instances = person_instances(coco, image_root, detections, min_box_score=min_box_score)
    if not instances:
        return []
    kp, ks = predict_instances(model, instances, batch_size, flip, workers, progress=progress)
    box_scores = np.array([i.score for i in instances])
    scores = rescore(box_scores, ks)
    areas = np.array([i.box[2] * i.box[3] for i in instances])
    keep = np.arange(len(instances))
    if nms is not None and detections is not None:
        keep = _nms_per_image(instances, kp, ks, scores, areas, model.skeleton.sigma_array(), nms, nms_threshold)
    records = []
    for i in keep:
        inst = instances[i]
        trip = np.concatenate([kp[i], ks[i][:, None]], axis=1).reshape(-1)
        records.append({"image_id": int(inst.image_id), "category_id": int(inst.category_id),
                        "keypoints": [round(float(v), 3) for v in trip], "score": float(scores[i]),
                        "bbox": [float(v) for v in inst.box]})
    return records


def _nms_per_image(instances, kp, ks, scores, areas, sigmas, method, threshold) -> np.ndarray:
    from ..postprocess.nms import oks_nms, soft_oks_nms

    by_image: dict[int, list[int]] = defaultdict(list)
    for i, inst in enumerate(instances):
        by_image[inst.image_id].append(i)
    keep = []
    for idx in by_image.values():
        idx = np.asarray(idx)
        if method == "soft":
            kept, new = soft_oks_nms(kp[idx], ks[idx], scores[idx], areas[idx], sigmas)
            scores[idx[kept]] = new
        else:
            kept = oks_nms(kp[idx], ks[idx], scores[idx], areas[idx], sigmas, threshold)
        keep.extend(idx[kept].tolist())
    return np.asarray(sorted(keep), np.int64)
