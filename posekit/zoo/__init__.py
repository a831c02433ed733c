"""The model zoo: every named preset, in one table. ``build_model(name)`` returns the module.

Each preset is a builder function with its paper and the figures published for it
(COCO val2017 AP with the paper's detector boxes and flip test; parameters; GFLOPs).
Importing this module does not import torch; building does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from ..errors import ModelError
from .associative_embedding import (ASSOCIATIVE_EMBEDDING, HIGHERHRNET, HIGHERHRNET_TABLE, SMALL, SWAHR, SWAHR_TABLE,
                                    higherhrnet)
from .bottomup import OPENPOSE, OPENPOSE_TABLE, PART_FIELDS, SMALL_WIDTHS, openpose
from .centre_regression import CENTRE_REGRESSION, DEKR, DEKR_TABLE, SPM, dekr, spm
from .heatmap import (CPM, CPN, HOURGLASS, HRNET, HRNET_TABLE, HRNET_TABLE_OTHERS, MMPOSE_SPEED, SIMPLEBASELINE,
                      cpm, cpn, hourglass, hrnet, simplebaseline)
from .light import (LITE_HRNET, LITE_HRNET_TABLE, MMPOSE_LIGHT, MOBILENETV2, SHUFFLENETV2, litehrnet, mobilenetv2,
                    shufflenetv2)
from .pifpaf import CPU_PRESET as PIFPAF_CPU_PRESET
from .pifpaf import EVAL_DECODER, OPENPIFPAF_SIZES, OPENPIFPAF_TABLE, PIFPAF, SMALL_REPEATS, pifpaf
from .pifpaf import SMALL_WIDTHS as PIFPAF_SMALL_WIDTHS
from .regression import (DEEPPOSE, INTEGRAL, MMPOSE_DEEPPOSE, MMPOSE_IPR, MMPOSE_RLE, MMPOSE_SIMCC, RLE, SIMCC,
                         deeppose, integral_regression, rle, simcc)
from .specs import resolve_skeleton, skeleton_spec

__all__ = ["Preset", "PRESETS", "BUILDERS", "build_model", "build_from_spec", "skeleton_spec", "resolve_skeleton",
           "load_model", "resolve_model",
           "simplebaseline", "hrnet", "hourglass", "cpm", "cpn", "deeppose", "integral_regression", "rle", "simcc",
           "openpose", "pifpaf", "higherhrnet", "dekr", "spm", "litehrnet", "mobilenetv2", "shufflenetv2",
           "CENTRE_PRESETS", "PIFPAF_PRESETS", "LIGHT_PRESETS"]

# builder name (as a checkpoint's spec records it) -> function
BUILDERS: dict[str, Callable] = {f.__name__: f for f in (simplebaseline, hrnet, hourglass, cpm, cpn, deeppose,
                                                        integral_regression, rle, simcc, openpose, pifpaf,
                                                        higherhrnet, dekr, spm, litehrnet, mobilenetv2,
                                                        shufflenetv2)}


@dataclass(frozen=True)
class Preset:
    """One named model: its builder, where it sits in the survey, and the figures known for it.

    ``published``: published figures (``coco_val_ap``, ``params_m``, ``gflops`` as the source
    counts them, and ``source``: the paper's table or MMPose's model zoo). ``learned``: what posekit's own synthetic
    learning proof reached at fixed steps (``pck@0.1`` mean over the seeds, ``pck@0.1_min``,
    ``pck@0.1_max``, ``seeds``, ``steps``, ``source``: the bench results that gave it).
    """

    name: str
    build: Callable
    paper: str
    section: str                                   # the survey's section, e.g. "top-down / heatmap"
    input_size: tuple[int, int]                    # (W, H) of the network input
    published: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)

    @property
    def family(self) -> str:
        """The kind of method, which picks the training driver: "top-down" or "bottom-up"."""
        return self.section.split(" ", 1)[-1].split(" / ")[0]


# PCK@0.1 (mean, min, max) over seeds 0, 1, 2 of ``python bench/zoo_synthetic.py --steps 300``, as
# bench/results/learning_zoo.json holds them (tests/engine/test_learning_zoo.py checks that they agree)
LEARNED_SOURCE = "bench/results/learning_zoo.json: 300 steps, seeds 0-2 (python bench/zoo_synthetic.py --steps 300)"
LEARNED = {
    "simplebaseline-r18-128x96": (0.7145, 0.7094, 0.7173),
    "cpm-128x96": (0.7135, 0.7098, 0.7157),
    "hourglass-2stack-128x96": (0.9571, 0.9545, 0.9602),
    "cpn-r18-128x96": (0.9436, 0.9412, 0.9461),
    "hrnet-w16-128x96": (0.7375, 0.7316, 0.7424),
    "deeppose-r18-128x96": (0.5841, 0.5747, 0.5896),
    "integral-r18-128x96": (0.6125, 0.6071, 0.6233),
    "rle-r18-128x96": (0.5583, 0.5351, 0.579),
    "simcc-r18-128x96": (0.5766, 0.5633, 0.5947),
    "litehrnet-18-128x96": (0.8537, 0.8084, 0.9018),
    "mobilenetv2-128x96": (0.6753, 0.6651, 0.6829),
    "shufflenetv2-128x96": (0.6391, 0.632, 0.6433),
}


def _learned(name: str) -> dict:
    mean, low, high = LEARNED[name]
    return {"pck@0.1": mean, "pck@0.1_min": low, "pck@0.1_max": high, "seeds": 3, "steps": 300,
            "source": LEARNED_SOURCE}


HEATMAP = "1.2 top-down / heatmap"
REGRESSION = "1.1 top-down / regression"
SB_TABLE = "Xiao et al. 2018, Table 4 (COCO val2017, detector boxes)"


def _sb(depth, w, h, published=None, learned=None, **kw):
    name = f"simplebaseline-r{depth}-{h}x{w}" + (f"-{kw['codec']}" if "codec" in kw else "")
    published = {**published, "source": SB_TABLE} if published else {}
    return Preset(name, partial(simplebaseline, depth=depth, input_size=(w, h), **kw), SIMPLEBASELINE, HEATMAP, (w, h),
                  published, learned or {})


SIMPLEBASELINE_PRESETS = [
    _sb(18, 96, 128, learned=_learned("simplebaseline-r18-128x96")),
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
]


def _reg(prefix, builder, paper, depth, w, h, published=None, source="", suffix="", learned=None, **kw):
    name = f"{prefix}-r{depth}-{h}x{w}{suffix}"
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, depth=depth, input_size=(w, h), **kw), paper, REGRESSION, (w, h),
                  published, learned or {})


REGRESSION_PRESETS = [
    _reg("deeppose", deeppose, DEEPPOSE, 18, 96, 128, learned=_learned("deeppose-r18-128x96")),
    _reg("deeppose", deeppose, DEEPPOSE, 18, 96, 128, suffix="-cascade3", stages=3),
    _reg("deeppose", deeppose, DEEPPOSE, 50, 192, 256, {"coco_val_ap": 52.8}, MMPOSE_DEEPPOSE),
    _reg("deeppose", deeppose, DEEPPOSE, 101, 192, 256, {"coco_val_ap": 56.2}, MMPOSE_DEEPPOSE),
    _reg("deeppose", deeppose, DEEPPOSE, 152, 192, 256, {"coco_val_ap": 58.4}, MMPOSE_DEEPPOSE),
    _reg("integral", integral_regression, INTEGRAL, 18, 96, 128, learned=_learned("integral-r18-128x96")),
    _reg("integral", integral_regression, INTEGRAL, 50, 256, 256, {"coco_val_ap": 63.3}, MMPOSE_IPR),
    _reg("rle", rle, RLE, 18, 96, 128, learned=_learned("rle-r18-128x96")),
    _reg("rle", rle, RLE, 50, 192, 256, {"coco_val_ap": 70.4}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 101, 192, 256, {"coco_val_ap": 72.2}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 152, 192, 256, {"coco_val_ap": 73.1}, MMPOSE_RLE),
    _reg("rle", rle, RLE, 152, 288, 384, {"coco_val_ap": 74.9}, MMPOSE_RLE),
    _reg("simcc", simcc, SIMCC, 18, 96, 128, learned=_learned("simcc-r18-128x96")),
    _reg("simcc", simcc, SIMCC, 50, 192, 256, {"coco_val_ap": 72.1}, MMPOSE_SIMCC),
    _reg("simcc", simcc, SIMCC, 50, 288, 384, {"coco_val_ap": 73.5}, MMPOSE_SIMCC),
]


def _preset(name, builder, paper, input_size, published=None, source=None, learned=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, input_size=input_size, **kw), paper, HEATMAP, input_size, published,
                  learned or {})


HEATMAP_PRESETS = [
    _preset("hrnet-w32-256x192", hrnet, HRNET, (192, 256), {"coco_val_ap": 74.4, "params_m": 28.5, "gflops": 7.1},
            HRNET_TABLE, width=32),
    _preset("hrnet-w32-384x288", hrnet, HRNET, (288, 384), {"coco_val_ap": 75.8, "params_m": 28.5, "gflops": 16.0},
            HRNET_TABLE, width=32),
    _preset("hrnet-w48-256x192", hrnet, HRNET, (192, 256), {"coco_val_ap": 75.1, "params_m": 63.6, "gflops": 14.6},
            HRNET_TABLE, width=48),
    _preset("hrnet-w48-384x288", hrnet, HRNET, (288, 384), {"coco_val_ap": 76.3, "params_m": 63.6, "gflops": 32.9},
            HRNET_TABLE, width=48),
    _preset("hrnet-w16-128x96", hrnet, HRNET, (96, 128), width=16,
            learned=_learned("hrnet-w16-128x96")),
    _preset("hourglass-8stack-256x192", hourglass, HOURGLASS, (192, 256),
            {"coco_val_ap": 66.9, "params_m": 25.1, "gflops": 14.3}, HRNET_TABLE_OTHERS),
    _preset("hourglass-8stack-256x256", hourglass, HOURGLASS, (256, 256), {"mpii_test_pckh@0.5": 90.9},
            "Newell et al. 2016, Table 2 (MPII test); not re-checked", skeleton="mpii16"),
    _preset("hourglass-2stack-128x96", hourglass, HOURGLASS, (96, 128), stacks=2, channels=128,
            learned=_learned("hourglass-2stack-128x96")),
    _preset("cpm-368x368", cpm, CPM, (368, 368), {"mpii_test_pckh@0.5": 88.5},
            "Wei et al. 2016, MPII test (the CPM row of Newell et al. 2016, Table 2); not re-checked",
            skeleton="mpii16"),
    _preset("cpm-256x192", cpm, CPM, (192, 256), {"coco_val_ap": 62.3, "params_m": 31.3, "gflops": 63.81},
            MMPOSE_SPEED),
    _preset("cpm-128x96", cpm, CPM, (96, 128), stages=3, channels=32, stage1_channels=128,
            learned=_learned("cpm-128x96")),  # 3 slim stages
    _preset("cpn-r50-256x192", cpn, CPN, (192, 256), {"coco_val_ap": 69.4, "params_m": 27.0, "gflops": 6.2},
            HRNET_TABLE_OTHERS + "; CPN+OHKM, their detector", depth=50),
    _preset("cpn-r18-128x96", cpn, CPN, (96, 128), depth=18, channels=128,
            learned=_learned("cpn-r18-128x96")),
]

LIGHT = "1.4 top-down / light heatmap"


def _light(name, builder, paper, input_size, published=None, source=None, learned=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, input_size=input_size, **kw), paper, LIGHT, input_size, published,
                  learned or {})


# 1.4 model compression: light networks, heatmap models trained like the heatmap family; the 128x96 ones
# are the CPU-sized presets (the same networks at a quarter of the pixels)
LIGHT_PRESETS = [
    _light("litehrnet-18-256x192", litehrnet, LITE_HRNET, (192, 256),
           {"coco_val_ap": 64.8, "params_m": 1.1, "gflops": 0.2052}, LITE_HRNET_TABLE, depth=18),
    _light("litehrnet-30-256x192", litehrnet, LITE_HRNET, (192, 256),
           {"coco_val_ap": 67.2, "params_m": 1.8, "gflops": 0.3192}, LITE_HRNET_TABLE, depth=30),
    _light("litehrnet-naive-18-256x192", litehrnet, LITE_HRNET, (192, 256), depth=18, naive=True),
    _light("mobilenetv2-256x192", mobilenetv2, MOBILENETV2, (192, 256),
           {"coco_val_ap": 64.6, "params_m": 9.57, "gflops": 1.59}, MMPOSE_LIGHT),
    _light("shufflenetv2-256x192", shufflenetv2, SHUFFLENETV2, (192, 256),
           {"coco_val_ap": 59.9, "params_m": 7.55, "gflops": 1.37}, MMPOSE_LIGHT),
    _light("litehrnet-18-128x96", litehrnet, LITE_HRNET, (96, 128), depth=18,
           learned=_learned("litehrnet-18-128x96")),
    _light("mobilenetv2-128x96", mobilenetv2, MOBILENETV2, (96, 128), learned=_learned("mobilenetv2-128x96")),
    _light("shufflenetv2-128x96", shufflenetv2, SHUFFLENETV2, (96, 128), learned=_learned("shufflenetv2-128x96")),
]


def _paf(name, input_size, published=None, source=None, learned=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(openpose, input_size=input_size, **kw), OPENPOSE, PART_FIELDS, input_size,
                  published, learned or {})


BOTTOMUP_PRESETS = [
    _paf("openpose-cmu-368x368", (368, 368), {"coco_test_dev_ap": 61.8, "params_m": 52.31}, OPENPOSE_TABLE),
    # CPU-sized: VGG widths / 8, two stages of 64 channels with 3x3 refinement kernels, batch norm
    _paf("openpose-small-160x160", (160, 160), stages=2, channels=64, mid=128, refine_kernel=3, refine_convs=3,
         widths=SMALL_WIDTHS, bn=True),
]


def _ae(name, input_size, paper, published=None, source=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(higherhrnet, input_size=input_size, **kw), paper, ASSOCIATIVE_EMBEDDING, input_size,
                  published)


AE_PRESETS = [
    _ae("higherhrnet-w32-512", (512, 512), HIGHERHRNET,
        {"coco_val_ap": 67.1, "coco_val_ap_multiscale": 69.9, "params_m": 28.6}, HIGHERHRNET_TABLE, width=32),
    _ae("higherhrnet-w48-640", (640, 640), HIGHERHRNET,
        {"coco_val_ap": 69.9, "coco_val_ap_multiscale": 72.1, "params_m": 63.8}, HIGHERHRNET_TABLE, width=48),
    _ae("higherhrnet-swahr-w32-512", (512, 512), SWAHR, {"coco_val_ap": 68.9}, SWAHR_TABLE, width=32, swahr=True),
    # CPU-sized (SMALL): trainable from scratch on synthetic scenes in minutes
    _ae("higherhrnet-small-160x160", (160, 160), HIGHERHRNET, **SMALL),
    _ae("higherhrnet-swahr-small-160x160", (160, 160), SWAHR, swahr=True, **SMALL),
]


def _centre(name, builder, paper, input_size, published=None, source=None, learned=None, **kw):
    published = {**published, "source": source} if published else {}
    return Preset(name, partial(builder, input_size=input_size, **kw), paper, CENTRE_REGRESSION, input_size,
                  published, learned or {})


# 2.1 bottom-up / human-centre regression
CENTRE_PRESETS = [
    _centre("dekr-w32-512", dekr, DEKR, (512, 512), {"coco_val_ap": 68.0, "params_m": 29.6, "gflops": 45.4}, DEKR_TABLE,
            width=32),
    _centre("dekr-w48-640", dekr, DEKR, (640, 640), {"coco_val_ap": 71.0, "params_m": 65.7, "gflops": 141.5},
            DEKR_TABLE, width=48),
    # CPU-sized: HRNet-W16 with one module of two blocks per stage, 4 channels and one adaptive block per joint
    _centre("dekr-small-160x160", dekr, DEKR, (160, 160), width=16, modules=(1, 1, 1), blocks=2, per_keypoint=4,
            offset_blocks=1),
    # SPM at the CPU size only, on the same small HRNet
    _centre("spm-small-160x160", spm, SPM, (160, 160), width=16, modules=(1, 1, 1), blocks=2, channels=32),
]


def _pifpaf(name, input_size, published=None, **kw):
    published = {**published, "source": OPENPIFPAF_TABLE} if published else {}
    return Preset(name, partial(pifpaf, input_size=input_size, **kw), PIFPAF, PART_FIELDS, input_size, published)


PIFPAF_PRESETS = [
    # OpenPifPaf evaluates COCO with the long side at 641 (16 n + 1); posekit's codec uses 640
    _pifpaf("pifpaf-shufflenetv2k16", (641, 641),
            {"coco_val_ap": 68.1, "checkpoint_mb": OPENPIFPAF_SIZES["pifpaf-shufflenetv2k16"]}),
    _pifpaf("pifpaf-shufflenetv2k30", (641, 641),
            {"coco_val_ap": 71.8, "checkpoint_mb": OPENPIFPAF_SIZES["pifpaf-shufflenetv2k30"]},
            repeats=(8, 16, 6), widths=(32, 512, 1024, 2048, 2048)),
    # CPU-sized: ShuffleNetV2K with (2, 4, 2) units and widths about a fifth of K16's
    _pifpaf(PIFPAF_CPU_PRESET, (160, 160), repeats=SMALL_REPEATS, widths=PIFPAF_SMALL_WIDTHS, decoder=EVAL_DECODER),
]

# The one table: every preset by name, in the survey's order within each family.
PRESETS: dict[str, Preset] = {p.name: p for p in SIMPLEBASELINE_PRESETS + HEATMAP_PRESETS + LIGHT_PRESETS
                              + REGRESSION_PRESETS
                              + CENTRE_PRESETS + AE_PRESETS + BOTTOMUP_PRESETS + PIFPAF_PRESETS}


def build_model(name: str, **overrides):
    """The preset ``name`` as a torch module; ``overrides`` change builder arguments (e.g. ``skeleton="mpii16"``)."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ModelError(f"unknown model {name!r}; presets: {', '.join(sorted(PRESETS))}")
    return preset.build(**overrides)


def load_model(path):
    """The model a checkpoint file or run directory holds (:func:`posekit.zoo.checkpoints.load_model`)."""
    from .checkpoints import load_model as load

    return load(path)


def resolve_model(name_or_path):
    """A checkpoint or a preset name (:func:`posekit.zoo.checkpoints.resolve_model`)."""
    from .checkpoints import resolve_model as resolve

    return resolve(name_or_path)


def build_from_spec(spec: dict):
    """Rebuild a model from the ``spec`` a checkpoint stores (see :class:`posekit.topdown.estimator.TopDown`)."""
    spec = dict(spec)
    builder = BUILDERS.get(spec.pop("builder", None))
    if builder is None:
        raise ModelError(f"checkpoint names no known model builder: {spec}")
    if "input_size" in spec:
        spec["input_size"] = tuple(spec["input_size"])
    return builder(**spec)


