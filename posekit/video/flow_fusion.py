"""Optical-flow heatmap fusion (Pfister et al., "Flowing ConvNets for Human Pose Estimation in
Videos", ICCV 2015; Song et al., "Thin-Slicing Network", CVPR 2017).

A per-frame heatmap network runs on every frame of a person tube (:class:`posekit.video.clips.PersonTubes`,
one crop window for all frames); the neighbours' heatmaps are warped to the target frame along dense
optical flow (OpenCV's DIS, Kroeger et al. 2016, as :mod:`posekit.video.keyframes` uses), and a learned
1x1 convolution over the (T x K) warped channels (Pfister's "parametric pooling") fuses them into the
target's K heatmaps. The fusion starts as the plain average of each joint's warped heatmaps and is
trained after the per-frame network, which stays frozen.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

from ..topdown.transforms import IMAGENET_MEAN, IMAGENET_STD

__all__ = ["crop_flows", "warp_heatmaps", "FlowFusion", "tube_heatmaps", "to_uint8"]


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Normalised crops (T, 3, H, W) float32 back to RGB uint8 (T, H, W, 3)."""
    x = np.transpose(images, (0, 2, 3, 1)) * IMAGENET_STD + IMAGENET_MEAN
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def crop_flows(crops: np.ndarray, target: int, heatmap_size: tuple[int, int]) -> np.ndarray:
    """Flow (T, h, w, 2) from the ``target`` crop to each crop of (T, H, W, 3) uint8, on the heatmap
    grid (``heatmap_size`` (w, h)) in heatmap pixels: pixel ``x`` of the target is at ``x + flow``
    in crop ``t``. DIS (medium preset) on the grey crops; the target's own flow is zero."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [np.ascontiguousarray(cv2.cvtColor(c, cv2.COLOR_RGB2GRAY)) for c in crops]
    w, h = heatmap_size
    sx, sy = w / crops.shape[2], h / crops.shape[1]
    out = np.zeros((len(crops), h, w, 2), np.float32)
    for t in range(len(crops)):
        if t != target:
            f = dis.calc(grey[target], grey[t], None)
            out[t] = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) * np.array([sx, sy], np.float32)
    return out


def warp_heatmaps(heatmaps: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Each frame's heatmaps (T, K, h, w) pulled to the target along ``flows`` (T, h, w, 2):
    ``warped[t](x) = heatmaps[t](x + flow[t](x))``, bilinear, zero outside."""
    t, k, h, w = heatmaps.shape
    grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), -1)
    out = np.empty_like(heatmaps, dtype=np.float32)
    for i in range(t):
        where = grid + flows[i]
        maps = np.ascontiguousarray(np.transpose(heatmaps[i], (1, 2, 0)), np.float32)
        warped = cv2.remap(maps, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        out[i] = np.transpose(warped.reshape(h, w, k), (2, 0, 1))
    return out


class FlowFusion(nn.Module):
    """Parametric pooling: warped heatmaps (N, T, K, h, w) -> fused (N, K, h, w) by one 1x1
    convolution over the T x K channels, initialised to each joint's mean over the frames."""

    def __init__(self, frames: int, keypoints: int):
        super().__init__()
        self.frames, self.keypoints = frames, keypoints
        self.pool = nn.Conv2d(frames * keypoints, keypoints, 1)
        with torch.no_grad():
            weight = torch.zeros(keypoints, frames, keypoints)
            weight[torch.arange(keypoints), :, torch.arange(keypoints)] = 1.0 / frames
            self.pool.weight.copy_(weight.reshape(keypoints, frames * keypoints, 1, 1))
            self.pool.bias.zero_()

    def forward(self, warped: torch.Tensor) -> torch.Tensor:
        n, t, k, h, w = warped.shape
        return self.pool(warped.reshape(n, t * k, h, w))


@torch.no_grad()
def tube_heatmaps(model, item: dict) -> tuple[np.ndarray, np.ndarray]:
    """The per-frame network's heatmaps (T, K, h, w) of one tube item and their warp to its centre frame."""
    from ..engine.cpu import flush_denormals
    from ..topdown.estimator import final_stage

    with flush_denormals(True):
        maps = final_stage(model(torch.from_numpy(item["image"]))).float().numpy()
    c = len(maps) // 2
    flows = crop_flows(to_uint8(item["image"]), c, tuple(model.codec.heatmap_size))
    return maps, warp_heatmaps(maps, flows)
