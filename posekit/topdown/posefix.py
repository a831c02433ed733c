"""PoseFix: a model-agnostic pose refinement network that corrects any estimator's poses.

Moon, Chang, Lee, "PoseFix: Model-agnostic General Human Pose Refinement Network", CVPR 2019.
The refiner is a top-down heatmap network whose input is a person's crop together with the pose
some estimator gave for that person, rendered as one Gaussian heatmap per keypoint (3 + K input
channels); its output is corrected heatmaps. It never sees which estimator made the input pose:
it is trained on poses perturbed by the error kinds real estimators make (Ruggero Ronchi & Perona,
ICCV 2017: jitter, inversion, swap, miss; here :mod:`posekit.zoo.learning_posefix`), so one refiner
applies after any model, top-down or bottom-up.

The network is PoseFix's shape at a small size: a ResNet trunk whose first convolution takes the
3 + K channels, and SimpleBaseline's deconvolution head (Xiao et al. ECCV 2018; PoseFix's own
backbone is ResNet-152 + the same deconvolutions). The input pose is rendered at the crop's
resolution, Gaussians of a fixed ``pose_sigma`` in crop pixels, peak 1 whatever the keypoint's
score. One simplification, named: the output is trained with SimpleBaseline's MSE on Gaussian
targets and decoded by the heatmap codec (arg-max + quarter-pixel shift), where PoseFix combines a
heatmap cross-entropy with an integral (soft-argmax) regression loss. The keypoint score is the refined
heatmap's maximum.

Crops are the top-down pipeline's (:mod:`posekit.topdown.transforms`: the person's box, padded by
1.25 to the input aspect ratio); keypoints go in and come out in image pixels.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..codecs import MSRAHeatmap
from ..codecs.heatmap_ops import render_gaussians
from ..errors import InputError, ModelError
from ..models.backbones.resnet import ResNet
from ..models.heads.deconv import DeconvHead
from ..models.losses import KeypointMSELoss
from ..skeletons import get_skeleton
from ..structures import PoseResult
from .estimator import TopDown
from .transforms import apply_affine, box_to_center_scale, crop_matrix, invert_affine, normalize_image, warp

__all__ = ["PoseFixConfig", "PoseFix", "render_pose", "posefix_input", "refine_crops", "refine_poses",
           "refine_result", "Refined", "save_posefix", "load_posefix", "POSEFIX_FILE", "MOON"]

MOON = "Moon, Chang, Lee. PoseFix: Model-agnostic General Human Pose Refinement Network. CVPR 2019"
POSEFIX_FILE = "posefix.safetensors"
KIND = "posefix"


@dataclass(frozen=True)
class PoseFixConfig:
    """``input_size`` (W, H) of the crop, a multiple of 32; a ResNet-``depth`` trunk, a deconvolution
    head ``channels`` wide; ``sigma`` of the output targets in heatmap pixels, ``pose_sigma`` of the
    input pose's Gaussians in crop pixels; ``skeleton`` the keypoint set it refines."""

    input_size: tuple[int, int] = (64, 128)
    depth: int = 18
    channels: int = 128
    sigma: float = 2.0
    pose_sigma: float = 3.0
    skeleton: str = "coco17"


class PoseFix(TopDown):
    """(N, 3 + K, H, W) crops and input-pose heatmaps -> (N, K, H/4, W/4) refined heatmaps."""

    def __init__(self, config: PoseFixConfig = PoseFixConfig()):
        w, h = config.input_size
        if w % 32 or h % 32:
            raise ModelError(f"PoseFix input size must be a multiple of 32, not {w}x{h} (W x H)")
        sk = get_skeleton(config.skeleton)
        backbone = ResNet(config.depth)
        backbone.conv1 = nn.Conv2d(3 + sk.num_keypoints, 64, 7, 2, 3, bias=False)
        nn.init.kaiming_normal_(backbone.conv1.weight, mode="fan_out", nonlinearity="relu")
        codec = MSRAHeatmap(input_size=(w, h), heatmap_size=(w // 4, h // 4), sigma=config.sigma)
        head = DeconvHead(backbone.out_channels, sk.num_keypoints, channels=config.channels)
        super().__init__(backbone, head, codec, sk, KeypointMSELoss(), {"kind": KIND, **asdict(config)})
        self.config = config


def render_pose(keypoints: np.ndarray, valid: np.ndarray, size: tuple[int, int], sigma: float) -> np.ndarray:
    """The input pose as heatmaps: (N, K, H, W) float32 Gaussians of peak 1 at ``keypoints`` (N, K, 2)
    crop pixels (exact sub-pixel centres), all zero where ``valid`` (N, K) is False; ``size`` (W, H)."""
    kp = np.asarray(keypoints, np.float64)
    ok = np.asarray(valid, bool) & np.isfinite(kp).all(-1)
    return render_gaussians(np.nan_to_num(kp), ok, size, sigma, unbiased=True)


def posefix_input(crops: np.ndarray, keypoints: np.ndarray, valid: np.ndarray, config: PoseFixConfig) -> np.ndarray:
    """The network input (N, 3 + K, H, W): normalised crops (N, 3, H, W) and the pose in crop pixels."""
    maps = render_pose(keypoints, valid, config.input_size, config.pose_sigma)
    return np.concatenate([np.asarray(crops, np.float32), maps], 1)


@torch.no_grad()
def refine_crops(model: PoseFix, crops: np.ndarray, keypoints: np.ndarray, valid: np.ndarray,
                 batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Refined crop-pixel keypoints (N, K, 2) and scores (N, K) for normalised ``crops`` (N, 3, H, W)
    and their input poses ``keypoints`` (N, K, 2) in crop pixels (``valid`` (N, K): which to render)."""
    model.eval()
    device = next(model.parameters()).device
    k = model.skeleton.num_keypoints
    kp, ks = np.zeros((len(crops), k, 2)), np.zeros((len(crops), k))
    for a in range(0, len(crops), batch_size):
        x = posefix_input(crops[a:a + batch_size], keypoints[a:a + batch_size], valid[a:a + batch_size], model.config)
        kp[a:a + batch_size], ks[a:a + batch_size] = model.predict_crops(torch.from_numpy(x).to(device))
    return kp, ks


def _crops(image: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised crops (N, 3, H, W) of the people's ``boxes`` (N, 4) and the image -> crop matrices (N, 2, 3)."""
    w, h = size
    centres, scales = box_to_center_scale(boxes, w / h, 1.25)
    matrices = crop_matrix(centres, scales, size)
    crops = np.stack([normalize_image(warp(image, m, size)) for m in matrices]) if len(matrices) else \
        np.zeros((0, 3, h, w), np.float32)
    return crops, matrices


def refine_poses(model: PoseFix, image: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray,
                 valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Refined keypoints (N, K, 2) in image pixels and scores (N, K) of the poses ``keypoints``
    (N, K, 2) of the people in ``boxes`` (N, 4, x y w h) of the RGB ``image``; ``valid`` (N, K),
    given, says which input keypoints to render (a keypoint that is not finite never is)."""
    keypoints = np.asarray(keypoints, np.float64)
    if valid is None:
        valid = np.ones(keypoints.shape[:2], bool)
    if not len(keypoints):
        return keypoints.copy(), np.zeros(keypoints.shape[:2])
    crops, matrices = _crops(image, np.asarray(boxes, np.float64), model.config.input_size)
    kp, ks = refine_crops(model, crops, apply_affine(np.nan_to_num(keypoints), matrices),
                          valid & np.isfinite(keypoints).all(-1))
    return apply_affine(kp, invert_affine(matrices)), ks


def refine_result(model: PoseFix, image: np.ndarray, result: PoseResult) -> PoseResult:
    """``result`` with every person's pose refined: its main keypoint set if the refiner's, else the view
    of that name (a BlazePose result's ``coco17``); :class:`InputError` if it has neither."""
    name = model.config.skeleton
    if name != result.skeleton and name not in result.views:
        raise InputError(f"the PoseFix refiner refines {name} poses; this model gives {result.skeleton}"
                         + (f" (and {', '.join(result.views)})" if result.views else ""))
    view = result.as_view(name)
    kp, ks = refine_poses(model, image, view.keypoints, view.boxes)
    if name == result.skeleton:
        return replace(result, keypoints=kp, keypoint_scores=ks, views=dict(result.views))
    return replace(result, views={**result.views, name: (kp, ks)})


class Refined:
    """Any estimator (``estimator.predict(image, ...) -> PoseResult``) followed by PoseFix; every other
    attribute is the estimator's."""

    def __init__(self, estimator, model: PoseFix):
        self.estimator, self.refiner = estimator, model

    def predict(self, image: np.ndarray, *args, **kwargs) -> PoseResult:
        return refine_result(self.refiner, image, self.estimator.predict(image, *args, **kwargs))

    def __getattr__(self, name: str):
        if name in ("estimator", "refiner"):  # not set yet (copying, unpickling)
            raise AttributeError(name)
        return getattr(self.estimator, name)


def save_posefix(model: PoseFix, run_dir: str | Path, info: dict | None = None) -> Path:
    """``run_dir/posefix.safetensors`` (weights, the spec in its metadata) and ``run_dir/posefix.json``,
    each written atomically."""
    from ..engine.checkpoint import save_weights
    from ..fileio import write_json

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model, run_dir / POSEFIX_FILE, {"info": info or {}})
    write_json(run_dir / "posefix.json", {"spec": model.spec, "paper": MOON, **(info or {})}, indent=True)
    return run_dir / POSEFIX_FILE


def load_posefix(run_dir: str | Path) -> PoseFix:
    """The refiner saved in ``run_dir`` (or a posefix.safetensors file), in eval mode; anything else
    raises :class:`InputError` naming the file."""
    from ..engine.checkpoint import load_weights, weights_info

    p = Path(run_dir)
    path = p / POSEFIX_FILE if p.is_dir() else p
    if not path.is_file():
        raise InputError(f"{path}: not a PoseFix run (no {POSEFIX_FILE}; train one with posekit train-posefix)")
    try:
        spec = weights_info(path).get("spec") or {}
    except ModelError as e:
        raise InputError(str(e)) from None
    if not isinstance(spec, dict) or spec.get("kind") != KIND:
        kind = spec.get("kind") or spec.get("builder") if isinstance(spec, dict) else None
        raise InputError(f"{path}: not a PoseFix refiner (its model is {kind or 'unnamed'})")
    try:
        fields = {k: v for k, v in spec.items() if k != "kind"}
        model = PoseFix(PoseFixConfig(**dict(fields, input_size=tuple(fields.get("input_size", (64, 128))))))
        load_weights(model, path)
    except (ModelError, TypeError, KeyError, ValueError) as e:
        raise InputError(f"{path}: {e}") from None
    return model.eval()
