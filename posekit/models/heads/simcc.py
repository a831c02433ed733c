"""SimCC head (Li et al., "SimCC: a Simple Coordinate Classification Perspective for Human Pose
Estimation", ECCV 2022): one feature map per keypoint (optionally upsampled by SimpleBaseline's
deconvolutions), flattened, then two linear classifiers over the x and y bins of
:class:`posekit.codecs.SimCCLabel`.
"""
from __future__ import annotations

from torch import Tensor, nn

from .deconv import DeconvHead

__all__ = ["SimCCHead"]


class SimCCHead(nn.Module):
    """(N, C, h, w) -> ``(x logits (N, K, x_bins), y logits (N, K, y_bins))``.

    ``feature_size`` (w, h) is the backbone map's size; ``num_deconv`` deconvolutions (x2 each)
    precede the per-keypoint 1x1 convolution (MMPose's ResNet SimCC uses 3; 0 is the light
    "without deconvolution" variant).
    """

    def __init__(self, in_channels: int, num_keypoints: int, feature_size: tuple[int, int],
                 bins: tuple[int, int], num_deconv: int = 3, channels: int = 256):
        super().__init__()
        self.maps = DeconvHead(in_channels, num_keypoints, num_deconv, channels)
        w, h = feature_size
        flat = w * h * 4 ** num_deconv
        self.x = nn.Linear(flat, bins[0])
        self.y = nn.Linear(flat, bins[1])

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.maps(x).flatten(2)
        return self.x(f), self.y(f)
