"""Builders of the regression family (survey section 1.1): DeepPose, integral regression, RLE and
SimCC on ResNet backbones, each with its codec, head and loss."""
from __future__ import annotations

from ..errors import ModelError
from .specs import resolve_skeleton, skeleton_spec

__all__ = ["deeppose", "integral_regression", "rle", "simcc"]

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



COORDINATE_LOSSES = ("l1", "l2", "wing", "oks", "limbs")


def coordinate_loss(name: str, input_size: tuple[int, int], sk):
    """The coordinate loss called ``name`` (:data:`COORDINATE_LOSSES`) for inputs of ``input_size`` and skeleton ``sk``."""
    from ..models.regression_losses import CoordinateLoss, LimbConsistencyLoss, OKSLoss, WingLoss

    if name == "wing":
        return WingLoss(input_size)
    if name == "oks":
        return OKSLoss(input_size, sk.sigma_array())
    if name == "limbs":
        return LimbConsistencyLoss(input_size, sk.limbs, sk.flip_index())
    return CoordinateLoss(name)


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
    a smooth L1), ``"l2"`` (Toshev & Szegedy's), ``"wing"``, ``"oks"`` or ``"limbs"`` (L1 plus limb-length
    and symmetry consistency; :mod:`posekit.models.regression_losses`)."""
    from ..codecs import RegressionLabel
    from ..models.backbones.resnet import ResNet
    from ..models.heads.regression import RegressionHead
    from ..topdown.estimator import TopDown

    if loss not in COORDINATE_LOSSES:
        raise ModelError(f"loss must be one of {', '.join(COORDINATE_LOSSES)}, not {loss!r}")
    if stages < 1:
        raise ModelError(f"stages must be at least 1, not {stages}")
    sk = resolve_skeleton(skeleton)
    w, h = _resnet_input("DeepPose", input_size)
    backbone = ResNet(depth)
    spec = {"builder": "deeppose", "depth": depth, "input_size": [w, h], "skeleton": skeleton_spec(sk),
            "stages": stages, "loss": loss}
    return TopDown(backbone, RegressionHead(backbone.out_channels, sk.num_keypoints, stages),
                   RegressionLabel(input_size=(w, h)), sk, coordinate_loss(loss, (w, h), sk), spec)


def integral_regression(depth: int = 50, input_size: tuple[int, int] = (256, 256), skeleton="coco17",
                        beta: float = 1.0):
    """Integral regression: SimpleBaseline's ResNet-``depth`` and deconvolutions give heatmaps at a
    quarter of the input, a soft-argmax turns them into coordinates, trained with an L1 loss."""
    from ..codecs import RegressionLabel
    from ..models.backbones.resnet import ResNet
    from ..models.heads.integral import IntegralHead
    from ..models.regression_losses import CoordinateLoss
    from ..topdown.estimator import TopDown

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
    from ..codecs import RegressionLabel
    from ..models.backbones.resnet import ResNet
    from ..models.heads.rle import RLEHead
    from ..models.regression_losses import RLELoss
    from ..topdown.estimator import TopDown

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
    from ..codecs import SimCCLabel
    from ..models.backbones.resnet import ResNet
    from ..models.heads.simcc import SimCCHead
    from ..models.regression_losses import KLDiscreteLoss
    from ..topdown.estimator import TopDown

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
