"""Builders of the heatmap family (survey section 1.2): SimpleBaseline, HRNet, Stacked Hourglass,
Convolutional Pose Machines and the Cascaded Pyramid Network. Each composes a backbone, a head and
a heatmap codec into a :class:`~posekit.topdown.estimator.TopDown` and records the ``spec`` that
rebuilds it from a checkpoint."""
from __future__ import annotations

from ..errors import ModelError
from .specs import resolve_skeleton, skeleton_spec

__all__ = ["simplebaseline", "hrnet", "hourglass", "cpm", "cpn"]

SIMPLEBASELINE = "Xiao, Wu, Wei. Simple Baselines for Human Pose Estimation and Tracking. ECCV 2018"
HRNET = "Sun, Xiao, Liu, Wang. Deep High-Resolution Representation Learning for Human Pose Estimation. CVPR 2019"
HOURGLASS = "Newell, Yang, Deng. Stacked Hourglass Networks for Human Pose Estimation. ECCV 2016"
CPM = "Wei, Ramakrishna, Kanade, Sheikh. Convolutional Pose Machines. CVPR 2016"
CPN = "Chen, Wang, Peng, Zhang, Yu, Sun. Cascaded Pyramid Network for Multi-Person Pose Estimation. CVPR 2018"
HRNET_TABLE = "Sun et al. 2019, Table 1 and the official README (COCO val2017, detector boxes, flip test)"
HRNET_TABLE_OTHERS = "Sun et al. 2019, Table 1 (COCO val2017, detector boxes)"
MMPOSE_SPEED = "MMPose 0.x docs/en/inference_speed_summary.md (COCO val2017, detector boxes; FLOPs by mmcv's counter)"


def _heatmap_parts(name: str, skeleton, input_size, multiple: int, stride: int, codec: str, sigma, loss=None):
    """Skeleton, codec (and loss) shared by the heatmap builders; checks the input size against the network."""
    from ..codecs import DARKHeatmap, MSRAHeatmap, UDPHeatmap
    from ..models.losses import AdaptiveWingLoss, FocalHeatmapLoss, HeatmapKLLoss, KeypointMSELoss, OHKMMSELoss

    codecs = {"msra": MSRAHeatmap, "dark": DARKHeatmap, "udp": UDPHeatmap}
    # the heatmap losses by the name a config or `posekit train --loss` gives
    losses = {"mse": KeypointMSELoss, "ohkm": OHKMMSELoss, "awing": AdaptiveWingLoss, "focal": FocalHeatmapLoss,
              "kl": HeatmapKLLoss}
    if codec not in codecs:
        raise ModelError(f"codec must be one of {sorted(codecs)}, not {codec!r}")
    if loss is not None and loss not in losses:
        raise ModelError(f"loss must be one of {sorted(losses)}, not {loss!r}")
    w, h = input_size
    if w % multiple or h % multiple:
        raise ModelError(f"{name} input size must be a multiple of {multiple}, not {w}x{h} (W x H)")
    heatmap_size = (w // stride, h // stride)
    sigma = float(sigma if sigma is not None else max(1.5, 2.0 * heatmap_size[0] / 48))
    sk = resolve_skeleton(skeleton)
    parts = (sk, codecs[codec](input_size=(w, h), heatmap_size=heatmap_size, sigma=sigma), sigma)
    return parts + ((losses[loss]() if loss is not None else None),)



def simplebaseline(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17",
                   codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """SimpleBaseline (Xiao et al. 2018): ResNet-``depth`` + three deconvolutions + a heatmap codec.

    ``input_size`` is (W, H), a multiple of 32; heatmaps are a quarter of it. ``codec``: ``"msra"``
    (Gaussian, quarter-pixel decoding), ``"dark"`` (Zhang et al. 2020) or ``"udp"`` (Huang et al.
    2020). ``loss``: ``"mse"`` or ``"ohkm"``. ``skeleton``: a name from :mod:`posekit.skeletons` or a
    Skeleton. ``sigma`` defaults to 2 heatmap pixels at 64x48, scaled with the map.
    """
    from ..models.backbones.resnet import ResNet
    from ..models.heads.deconv import DeconvHead
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("SimpleBaseline", skeleton, input_size, 32, 4, codec, sigma, loss)
    backbone = ResNet(depth)
    spec = {"builder": "simplebaseline", "depth": depth, "input_size": list(input_size),
            "skeleton": skeleton_spec(sk), "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(backbone, DeconvHead(backbone.out_channels, sk.num_keypoints), cod, sk, fn, spec)


def hrnet(width: int = 32, input_size: tuple[int, int] = (192, 256), skeleton="coco17", codec: str = "msra",
          sigma: float | None = None, loss: str = "mse"):
    """HRNet-W``width`` (Sun et al. 2019) + a 1x1 heatmap convolution on its stride-4 branch + a heatmap codec.

    ``input_size`` (W, H) must be a multiple of 32. The paper's GFLOPs are multiply-adds / 2**30
    of convolutions only: :func:`posekit.models.complexity.count_macs` gives 7.645e9 for
    HRNet-W32 at 256x192, 7.12 * 2**30 (paper: 7.1).
    """
    from ..models.backbones.hrnet import HRNet
    from ..models.heads.heatmap import HeatmapHead
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("HRNet", skeleton, input_size, 32, 4, codec, sigma, loss)
    spec = {"builder": "hrnet", "width": width, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(HRNet(width), HeatmapHead(width, sk.num_keypoints), cod, sk, fn, spec)


def hourglass(stacks: int = 8, channels: int = 256, input_size: tuple[int, int] = (256, 256), skeleton="coco17",
              codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """Stacked Hourglass (Newell et al. 2016): ``stacks`` hourglasses of ``channels`` features, every stack's
    heatmaps supervised with ``loss``; heatmaps a quarter of ``input_size`` (a multiple of 4)."""
    from torch import nn

    from ..models.backbones.hourglass import StackedHourglass
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("Stacked Hourglass", skeleton, input_size, 4, 4, codec, sigma, loss)
    spec = {"builder": "hourglass", "stacks": stacks, "channels": channels, "input_size": list(input_size),
            "skeleton": skeleton_spec(sk), "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(StackedHourglass(sk.num_keypoints, stacks, channels), nn.Identity(), cod, sk, fn, spec)


def cpm(stages: int = 6, channels: int = 128, stage1_channels: int = 512, input_size: tuple[int, int] = (368, 368),
        skeleton="coco17", codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """Convolutional Pose Machine (Wei et al. 2016): ``stages`` belief-map predictors, each supervised with
    ``loss``; heatmaps an eighth of ``input_size`` (a multiple of 8)."""
    from torch import nn

    from ..models.backbones.cpm import ConvolutionalPoseMachine
    from ..topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("CPM", skeleton, input_size, 8, 8, codec, sigma, loss)
    spec = {"builder": "cpm", "stages": stages, "channels": channels, "stage1_channels": stage1_channels,
            "input_size": list(input_size), "skeleton": skeleton_spec(sk), "codec": codec, "sigma": sigma,
            "loss": loss}
    net = ConvolutionalPoseMachine(sk.num_keypoints, stages, channels, stage1_channels=stage1_channels)
    return TopDown(net, nn.Identity(), cod, sk, fn, spec)


def cpn(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17", codec: str = "msra",
        sigma: float | None = None, refine_loss: str = "ohkm", channels: int = 256):
    """Cascaded Pyramid Network (Chen et al. 2018): ResNet-``depth`` + GlobalNet (four pyramid levels, L2
    loss each) + RefineNet (``refine_loss``: ``"ohkm"``, top-8 hard keypoints, or ``"mse"``).

    One target for all five outputs: the paper's coarser Gaussians for the coarser GlobalNet levels
    would need a codec with several targets.
    """
    from ..models.backbones.resnet import ResNetPyramid
    from ..models.heads.cpn import CascadedPyramidHead
    from ..models.losses import KeypointMSELoss
    from ..topdown.estimator import TopDown

    sk, cod, sigma, refine = _heatmap_parts("CPN", skeleton, input_size, 32, 4, codec, sigma, refine_loss)
    backbone = ResNetPyramid(depth)
    head = CascadedPyramidHead(backbone.pyramid_channels, sk.num_keypoints, channels)
    spec = {"builder": "cpn", "depth": depth, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "refine_loss": refine_loss, "channels": channels}
    return TopDown(backbone, head, cod, sk, [KeypointMSELoss() for _ in range(4)] + [refine], spec)
