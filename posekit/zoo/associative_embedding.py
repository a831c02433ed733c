"""Builders and presets of the bottom-up associative-embedding family (survey section 2, "Associative
embedding"): HigherHRNet at the papers' sizes, with SWAHR's loss as an option, and a CPU-sized
variant, each an :class:`~posekit.bottomup.associative_embedding.AEModel` (network +
:class:`~posekit.codecs.associative_embedding.AECodec` + skeleton) with the ``spec`` that rebuilds it."""
from __future__ import annotations

from .specs import resolve_skeleton, skeleton_spec

__all__ = ["higherhrnet", "AE", "HIGHERHRNET", "SWAHR", "ASSOCIATIVE_EMBEDDING", "HIGHERHRNET_TABLE",
           "SWAHR_TABLE", "CPU_PRESET", "CPU_SWAHR_PRESET", "SMALL", "PROOF_STEPS", "proof_run"]

AE = ("Newell, Huang, Deng. Associative Embedding: End-to-End Learning for Joint Detection and Grouping. "
      "NIPS 2017")
HIGHERHRNET = ("Cheng, Xiao, Wang, Shi, Huang, Zhang. HigherHRNet: Scale-Aware Representation Learning for "
               "Bottom-Up Human Pose Estimation. CVPR 2020")
SWAHR = ("Luo, Wang, Zhu, Chen, Gao, Huang, Yu. Rethinking the Heatmap Regression for Bottom-up Human Pose "
         "Estimation. CVPR 2021")
ASSOCIATIVE_EMBEDDING = "2.2 bottom-up / associative embedding"
HIGHERHRNET_TABLE = ("Cheng et al. 2020, Table 1 (COCO val2017, without / with multi-scale test, flip test); "
                     "parameters from the same table")
SWAHR_TABLE = "Luo et al. 2021, Table 1 (COCO val2017, HigherHRNet-W32 + SWAHR, single scale)"
CPU_PRESET = "higherhrnet-small-160x160"
CPU_SWAHR_PRESET = "higherhrnet-swahr-small-160x160"
# the CPU size: HRNet-W16 with one module of one basic block per branch in each stage, one block after
# the deconvolution (1.11 M parameters; about 0.5 s a training step of 8 images at 160x160 on one core)
PROOF_STEPS = 900          # about 9 CPU minutes of the CPU preset with its validation
SMALL = {"width": 16, "modules": (1, 1, 1), "hr_blocks": 1, "deconv_blocks": 1}


def higherhrnet(input_size: tuple[int, int] = (512, 512), skeleton="coco17", width: int = 32,
                modules: tuple[int, int, int] = (1, 4, 3), hr_blocks: int = 4, deconv_blocks: int = 4,
                sigma: float = 2.0, max_people: int = 30, swahr: bool = False, flip_test: bool = False,
                grouping: dict | None = None):
    """HigherHRNet (Cheng et al. 2020): :class:`~posekit.models.backbones.hrnet.HRNet` (its stride-4
    branch) + :class:`~posekit.models.heads.higherhrnet.HigherHRNetHead` (heatmaps and tags at 1/4,
    heatmaps at 1/2) + an :class:`~posekit.codecs.associative_embedding.AECodec` (strides 4 and 2).

    Defaults are the paper's (W32, 512x512, sigma 2, 30 people, 4 deconvolution blocks); ``swahr`` adds
    SWAHR's scale maps and loss; ``modules``, ``hr_blocks``, ``deconv_blocks`` make CPU sizes
    (:data:`SMALL`). COCO-17 visits its keypoints in HigherHRNet's ``joint_order``, other skeletons in
    index order.
    """
    from ..bottomup.associative_embedding import AEModel
    from ..codecs.associative_embedding import COCO_JOINT_ORDER, AECodec
    from ..models.backbones.hrnet import HRNet
    from ..models.heads.higherhrnet import AENetwork, HigherHRNetHead

    sk = resolve_skeleton(skeleton)
    k = sk.num_keypoints
    backbone = HRNet(width, tuple(modules), hr_blocks)
    head = HigherHRNetHead(backbone.out_channels, k, width, deconv_blocks, k, 1, swahr)
    order = COCO_JOINT_ORDER if sk.name == "coco17" else None
    codec = AECodec(tuple(input_size), k, (4, 2), sigma, max_people, order, None, dict(grouping or {}))
    spec = {"builder": "higherhrnet", "input_size": list(input_size), "skeleton": skeleton_spec(sk), "width": width,
            "modules": list(modules), "hr_blocks": hr_blocks, "deconv_blocks": deconv_blocks, "sigma": sigma,
            "max_people": max_people, "swahr": swahr, "flip_test": flip_test, "grouping": dict(grouping or {})}
    return AEModel(AENetwork(backbone, head), codec, sk, spec, swahr=swahr, flip_test=flip_test)


def proof_run(seed: int, steps: int | None = None, preset: str = CPU_PRESET, train_scenes: int = 800,
              held_out_scenes: int = 100, untrained: bool = True) -> dict:
    """The learning proof of ``preset`` on :mod:`posekit.zoo.learning_paf`'s synthetic scenes (the same
    scenes as the part-field proof): ``train_scenes`` drawn with seed ``1000 + seed``, ``held_out_scenes``
    with seed 7, :data:`PROOF_STEPS` steps by default."""
    from .learning_paf import SIZE, learn_paf, synthetic_scenes

    train, _ = synthetic_scenes(train_scenes, SIZE, 1000 + seed)
    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    return learn_paf(preset, PROOF_STEPS if steps is None else steps, train, held_out, gt, seed=seed,
                     untrained=untrained)
