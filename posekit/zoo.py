"""The model zoo: every named preset, in one table. ``build_model(name)`` returns the module.

Each preset is a builder function with its paper and the figures published for it
(COCO val2017 AP with the paper's detector boxes and flip test; parameters; GFLOPs).
Importing this module does not import torch; building does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from .errors import ModelError

__all__ = ["Preset", "PRESETS", "build_model", "simplebaseline"]

SIMPLEBASELINE = "Xiao, Wu, Wei. Simple Baselines for Human Pose Estimation and Tracking. ECCV 2018"


def skeleton_spec(skeleton) -> str | dict:
    """A skeleton as a checkpoint stores it: the name of a built-in set, or its full definition."""
    from .skeletons import SKELETONS, get_skeleton

    if isinstance(skeleton, str):
        return get_skeleton(skeleton).name
    if SKELETONS.get(skeleton.name) == skeleton:
        return skeleton.name
    return {"name": skeleton.name, "names": list(skeleton.names), "flip_pairs": [list(p) for p in skeleton.flip_pairs],
            "limbs": [list(p) for p in skeleton.limbs], "sigmas": list(skeleton.sigmas) if skeleton.sigmas else None}


def resolve_skeleton(spec):
    """Inverse of :func:`skeleton_spec` (also accepts a :class:`~posekit.skeletons.Skeleton`)."""
    from .skeletons import Skeleton, get_skeleton

    if isinstance(spec, str):
        return get_skeleton(spec)
    if isinstance(spec, dict):
        return Skeleton(spec["name"], tuple(spec["names"]), tuple(map(tuple, spec["flip_pairs"])),
                        tuple(map(tuple, spec["limbs"])), tuple(spec["sigmas"]) if spec.get("sigmas") else None)
    return spec


def simplebaseline(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17",
                   codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """SimpleBaseline: ResNet-``depth`` + three deconvolutions + a heatmap codec.

    ``input_size`` is (W, H); heatmaps are a quarter of it. ``codec``: ``"msra"`` (Gaussian,
    quarter-pixel decoding), ``"dark"`` (Zhang et al. 2020) or ``"udp"`` (Huang et al. 2020).
    ``loss``: ``"mse"`` or ``"ohkm"``. ``skeleton``: a name from :mod:`posekit.skeletons` or a Skeleton. ``sigma`` defaults to 2 heatmap pixels at 64x48, scaled with the map.
    """
    from .codecs import DARKHeatmap, MSRAHeatmap, UDPHeatmap
    from .models.backbones.resnet import ResNet
    from .models.heads.deconv import DeconvHead
    from .models.losses import KeypointMSELoss, OHKMMSELoss
    from .topdown.estimator import TopDown

    codecs = {"msra": MSRAHeatmap, "dark": DARKHeatmap, "udp": UDPHeatmap}
    losses = {"mse": KeypointMSELoss, "ohkm": OHKMMSELoss}
    if codec not in codecs:
        raise ModelError(f"codec must be one of {sorted(codecs)}, not {codec!r}")
    if loss not in losses:
        raise ModelError(f"loss must be one of {sorted(losses)}, not {loss!r}")
    sk = resolve_skeleton(skeleton)
    w, h = input_size
    if w % 32 or h % 32:
        raise ModelError(f"SimpleBaseline input size must be a multiple of 32 (ResNet stride), not {w}x{h} (W x H)")
    heatmap_size = (w // 4, h // 4)
    sigma = float(sigma if sigma is not None else max(1.5, 2.0 * heatmap_size[0] / 48))
    backbone = ResNet(depth)
    spec = {"builder": "simplebaseline", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(backbone, DeconvHead(backbone.out_channels, sk.num_keypoints),
                   codecs[codec](input_size=(w, h), heatmap_size=heatmap_size, sigma=sigma),
                   sk, losses[loss](), spec)


BUILDERS: dict[str, Callable] = {"simplebaseline": simplebaseline}


@dataclass(frozen=True)
class Preset:
    """One named model: its builder, where it sits in the survey, and the figures known for it.

    ``published``: the paper's own figures (``coco_val_ap``, ``params_m``, ``gflops`` in
    multiply-adds, and ``source``: which table). ``learned``: what posekit's own synthetic
    learning test reached (``pck@0.1``, ``minutes``, ``source``: the test or bench that gave it).
    """

    name: str
    build: Callable
    paper: str
    section: str                                   # the survey's section, e.g. "top-down / heatmap"
    input_size: tuple[int, int]                    # (W, H) of the network input
    published: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)


HEATMAP = "1.2 top-down / heatmap"
REGRESSION = "1.1 top-down / regression"
SB_TABLE = "Xiao et al. 2018, Table 4 (COCO val2017, detector boxes)"


def _sb(depth, w, h, published=None, learned=None, **kw):
    name = f"simplebaseline-r{depth}-{h}x{w}" + (f"-{kw['codec']}" if "codec" in kw else "")
    published = {**published, "source": SB_TABLE} if published else {}
    return Preset(name, partial(simplebaseline, depth=depth, input_size=(w, h), **kw), SIMPLEBASELINE, HEATMAP, (w, h),
                  published, learned or {})


PRESETS: dict[str, Preset] = {p.name: p for p in [
    _sb(18, 96, 128, learned={"pck@0.1": 0.782, "minutes": 4.5,
                              "source": "tests/engine/test_learning_synthetic.py"}),
    _sb(18, 192, 256),
    _sb(34, 192, 256),
    _sb(50, 192, 256, {"coco_val_ap": 70.4, "params_m": 34.0, "gflops": 8.9}),
    _sb(101, 192, 256, {"coco_val_ap": 71.4, "params_m": 53.0, "gflops": 12.4}),
    _sb(152, 192, 256, {"coco_val_ap": 72.0, "params_m": 68.6, "gflops": 15.7}),
    _sb(50, 288, 384, {"coco_val_ap": 72.2, "params_m": 34.0, "gflops": 20.0}),
    _sb(101, 288, 384, {"coco_val_ap": 73.6, "params_m": 53.0, "gflops": 27.9}),
    _sb(152, 288, 384, {"coco_val_ap": 74.3, "params_m": 68.6, "gflops": 35.6}),
    _sb(50, 192, 256, codec="dark"),
    _sb(50, 192, 256, codec="udp"),
    _sb(18, 96, 128, codec="udp"),
]}


# ---------------------------------------------------------------------------------------------
# 1.1 top-down / regression: DeepPose, integral regression, RLE, SimCC (ResNet backbones)
# ---------------------------------------------------------------------------------------------

DEEPPOSE = "Toshev, Szegedy. DeepPose: Human Pose Estimation via Deep Neural Networks. CVPR 2014"
INTEGRAL = "Sun, Xiao, Wei, Liang, Wei. Integral Human Pose Regression. ECCV 2018"
RLE = "Li, Bian, Zeng, Wang, Pang, Liu, Lu. Human Pose Regression with Residual Log-likelihood Estimation. ICCV 2021"
SIMCC = "Li, Yang, Liu, Zhang, Wang, Wang, Yang, Xia. SimCC: a Simple Coordinate Classification Perspective " \
        "for Human Pose Estimation. ECCV 2022"
MMPOSE_DEEPPOSE = "MMPose model zoo, configs/body_2d_keypoint/topdown_regression/coco/resnet_coco.md (COCO val2017, " \
                  "detector boxes, flip test)"
MMPOSE_RLE = "MMPose model zoo, configs/body_2d_keypoint/topdown_regression/coco/resnet_rle_coco.md (COCO val2017, " \
             "detector boxes, flip test)"
MMPOSE_IPR = "MMPose model zoo, configs/body_2d_keypoint/integral_regression/coco/resnet_ipr_coco.md (COCO val2017, " \
             "detector boxes, flip test)"
MMPOSE_SIMCC = "MMPose model zoo, configs/body_2d_keypoint/simcc/coco/resnet_coco.yml (COCO val2017, detector boxes, " \
               "flip test)"


def _resnet_input(name: str, input_size) -> tuple[int, int]:
    w, h = (int(v) for v in input_size)
    if w % 32 or h % 32:
        raise ModelError(f"{name} input size must be a multiple of 32 (ResNet stride), not {w}x{h} (W x H)")
    return w, h


def deeppose(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17", stages: int = 1,
             loss: str = "l1"):
    """DeepPose: ResNet-``depth``, global average pooling and a fully connected layer regressing
    normalised coordinates; ``stages`` > 1 adds cascade refinements (see
    :mod:`posekit.models.heads.regression`). ``loss``: ``"l1"`` (MMPose trains ResNet DeepPose with
    a smooth L1) or ``"l2"`` (Toshev & Szegedy's)."""
    from .codecs import RegressionLabel
    from .models.backbones.resnet import ResNet
    from .models.heads.regression import RegressionHead
    from .models.regression_losses import CoordinateLoss
    from .topdown.estimator import TopDown

    if loss not in ("l1", "l2"):
        raise ModelError(f"loss must be 'l1' or 'l2', not {loss!r}")
    if stages < 1:
        raise ModelError(f"stages must be at least 1, not {stages}")
    sk = resolve_skeleton(skeleton)
    w, h = _resnet_input("DeepPose", input_size)
    backbone = ResNet(depth)
    spec = {"builder": "deeppose", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk),
            "stages": stages, "loss": loss}
    return TopDown(backbone, RegressionHead(backbone.out_channels, sk.num_keypoints, stages),
                   RegressionLabel(input_size=(w, h)), sk, CoordinateLoss(loss), spec)


def integral_regression(depth: int = 50, input_size: tuple[int, int] = (256, 256), skeleton="coco17",
                        beta: float = 1.0):
    """Integral regression: SimpleBaseline's ResNet-``depth`` and deconvolutions give heatmaps at a
    quarter of the input, a soft-argmax turns them into coordinates, trained with an L1 loss."""
    from .codecs import RegressionLabel
    from .models.backbones.resnet import ResNet
    from .models.heads.integral import IntegralHead
    from .models.regression_losses import CoordinateLoss
    from .topdown.estimator import TopDown

    sk = resolve_skeleton(skeleton)
    w, h = _resnet_input("Integral regression", input_size)
    backbone = ResNet(depth)
    spec = {"builder": "integral_regression", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk),
            "beta": beta}
    return TopDown(backbone, IntegralHead(backbone.out_channels, sk.num_keypoints, beta=beta),
                   RegressionLabel(input_size=(w, h)), sk, CoordinateLoss("l1"), spec)


def rle(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17", flow: bool = True):
    """RLE: ResNet-``depth``, global average pooling, fully connected location and scale, trained
    with the residual log-likelihood (a RealNVP flow on the residual; ``flow=False``: plain Laplace)."""
    from .codecs import RegressionLabel
    from .models.backbones.resnet import ResNet
    from .models.heads.rle import RLEHead
    from .models.regression_losses import RLELoss
    from .topdown.estimator import TopDown

    sk = resolve_skeleton(skeleton)
    w, h = _resnet_input("RLE", input_size)
    backbone = ResNet(depth)
    spec = {"builder": "rle", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk), "flow": flow}
    return TopDown(backbone, RLEHead(backbone.out_channels, sk.num_keypoints), RegressionLabel(input_size=(w, h)),
                   sk, RLELoss(flow), spec)


def simcc(depth: int = 50, input_size: tuple[int, int] = (192, 256), skeleton="coco17", split_ratio: float = 2.0,
          sigma: float | None = None, num_deconv: int = 3):
    """SimCC: ResNet-``depth``, ``num_deconv`` deconvolutions, then x and y classifiers over
    ``split_ratio`` bins per pixel, trained with a KL divergence on Gaussian-smoothed labels.
    ``sigma`` (bins) defaults to MMPose's 6.0 at 192 pixels wide, scaled with the input width."""
    from .codecs import SimCCLabel
    from .models.backbones.resnet import ResNet
    from .models.heads.simcc import SimCCHead
    from .models.regression_losses import KLDiscreteLoss
    from .topdown.estimator import TopDown

    sk = resolve_skeleton(skeleton)
    w, h = _resnet_input("SimCC", input_size)
    sigma = float(sigma if sigma is not None else max(1.5, 6.0 * w / 192))
    backbone = ResNet(depth)
    codec = SimCCLabel(input_size=(w, h), split_ratio=split_ratio, sigma=sigma)
    head = SimCCHead(backbone.out_channels, sk.num_keypoints, (w // backbone.stride, h // backbone.stride),
                     codec.bins, num_deconv)
    spec = {"builder": "simcc", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk),
            "split_ratio": split_ratio, "sigma": sigma, "num_deconv": num_deconv}
    return TopDown(backbone, head, codec, sk, KLDiscreteLoss(), spec)


BUILDERS.update({"deeppose": deeppose, "integral_regression": integral_regression, "rle": rle, "simcc": simcc})


def _reg(prefix, builder, paper, depth, w, h, published=None, source="", suffix="", **kw):
    name = f"{prefix}-r{depth}-{h}x{w}{suffix}"
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, depth=depth, input_size=(w, h), **kw), paper, REGRESSION, (w, h),
                  published, {})


REGRESSION_PRESETS = [
    _reg("deeppose", deeppose, DEEPPOSE, 18, 96, 128),
    _reg("deeppose", deeppose, DEEPPOSE, 18, 96, 128, suffix="-cascade3", stages=3),
    _reg("deeppose", deeppose, DEEPPOSE, 50, 192, 256, {"coco_val_ap": 52.8}, MMPOSE_DEEPPOSE),
    _reg("deeppose", deeppose, DEEPPOSE, 101, 192, 256, {"coco_val_ap": 56.2}, MMPOSE_DEEPPOSE),
    _reg("deeppose", deeppose, DEEPPOSE, 152, 192, 256, {"coco_val_ap": 58.4}, MMPOSE_DEEPPOSE),
    _reg("integral", integral_regression, INTEGRAL, 18, 96, 128),
    _reg("integral", integral_regression, INTEGRAL, 50, 256, 256, {"coco_val_ap": 63.3}, MMPOSE_IPR),
    _reg("rle", rle, RLE, 18, 96, 128),
    _reg("rle", rle, RLE, 50, 192, 256, {"coco_val_ap": 70.4}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 101, 192, 256, {"coco_val_ap": 72.2}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 152, 192, 256, {"coco_val_ap": 73.1}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 152, 288, 384, {"coco_val_ap": 74.9}, MMPOSE_RLE),
    _reg("simcc", simcc, SIMCC, 18, 96, 128),
    _reg("simcc", simcc, SIMCC, 50, 192, 256, {"coco_val_ap": 72.1}, MMPOSE_SIMCC),
    _reg("simcc", simcc, SIMCC, 50, 288, 384, {"coco_val_ap": 73.5}, MMPOSE_SIMCC),
]
PRESETS.update((p.name, p) for p in REGRESSION_PRESETS)
# ---------------------------------------------------------------------------------------------


def build_model(name: str, **overrides):
    """The preset ``name`` as a torch module; ``overrides`` change builder arguments (e.g. ``skeleton="mpii16"``)."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ModelError(f"unknown model {name!r}; presets: {', '.join(sorted(PRESETS))}")
    return preset.build(**overrides)


def build_from_spec(spec: dict):
    """Rebuild a model from the ``spec`` a checkpoint stores (see :class:`posekit.topdown.estimator.TopDown`)."""
    spec = dict(spec)
    builder = BUILDERS.get(spec.pop("builder", None))
    if builder is None:
        raise ModelError(f"checkpoint names no known model builder: {spec}")
    if "input_size" in spec:
        spec["input_size"] = tuple(spec["input_size"])
    return builder(**spec)


# ---------------------------------------------------------------------------------------------
# Heatmap architecture zoo (issue 6): HRNet, Stacked Hourglass, Convolutional Pose Machines, CPN.
# Each builder composes backbone + head + heatmap codec like simplebaseline() and records a spec.
# ---------------------------------------------------------------------------------------------

HRNET = "Sun, Xiao, Liu, Wang. Deep High-Resolution Representation Learning for Human Pose Estimation. CVPR 2019"
HOURGLASS = "Newell, Yang, Deng. Stacked Hourglass Networks for Human Pose Estimation. ECCV 2016"
CPM = "Wei, Ramakrishna, Kanade, Sheikh. Convolutional Pose Machines. CVPR 2016"
CPN = "Chen, Wang, Peng, Zhang, Yu, Sun. Cascaded Pyramid Network for Multi-Person Pose Estimation. CVPR 2018"
HRNET_TABLE = "Sun et al. 2019, Table 1 and the official README (COCO val2017, detector boxes, flip test)"
HRNET_TABLE_OTHERS = "Sun et al. 2019, Table 1 (COCO val2017, detector boxes)"
MMPOSE_SPEED = "MMPose 0.x docs/en/inference_speed_summary.md (COCO val2017, detector boxes; FLOPs by mmcv's counter)"


def _heatmap_parts(name: str, skeleton, input_size, multiple: int, stride: int, codec: str, sigma, loss=None):
    """Skeleton, codec (and loss) shared by the heatmap builders; checks the input size against the network."""
    from .codecs import DARKHeatmap, MSRAHeatmap, UDPHeatmap
    from .models.losses import KeypointMSELoss, OHKMMSELoss

    codecs = {"msra": MSRAHeatmap, "dark": DARKHeatmap, "udp": UDPHeatmap}
    losses = {"mse": KeypointMSELoss, "ohkm": OHKMMSELoss}
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


def hrnet(width: int = 32, input_size: tuple[int, int] = (192, 256), skeleton="coco17", codec: str = "msra",
          sigma: float | None = None, loss: str = "mse"):
    """HRNet-W``width`` (Sun et al. 2019) + a 1x1 heatmap convolution on its stride-4 branch + a heatmap codec.

    ``input_size`` (W, H) must be a multiple of 32. The paper's GFLOPs are multiply-adds / 2**30
    of convolutions only: :func:`posekit.models.complexity.count_macs` gives 7.645e9 for
    HRNet-W32 at 256x192, 7.12 * 2**30 (paper: 7.1).
    """
    from .models.backbones.hrnet import HRNet
    from .models.heads.heatmap import HeatmapHead
    from .topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("HRNet", skeleton, input_size, 32, 4, codec, sigma, loss)
    spec = {"builder": "hrnet", "width": width, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(HRNet(width), HeatmapHead(width, sk.num_keypoints), cod, sk, fn, spec)


def hourglass(stacks: int = 8, channels: int = 256, input_size: tuple[int, int] = (256, 256), skeleton="coco17",
              codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """Stacked Hourglass (Newell et al. 2016): ``stacks`` hourglasses of ``channels`` features, every stack's
    heatmaps supervised with ``loss``; heatmaps a quarter of ``input_size`` (a multiple of 4)."""
    from torch import nn

    from .models.backbones.hourglass import StackedHourglass
    from .topdown.estimator import TopDown

    sk, cod, sigma, fn = _heatmap_parts("Stacked Hourglass", skeleton, input_size, 4, 4, codec, sigma, loss)
    spec = {"builder": "hourglass", "stacks": stacks, "channels": channels, "input_size": list(input_size),
            "skeleton": skeleton_spec(sk), "codec": codec, "sigma": sigma, "loss": loss}
    return TopDown(StackedHourglass(sk.num_keypoints, stacks, channels), nn.Identity(), cod, sk, fn, spec)


def cpm(stages: int = 6, channels: int = 128, stage1_channels: int = 512, input_size: tuple[int, int] = (368, 368),
        skeleton="coco17", codec: str = "msra", sigma: float | None = None, loss: str = "mse"):
    """Convolutional Pose Machine (Wei et al. 2016): ``stages`` belief-map predictors, each supervised with
    ``loss``; heatmaps an eighth of ``input_size`` (a multiple of 8)."""
    from torch import nn

    from .models.backbones.cpm import ConvolutionalPoseMachine
    from .topdown.estimator import TopDown

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
    from .models.backbones.resnet import ResNetPyramid
    from .models.heads.cpn import CascadedPyramidHead
    from .models.losses import KeypointMSELoss
    from .topdown.estimator import TopDown

    sk, cod, sigma, refine = _heatmap_parts("CPN", skeleton, input_size, 32, 4, codec, sigma, refine_loss)
    backbone = ResNetPyramid(depth)
    head = CascadedPyramidHead(backbone.pyramid_channels, sk.num_keypoints, channels)
    spec = {"builder": "cpn", "depth": depth, "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "codec": codec, "sigma": sigma, "refine_loss": refine_loss, "channels": channels}
    return TopDown(backbone, head, cod, sk, [KeypointMSELoss() for _ in range(4)] + [refine], spec)


BUILDERS.update(hrnet=hrnet, hourglass=hourglass, cpm=cpm, cpn=cpn)


def _preset(name, builder, paper, input_size, published=None, source=None, learned=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, input_size=input_size, **kw), paper, HEATMAP, input_size, published,
                  learned or {})


PRESETS.update({p.name: p for p in [
    _preset("hrnet-w32-256x192", hrnet, HRNET, (192, 256), {"coco_val_ap": 74.4, "params_m": 28.5, "gflops": 7.1},
            HRNET_TABLE, width=32),
    _preset("hrnet-w32-384x288", hrnet, HRNET, (288, 384), {"coco_val_ap": 75.8, "params_m": 28.5, "gflops": 16.0},
            HRNET_TABLE, width=32),
    _preset("hrnet-w48-256x192", hrnet, HRNET, (192, 256), {"coco_val_ap": 75.1, "params_m": 63.6, "gflops": 14.6},
            HRNET_TABLE, width=48),
    _preset("hrnet-w48-384x288", hrnet, HRNET, (288, 384), {"coco_val_ap": 76.3, "params_m": 63.6, "gflops": 32.9},
            HRNET_TABLE, width=48),
    _preset("hrnet-w16-128x96", hrnet, HRNET, (96, 128), width=16),
    _preset("hourglass-8stack-256x192", hourglass, HOURGLASS, (192, 256),
            {"coco_val_ap": 66.9, "params_m": 25.1, "gflops": 14.3}, HRNET_TABLE_OTHERS),
    _preset("hourglass-8stack-256x256", hourglass, HOURGLASS, (256, 256), {"mpii_test_pckh@0.5": 90.9},
            "Newell et al. 2016, Table 2 (MPII test); not re-checked", skeleton="mpii16"),
    _preset("hourglass-2stack-128x96", hourglass, HOURGLASS, (96, 128), stacks=2, channels=128),
    _preset("cpm-368x368", cpm, CPM, (368, 368), {"mpii_test_pckh@0.5": 88.5},
            "Wei et al. 2016, MPII test (the CPM row of Newell et al. 2016, Table 2); not re-checked",
            skeleton="mpii16"),
    _preset("cpm-256x192", cpm, CPM, (192, 256), {"coco_val_ap": 62.3, "params_m": 31.3, "gflops": 63.81},
            MMPOSE_SPEED),
    _preset("cpm-128x96", cpm, CPM, (96, 128), stages=3, channels=32, stage1_channels=128),  # 3 slim stages
    _preset("cpn-r50-256x192", cpn, CPN, (192, 256), {"coco_val_ap": 69.4, "params_m": 27.0, "gflops": 6.2},
            HRNET_TABLE_OTHERS + "; CPN+OHKM, their detector", depth=50),
    _preset("cpn-r18-128x96", cpn, CPN, (96, 128), depth=18, channels=128),
]})
