"""Builder and presets of PifPaf (survey section 2.3, bottom-up part fields): OpenPifPaf's
ShuffleNetV2K16 and K30 at their published size, and a CPU-sized variant trainable from scratch
on the synthetic scenes, each a :class:`~posekit.bottomup.pifpaf.PifPafModel` with the ``spec``
that rebuilds it from a checkpoint."""
from __future__ import annotations

from .specs import resolve_skeleton, skeleton_spec

__all__ = ["pifpaf", "proof_run", "ground_truth_ap", "PROOF_STEPS", "PIFPAF", "OPENPIFPAF", "OPENPIFPAF_TABLE",
           "CPU_PRESET", "SMALL_REPEATS", "SMALL_WIDTHS", "EVAL_DECODER",
           "OPENPIFPAF_SIZES"]

PIFPAF = ("Kreiss, Bertoni, Alahi. PifPaf: Composite Fields for Human Pose Estimation. CVPR 2019; "
          "OpenPifPaf: Composite Fields for Semantic Keypoint Detection and Spatio-Temporal Association. "
          "T-ITS 2021")
OPENPIFPAF = "OpenPifPaf (openpifpaf/network/basenetworks.py ShuffleNetV2K, network/heads.py CompositeField)"
OPENPIFPAF_TABLE = ("OpenPifPaf docs, Introduction, 'Pre-trained Models' (COCO val, v0.13 checkpoints); "
                    "the docs publish checkpoint sizes (38.9 MB, 115.0 MB), no parameter counts")
# the published checkpoint files' sizes, MB (the same table): float32 parameters and batch-norm statistics
OPENPIFPAF_SIZES = {"pifpaf-shufflenetv2k16": 38.9, "pifpaf-shufflenetv2k30": 115.0}
CPU_PRESET = "pifpaf-small-160x160"
# the CPU-sized base network: ShuffleNetV2K16's layout with (2, 4, 2) units and widths about / 5
SMALL_REPEATS, SMALL_WIDTHS = (2, 4, 2), (24, 64, 128, 256, 256)
# the CPU preset decodes with OpenPifPaf's COCO-evaluation thresholds (its older eval defaults: seeds
# from 0.2, keypoints from 0.05, every person kept), not the prediction defaults
EVAL_DECODER = {"seed_threshold": 0.2, "keypoint_threshold": 0.05, "instance_threshold": 0.0}


def pifpaf(input_size: tuple[int, int] = (641, 641), skeleton="coco17", repeats=(4, 8, 4),
           widths=(24, 348, 696, 1392, 1392), kernel: int = 5, upsample: int = 2, bmin: float = 0.1,
           decoder: dict | None = None, stage4_dilation: int = 1):
    """PifPaf: :class:`~posekit.models.backbones.shufflenet.ShuffleNetV2K` (``repeats``, ``widths``,
    ``kernel``; stride 16, or 8 with ``stage4_dilation``) + :class:`~posekit.models.heads.pifpaf.PifPafHead` (pixel shuffle by
    ``upsample``: stride-8 fields) + :class:`~posekit.codecs.pifpaf.PifPafCodec` over ``skeleton.limbs``.

    Defaults: ShuffleNetV2K16 (OpenPifPaf ``factory.py``), ``bmin`` 0.1 input pixels. The input size
    is rounded down to a multiple of 16 for the codec (OpenPifPaf trains on 385 x 385 crops and
    evaluates on the long side 641; its ``16 n + 1`` sizes become ``16 n`` here). ``decoder`` goes to
    :func:`~posekit.codecs.pifpaf_decoder.decode`.
    """
    from ..bottomup.pifpaf import PifPafModel, PifPafNetwork
    from ..codecs.pifpaf import PifPafCodec
    from ..models.backbones.shufflenet import ShuffleNetV2K
    from ..models.heads.pifpaf import PifPafHead

    sk = resolve_skeleton(skeleton)
    if sk.sigmas is None:
        raise ValueError(f"skeleton {sk.name!r} defines no OKS sigmas, which PifPaf's scale targets need")
    size = tuple(int(v) // 16 * 16 for v in input_size)
    backbone = ShuffleNetV2K(tuple(repeats), tuple(widths), kernel, stage4_dilation)
    head = PifPafHead(backbone.out_channels, sk.num_keypoints, len(sk.limbs), upsample)
    codec = PifPafCodec(size, sk.num_keypoints, tuple(sk.limbs), tuple(sk.sigmas), backbone.stride // upsample,
                        bmin=bmin, decoder=dict(decoder or {}))
    spec = {"builder": "pifpaf", "input_size": list(input_size), "skeleton": skeleton_spec(sk),
            "repeats": list(repeats), "widths": list(widths), "kernel": kernel, "upsample": upsample, "bmin": bmin,
            "decoder": dict(decoder or {}), "stage4_dilation": stage4_dilation}
    return PifPafModel(PifPafNetwork(backbone, head), codec, sk, spec)


# the learning proof of CPU_PRESET: the synthetic scenes of posekit.zoo.learning_paf (3-8 people, 160x160)
PROOF_STEPS = 1500


def proof_run(seed: int, steps: int = PROOF_STEPS, train_scenes: int = 800, held_out_scenes: int = 100,
              untrained: bool = True) -> dict:
    """:data:`CPU_PRESET` from scratch through :func:`posekit.zoo.learning_paf.learn_paf`: ``train_scenes``
    drawn with seed ``1000 + seed``, the ``held_out_scenes`` of seed 7 (the OpenPose proof's), ``steps`` steps."""
    from .learning_paf import SIZE, learn_paf, synthetic_scenes

    train, _ = synthetic_scenes(train_scenes, SIZE, 1000 + seed)
    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    return learn_paf(CPU_PRESET, steps, train, held_out, gt, seed=seed, untrained=untrained)


def ground_truth_ap(held_out_scenes: int = 100) -> float:
    """COCO AP of the proof's held-out scenes decoded from their own CIF and CAF: the most a network of
    :data:`CPU_PRESET` can reach with this codec and decoder on these scenes."""
    from ..bottomup.dataset import BottomUpDataset
    from ..bottomup.inference import coco_records
    from ..evaluation import evaluate_coco
    from ..topdown.transforms import invert_affine
    from . import build_model
    from .learning_paf import SIZE, synthetic_scenes

    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    model = build_model(CPU_PRESET)
    data = BottomUpDataset(held_out, model.codec, model.skeleton)
    found = []
    for i in range(len(data)):
        item = data[i]
        kp, ks, ps = model.codec.decode_image((item["cif"], item["caf"]))
        back = invert_affine(item["matrix"])
        found.append((kp @ back[:, :2].T + back[:, 2] if len(kp) else kp, ks, ps))
    return float(evaluate_coco(gt, coco_records(held_out, found)).summary()["AP"])
