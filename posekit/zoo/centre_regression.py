"""Builders and presets of the bottom-up human-centre regression family (survey section 2, "Human-centre
regression"): DEKR on HRNet at the paper's sizes and a CPU size, and SPM at a CPU size, each a
bottom-up model (network + image codec + skeleton + ``spec``) for ``posekit train``'s bottom-up driver.

Parameter counts (network only, :func:`posekit.models.complexity.count_parameters`, 17 keypoints):
``dekr-w32-512`` 29.56 M and ``dekr-w48-640`` 65.68 M against the DEKR paper's 29.6 M and 65.7 M
(``tests/bottomup/test_dekr_model.py`` checks them within 3%).
"""
from __future__ import annotations

from ..errors import ModelError
from .specs import resolve_skeleton, skeleton_spec

__all__ = ["dekr", "spm", "DEKR", "SPM", "CENTRE_REGRESSION", "DEKR_TABLE", "DEKR_CPU_PRESET", "SPM_CPU_PRESET"]

DEKR = ("Geng, Sun, Xiao, Zhang, Wang. Bottom-Up Human Pose Estimation via Disentangled Keypoint Regression. "
        "CVPR 2021")
SPM = "Nie, Feng, Zhang, Yan. Single-Stage Multi-Person Pose Machines. ICCV 2019"
CENTRE_REGRESSION = "2.1 bottom-up / human-centre regression"
DEKR_TABLE = "Geng et al. 2021, Table 1 (COCO val2017, single-scale testing)"
DEKR_CPU_PRESET = "dekr-small-160x160"
SPM_CPU_PRESET = "spm-small-160x160"


def _check_input(name: str, input_size) -> tuple[int, int]:
    w, h = (int(v) for v in input_size)
    if w % 32 or h % 32:
        raise ModelError(f"{name} input size must be a multiple of 32 (HRNet's lowest branch), not {w}x{h} (W x H)")
    return w, h


def dekr(input_size: tuple[int, int] = (512, 512), skeleton="coco17", width: int = 32,
         modules: tuple[int, int, int] = (1, 4, 3), blocks: int = 4, heatmap_channels: int | None = None,
         per_keypoint: int = 15, offset_blocks: int = 2, sigma: float = 2.0, centre_sigma: float = 4.0,
         radius: int = 4, offset_factor: float = 0.03):
    """DEKR (Geng et al. 2021): HRNet-W``width`` (all four branches) + :class:`~posekit.models.heads.dekr.DEKRHead`
    + :class:`~posekit.codecs.dekr.DEKRCodec`, a :class:`~posekit.bottomup.dekr.DEKRModel`.

    Defaults are the paper's W32 at 512x512 (``w32_4x_reg03_bs10_512``): heatmap head of ``width``
    channels, 15 channels and two adaptive blocks per joint, sigma 2 and centre sigma 4 cells, offset
    radius 4, offset loss factor 0.03. ``modules``, ``blocks`` and the head sizes make CPU-sized variants.
    """
    from ..bottomup.dekr import DEKRModel
    from ..codecs.dekr import DEKRCodec
    from ..models.backbones.hrnet import HRNet
    from ..models.heads.dekr import DEKRNetwork

    w, h = _check_input("DEKR", input_size)
    sk = resolve_skeleton(skeleton)
    heatmap_channels = width if heatmap_channels is None else heatmap_channels
    backbone = HRNet(width, tuple(modules), blocks, return_branches=True)
    network = DEKRNetwork(backbone, sk.num_keypoints, heatmap_channels=heatmap_channels, per_keypoint=per_keypoint,
                          offset_blocks=offset_blocks)
    codec = DEKRCodec((w, h), sk.num_keypoints, stride=4, sigma=sigma, centre_sigma=centre_sigma, radius=radius)
    spec = {"builder": "dekr", "input_size": [w, h], "skeleton": skeleton_spec(sk), "width": width,
            "modules": list(modules), "blocks": blocks, "heatmap_channels": heatmap_channels,
            "per_keypoint": per_keypoint, "offset_blocks": offset_blocks, "sigma": sigma,
            "centre_sigma": centre_sigma, "radius": radius, "offset_factor": offset_factor}
    return DEKRModel(network, codec, sk, spec, offset_factor=offset_factor)


def spm(input_size: tuple[int, int] = (512, 512), skeleton="coco17", width: int = 32,
        modules: tuple[int, int, int] = (1, 4, 3), blocks: int = 4, channels: int = 64, head_blocks: int = 2,
        sigma: float = 2.0, radius: int = 2, displacement_factor: float = 0.03):
    """SPM (Nie et al. 2019): root map + hierarchical displacements (:class:`~posekit.codecs.spm.SPMCodec`,
    the tree derived from ``skeleton``'s limbs) on HRNet-W``width``'s concatenated branches and an
    :class:`~posekit.models.heads.spm.SPMHead`, a :class:`~posekit.bottomup.spm.SPMModel`. SPM's paper uses
    a Hourglass network; posekit offers the CPU size only (``spm-small-160x160``)."""
    from ..bottomup.spm import SPMModel
    from ..codecs.spm import SPMCodec, torso_joints
    from ..models.backbones.hrnet import HRNet
    from ..models.heads.dekr import DEKRNetwork
    from ..models.heads.spm import SPMHead

    w, h = _check_input("SPM", input_size)
    sk = resolve_skeleton(skeleton)
    backbone = HRNet(width, tuple(modules), blocks, return_branches=True)
    head = SPMHead(sum(backbone.out_channels), sk.num_keypoints, channels, head_blocks)
    network = DEKRNetwork(backbone, sk.num_keypoints, head=head)
    codec = SPMCodec((w, h), sk.num_keypoints, tuple(sk.limbs), torso_joints(sk.names, sk.limbs), stride=4,
                     sigma=sigma, radius=radius)
    spec = {"builder": "spm", "input_size": [w, h], "skeleton": skeleton_spec(sk), "width": width,
            "modules": list(modules), "blocks": blocks, "channels": channels, "head_blocks": head_blocks,
            "sigma": sigma, "radius": radius, "displacement_factor": displacement_factor}
    return SPMModel(network, codec, sk, spec, displacement_factor=displacement_factor)
