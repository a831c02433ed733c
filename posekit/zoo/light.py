"""Builders of the light networks (survey section 1.4, model compression): Lite-HRNet, and the
MobileNetV2 and ShuffleNetV2 backbones with the SimpleBaseline deconvolution head as MMPose pairs
them. Each is a :class:`~posekit.topdown.estimator.TopDown` heatmap model with the ``spec`` that
rebuilds it from a checkpoint; the presets are in :mod:`posekit.zoo`'s one table."""
from __future__ import annotations

from ..errors import ModelError
from .heatmap import _heatmap_parts
from .specs import skeleton_spec

__all__ = ["litehrnet", "mobilenetv2", "shufflenetv2", "LITE_HRNET", "MOBILENETV2", "SHUFFLENETV2",
           "LITE_HRNET_TABLE", "MMPOSE_LIGHT"]

LITE_HRNET = ("Yu, Xiao, Gao, Yuan, Zhang, Sang, Wang. Lite-HRNet: A Lightweight High-Resolution Network. "
              "CVPR 2021")
MOBILENETV2 = ("Sandler, Howard, Zhu, Zhmoginov, Chen. MobileNetV2: Inverted Residuals and Linear Bottlenecks. "
               "CVPR 2018; with the SimpleBaseline head (Xiao et al. 2018) as in MMPose")
SHUFFLENETV2 = ("Ma, Zhang, Zheng, Sun. ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design. "
                "ECCV 2018; with the SimpleBaseline head (Xiao et al. 2018) as in MMPose")
LITE_HRNET_TABLE = ("HRNet/Lite-HRNet README, 'Results on COCO val2017 with detector having human AP of 56.4' "
                    "(#Params, FLOPs, AP)")
MMPOSE_LIGHT = ("MMPose 0.x docs/en/inference_speed_summary.md, topdown_heatmap rows MobilenetV2 / ShuffleNetV2 "
                "256x192 (COCO val2017, detector boxes; mAP, Flops (GFLOPs) by mmcv's counter, Params (M))")

# modules per stage of the named depths (Yu et al. 2021, Table 2)
_DEPTHS = {18: (2, 4, 2), 30: (3, 8, 3)}


def _parts(name, skeleton, input_size, codec, sigma, loss):
    return _heatmap_parts(name, skeleton, input_size, 32, 4, codec, sigma, loss)


def litehrnet(depth: int = 18, input_size: tuple[int, int] = (192, 256), skeleton="coco17", codec: str = "msra",
              sigma: float | None = None, loss: str = "mse", naive: bool = False, iterative_head: bool = True):
    """Lite-HRNet-``depth`` (18 or 30; Yu et al. 2021) + a 1x1 heatmap convolution at stride 4.

    ``naive``: shuffle blocks instead of conditional channel weighting (the paper's naive
    Lite-HRNet). ``iterative_head`` (default, as the official ``litehrnet_18_coco_256x192.py`` with
    ``with_head=True``): the top-down iterative head over all four branches before the 1x1;
    without it the 1x1 reads the fused stride-4 branch alone. ``input_size`` (W, H): multiple of 32.
    """
    from ..models.backbones.lite_hrnet import LiteHRNet
    from ..models.heads.heatmap import HeatmapHead
    from ..topdown.estimator import TopDown

    if depth not in _DEPTHS:
        raise ModelError(f"Lite-HRNet depth must be one of {sorted(_DEPTHS)}, not {depth}")
    sk, cod, sigma, fn = _parts("Lite-HRNet", skeleton, input_size, codec, sigma, loss)
    backbone = LiteHRNet(_DEPTHS[depth], naive=naive, iterative_head=iterative_head)
    spec = {"builder": "litehrnet", "depth": depth, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss, "naive": naive, "iterative_head": iterative_head}
    return TopDown(backbone, HeatmapHead(backbone.out_channels, sk.num_keypoints), cod, sk, fn, spec)


def mobilenetv2(width: float = 1.0, input_size: tuple[int, int] = (192, 256), skeleton="coco17",
                codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """MobileNetV2 ``width``x (Sandler et al. 2018; its 1280-channel last 1x1, stride 32) + SimpleBaseline's
    three 4x4 deconvolutions (256 channels) + 1x1: heatmaps at stride 4, as MMPose's ``mobilenetv2_coco``."""
    from ..models.backbones.mobilenetv2 import MobileNetV2
    from ..models.heads.deconv import DeconvHead
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _parts("MobileNetV2", skeleton, input_size, codec, sigma, loss)
    backbone = MobileNetV2(width)
    spec = {"builder": "mobilenetv2", "width": width, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(backbone, DeconvHead(backbone.out_channels, sk.num_keypoints), cod, sk, fn, spec)


def shufflenetv2(input_size: tuple[int, int] = (192, 256), skeleton="coco17", codec: str = "msra",
                 sigma: float | None = None, loss: str = "mse"):
    """ShuffleNetV2 1.0x (Ma et al. 2018: 3x3 depthwise kernels, input max-pool, stride 32, 1024 channels
    out) + SimpleBaseline's deconvolution head, as MMPose's ``shufflenetv2_coco``."""
    from ..models.backbones.shufflenet import SHUFFLENETV2_1X, ShuffleNetV2K
    from ..models.heads.deconv import DeconvHead
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _parts("ShuffleNetV2", skeleton, input_size, codec, sigma, loss)
    backbone = ShuffleNetV2K(*SHUFFLENETV2_1X, kernel=3, max_pool=True)
    spec = {"builder": "shufflenetv2", "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(backbone, DeconvHead(backbone.out_channels, sk.num_keypoints), cod, sk, fn, spec)
