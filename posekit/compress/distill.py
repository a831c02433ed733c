"""Knowledge distillation of a heatmap pose network into a smaller one: Fast Pose Distillation.

FPD (Zhang, Zhu, Ye. "Fast Human Pose Estimation". CVPR 2019, its pose distillation loss): a
trained teacher, frozen, predicts heatmaps for every training crop; the student learns from those
and the ground truth at once,

    L = (1 - alpha) * L_gt + alpha * L_pd,    alpha = 0.5 (the paper's setting),

with ``L_gt`` the student's own training loss against the ground-truth heatmaps (posekit's
:class:`~posekit.models.losses.KeypointMSELoss` for the MSE presets: ``0.5 * mean((w * (s - gt))**2)``,
the SimpleBaseline code's weighted, halved MSE) and ``L_pd`` the same MSE against the teacher's
heatmaps, over every keypoint (the teacher predicts each one, labelled or not: weights 1). The
teacher's last output supervises every stage of a multi-stage student (Hourglass, CPM, CPN), as
the paper's ground truth does; ``L_gt`` and ``L_pd`` are both sums over the student's stages.

The teacher is frozen: ``requires_grad`` False on every parameter, in eval mode for good (its
batch-norm statistics never move), run under ``torch.no_grad``. It is held outside the module
tree of :class:`FPDDistillation`, so ``parameters()``, ``state_dict()`` and ``train()`` see the
student alone: the optimiser never holds a teacher tensor and a checkpoint of a distillation run
is a plain student file, loadable as any other.

Heatmap grids: teacher and student must take the same input crop (W x H) and predict the same
keypoints; their heatmaps may differ in size (a stride-8 CPM teacher, a stride-4 student).
The teacher's maps are then resampled onto the student's grid by the codecs' own pixel mapping
(each student heatmap pixel -> crop pixel by the student codec's ``from_heatmap`` -> teacher
heatmap coordinate by the teacher codec's ``to_heatmap``), bilinearly (``grid_sample``, zeros
outside the teacher's map) — exact for MSRA, DARK and UDP alike, each of which has its own
pixel convention.

Layering: this module sits beside :mod:`posekit.topdown`, below :mod:`posekit.zoo`; the zoo's
builder and checkpoint loader come in as arguments of :func:`distill`, as they do for
:func:`posekit.topdown.training.train_topdown`. The engine is used as it is: the wrapper is a
model of the engine's contract (``forward(images)``, ``loss(output, batch)``, ``spec``).
"""
from __future__ import annotations

import os
from typing import Callable, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from ..models.losses import KeypointMSELoss
from ..topdown.estimator import final_stage

__all__ = ["FPD", "FPD_ALPHA", "freeze", "heatmaps_on_grid", "fpd_loss", "TeacherStudent", "FPDDistillation",
           "DistillOutput", "distill"]

FPD = "Zhang, Zhu, Ye. Fast Human Pose Estimation. CVPR 2019"
FPD_ALPHA = 0.5  # Zhang et al. 2019: the balancing weight of the two terms in their experiments


def freeze(teacher: nn.Module) -> nn.Module:
    """``teacher`` in eval mode with no parameter requiring a gradient (in place; returned)."""
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def _heatmap_codec(model: nn.Module, role: str):
    codec = getattr(model, "codec", None)
    if not all(hasattr(codec, a) for a in ("heatmap_size", "to_heatmap", "from_heatmap")):
        raise ModelError(f"FPD distils heatmaps: the {role} {model.spec.get('builder', type(model).__name__)} "
                         f"has a {type(codec).__name__} codec, not a heatmap one")
    return codec


def heatmaps_on_grid(maps: Tensor, source_codec, target_codec) -> Tensor:
    """(N, K, h, w) heatmaps on ``source_codec``'s grid, resampled onto ``target_codec``'s (same crop).

    Target pixel ``j`` sits at crop coordinate ``target.from_heatmap(j)``, which is source pixel
    ``source.to_heatmap(that)``; the map is sampled there bilinearly (zeros outside). Maps already
    on the target grid (same size and pixel mapping) come back as they are.
    """
    (tw, th), (sw, sh) = target_codec.heatmap_size, source_codec.heatmap_size
    if maps.shape[-2:] != (sh, sw):
        raise ModelError(f"heatmaps of {maps.shape[-1]}x{maps.shape[-2]} for a {sw}x{sh} codec")

    def axis(n: int, d: int) -> np.ndarray:
        pix = np.zeros((n, 2))
        pix[:, d] = np.arange(n)
        return source_codec.to_heatmap(target_codec.from_heatmap(pix))[:, d]

    gx, gy = axis(tw, 0), axis(th, 1)
    if (tw, th) == (sw, sh) and np.allclose(gx, np.arange(tw)) and np.allclose(gy, np.arange(th)):
        return maps
    gx = 2 * gx / max(sw - 1, 1) - 1  # align_corners=True: -1 and 1 are the centres of the end pixels
    gy = 2 * gy / max(sh - 1, 1) - 1
    grid = torch.from_numpy(np.stack(np.meshgrid(gx, gy), -1)).to(maps.device, maps.dtype)
    return F.grid_sample(maps, grid[None].expand(len(maps), -1, -1, -1), mode="bilinear", padding_mode="zeros",
                         align_corners=True)


def fpd_loss(student_output, teacher_heatmaps: Tensor, gt_loss: Tensor, alpha: float = FPD_ALPHA) -> Tensor:
    """``(1 - alpha) * gt_loss + alpha * sum over student stages of MSE(stage, teacher_heatmaps)``.

    ``student_output``: (N, K, h, w) heatmaps or a list of them (one per stage); ``teacher_heatmaps``
    on the student's grid; ``gt_loss``: the student's own loss on the batch. The MSE is
    :class:`~posekit.models.losses.KeypointMSELoss` with weight 1 on every keypoint.
    """
    stages = student_output if isinstance(student_output, list) else [student_output]
    target = teacher_heatmaps.detach().float()
    mse = KeypointMSELoss(use_target_weight=False)
    kd = sum(mse(s.float(), target, None) for s in stages)
    return (1 - alpha) * gt_loss + alpha * kd


class DistillOutput(NamedTuple):
    """What :class:`FPDDistillation` returns in training mode."""
    student: object          # the student's output (a tensor, or a list of stages)
    teacher: Tensor          # the teacher's last heatmaps, on the student's grid


class TeacherStudent(nn.Module):
    """A student and a frozen teacher, as the engine's model: the base of every distillation wrapper.

    ``spec``, ``codec``, ``skeleton``, ``input_size``, ``predict_crops``, ``state_dict()`` and
    ``parameters()`` are the student's (the teacher is outside the module tree; ``.to()`` moves
    it too). Subclasses give ``forward`` (training mode: the student's output with what the loss
    needs of the teacher; eval mode: the student's output alone) and ``loss``.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, alpha: float | None = None):
        super().__init__()
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ModelError(f"alpha must lie in [0, 1], not {alpha}")
        self.alpha = None if alpha is None else float(alpha)
        if tuple(student.input_size) != tuple(teacher.input_size):
            raise ModelError(f"teacher and student must take the same crop: the teacher takes "
                             f"{teacher.input_size[0]}x{teacher.input_size[1]}, the student "
                             f"{student.input_size[0]}x{student.input_size[1]} (W x H)")
        if list(teacher.skeleton.names) != list(student.skeleton.names):
            raise ModelError(f"teacher and student must predict the same keypoints: the teacher's skeleton has "
                             f"{teacher.skeleton.num_keypoints}, the student's {student.skeleton.num_keypoints}")
        self.student = student
        self.__dict__["_teacher"] = freeze(teacher)  # outside the module tree (see the module docstring)

    @property
    def teacher(self) -> nn.Module:
        return self.__dict__["_teacher"]

    @property
    def spec(self) -> dict:
        return self.student.spec

    @property
    def codec(self):
        return self.student.codec

    @property
    def skeleton(self):
        return self.student.skeleton

    @property
    def input_size(self) -> tuple[int, int]:
        return self.student.input_size

    def predict_crops(self, images: Tensor, flip: bool = False):
        return self.student.predict_crops(images, flip)

    def _apply(self, fn, recurse: bool = True):  # .to(device), .to(memory_format=...): the teacher follows
        super()._apply(fn, recurse)
        self.teacher._apply(fn, recurse)
        return self

    def state_dict(self, *args, **kwargs):
        return self.student.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.student.load_state_dict(state_dict, strict=strict, assign=assign)

    def forward(self, images: Tensor):
        """Eval mode: the student's output. Training mode: :meth:`with_teacher` of it."""
        out = self.student(images)
        return self.with_teacher(out, images) if self.training else out

    def with_teacher(self, out, images: Tensor):
        """The student's training output together with what the loss needs of the teacher."""
        raise NotImplementedError

    def teacher_heatmaps(self, images: Tensor, grid=None) -> Tensor:
        """The frozen teacher's last heatmaps for ``images`` (no gradient), on ``grid``'s heatmap
        grid (a heatmap codec) when given."""
        self.teacher.eval()
        with torch.no_grad():
            maps = final_stage(self.teacher(images))
            if not torch.is_tensor(maps) or maps.dim() != 4:
                raise ModelError("the teacher's output is not (N, K, H, W) heatmaps")
            maps = maps.float()
            return maps if grid is None else heatmaps_on_grid(maps, self.teacher.codec, grid)


class FPDDistillation(TeacherStudent):
    """The student, trained under a frozen teacher by FPD (:data:`FPD`); a model of the engine's contract.

    Training mode: ``forward`` returns :class:`DistillOutput` and ``loss`` the FPD loss. Eval mode:
    ``forward`` is the student's, so validation and inference see the student alone.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, alpha: float = FPD_ALPHA):
        _heatmap_codec(student, "student")
        _heatmap_codec(teacher, "teacher")
        super().__init__(student, teacher, alpha)

    def with_teacher(self, out, images: Tensor) -> DistillOutput:
        return DistillOutput(out, self.teacher_heatmaps(images, self.student.codec))

    def loss(self, output: DistillOutput, batch: dict) -> Tensor:
        return fpd_loss(output.student, output.teacher, self.student.loss(output.student, batch), self.alpha)


def distill(teacher: nn.Module | str | os.PathLike, cfg, build_model: Callable,
            load_model: Callable | None = None, alpha: float = FPD_ALPHA, method: str = "fpd",
            notes: Callable[[str], None] | None = None) -> dict:
    """Train the student preset ``cfg.model`` under ``teacher`` on ``cfg``'s data; the Trainer's summary.

    ``method``: ``"fpd"`` (this module, weight ``alpha``) or ``"dwpose"`` (feature + heatmap-logit
    losses, :mod:`posekit.compress.dwpose`, whose weights decay linearly over ``cfg.max_steps``,
    which it therefore needs).

    ``teacher``: a model, or a checkpoint (``.safetensors`` file or run directory) that
    ``load_model`` reads (the zoo's :func:`posekit.zoo.load_model`: weights and spec from
    safetensors, nothing unpickled). ``build_model(name, **overrides)`` builds the student (the
    zoo's). The data, augmentation, schedule and checkpoints are those of ``posekit train``
    (:func:`~posekit.topdown.training.train_topdown`); the run directory's ``best.safetensors``
    is the student alone.
    """
    from ..topdown.training import train_topdown

    if not isinstance(teacher, nn.Module):
        if load_model is None:
            raise ModelError("a teacher checkpoint needs load_model (posekit.zoo.load_model) to read it")
        teacher = load_model(teacher)

    if method not in ("fpd", "dwpose"):
        raise ModelError(f"distillation method must be 'fpd' or 'dwpose', not {method!r}")
    if method == "dwpose" and not cfg.max_steps:
        raise ModelError("DWPose's distillation weight decays linearly over the run's steps: give max_steps")

    def build(name: str, **overrides) -> FPDDistillation:
        if method == "dwpose":
            from .dwpose import DWPoseDistillation

            return DWPoseDistillation(build_model(name, **overrides), teacher, cfg.max_steps)
        return FPDDistillation(build_model(name, **overrides), teacher, alpha)

    return train_topdown(cfg, build, notes=notes)
