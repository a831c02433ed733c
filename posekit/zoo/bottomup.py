"""Builders and presets of the bottom-up part-field family (survey section 2.3): OpenPose's CMU
network at the paper's size and CPU-sized variants, each a
:class:`~posekit.bottomup.model.PAFModel` (network + :class:`~posekit.codecs.paf.PAFCodec` +
skeleton) with the ``spec`` that rebuilds it from a checkpoint."""
from __future__ import annotations

from .specs import resolve_skeleton, skeleton_spec

__all__ = ["openpose", "OPENPOSE", "PART_FIELDS", "OPENPOSE_TABLE", "SMALL_WIDTHS"]

OPENPOSE = ("Cao, Simon, Wei, Sheikh. Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields. "
            "CVPR 2017")
PART_FIELDS = "2.3 bottom-up / part fields"
OPENPOSE_TABLE = ("Cao et al. 2017, Table 3 (COCO 2016 test-dev, with their single-person refinement); "
                  "parameters counted from pose_deploy_linevec.prototxt (18 points + background, 19 limbs)")
# the CPU-sized front end: VGG-19's twelve convolutions (ten + two CPM) at an eighth of the widths or so
SMALL_WIDTHS = (16, 16, 32, 32, 48, 48, 48, 48, 64, 64, 64, 64)


def openpose(input_size: tuple[int, int] = (368, 368), skeleton="coco17", stages: int = 6, channels: int = 128,
             mid: int = 512, refine_kernel: int = 7, refine_convs: int = 5, widths: tuple[int, ...] | None = None,
             bn: bool = False, sigma: float = 7.0, limb_width: float = 1.0, upsample: int = 4):
    """OpenPose (Cao et al. 2017): :class:`~posekit.models.backbones.vgg.VGG19Front` + the
    :class:`~posekit.models.heads.cmu_paf.CMUPAFHead` (``stages`` two-branch stages) + a
    :class:`~posekit.codecs.paf.PAFCodec` over ``skeleton.limbs``.

    Defaults are the paper's: 368x368 input, six stages of 128 channels, 7x7 refinement kernels,
    sigma 7 input pixels, limbs one grid cell wide. ``widths``, ``channels``, ``mid``, ``refine_kernel``,
    ``refine_convs`` and ``bn`` make CPU-sized variants (see :data:`SMALL_WIDTHS`).
    """
    from ..bottomup.model import PAFModel
    from ..codecs.paf import PAFCodec
    from ..models.backbones.vgg import VGG19Front
    from ..models.heads.cmu_paf import CMUPAFHead
    from ..models.paf_network import PAFNetwork

    sk = resolve_skeleton(skeleton)
    backbone = VGG19Front(widths, bn=bn)
    head = CMUPAFHead(backbone.out_channels, sk.num_keypoints, len(sk.limbs), stages, channels, mid, refine_kernel,
                      refine_convs, bn)
    codec = PAFCodec(tuple(input_size), sk.num_keypoints, tuple(sk.limbs), 8, sigma, limb_width, upsample)
    spec = {"builder": "openpose", "input_size": list(input_size), "skeleton": skeleton_spec(sk), "stages": stages,
            "channels": channels, "mid": mid, "refine_kernel": refine_kernel, "refine_convs": refine_convs,
            "widths": list(widths) if widths is not None else None, "bn": bn, "sigma": sigma,
            "limb_width": limb_width, "upsample": upsample}
    return PAFModel(PAFNetwork(backbone, head), codec, sk, spec)
