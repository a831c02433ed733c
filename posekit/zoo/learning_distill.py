"""The distillation proof (issue 15, section 2): a CPU-sized student trained by Fast Pose
Distillation (Zhang et al. 2019, :mod:`posekit.compress.distill`) under a trained teacher, against
the same student trained alone for the same steps on the same synthetic crops, both scored on
held-out crops by :func:`posekit.zoo.learning_proof.learn_synthetic` (its recipe: Adam 3e-3, batch
8, cosine, bf16, no flips).

Teacher: ``hourglass-2stack-128x96`` (1.66 M parameters; PCK@0.1 0.957 at 300 steps in
bench/results/learning_zoo.json), trained once (seed 0) and cached as safetensors. Student: the
same builder with one stack of 64 channels (0.23 M parameters, about 7x fewer), a slimmer
hourglass as FPD's own students are (the paper distils an 8-stack, 256-channel hourglass into a
4-stack, 128-channel one). Used by ``bench/distill_synthetic.py`` and the slow test of
``tests/compress/test_distill.py``.
"""
from __future__ import annotations

import os
from pathlib import Path

from .learning_proof import learn_synthetic

__all__ = ["TEACHER", "STUDENT", "STUDENT_ARGS", "trained_teacher", "learn_distilled"]

TEACHER = "hourglass-2stack-128x96"
STUDENT = "hourglass-2stack-128x96"
STUDENT_ARGS = {"stacks": 1, "channels": 64}


def trained_teacher(cache: str | os.PathLike, steps: int, train, held_out, seed: int = 0):
    """(the teacher trained for ``steps`` on ``train``, its row of scores): read from ``cache``
    (``best.safetensors`` of an earlier run with the same settings), else trained there."""
    from ..fileio import read_json, write_json
    from .checkpoints import load_model

    run = Path(cache) / f"teacher-{TEACHER}-{steps}steps-{len(train)}crops-seed{seed}"
    record = run / "row.json"
    if (run / "best.safetensors").exists() and record.exists():
        return load_model(run), read_json(record)
    row = learn_synthetic(TEACHER, steps, train, held_out, seed=seed, out=str(run))
    write_json(record, row, indent=True)
    return load_model(run), row


def learn_distilled(steps: int, train, held_out, teacher=None, seed: int = 0, alpha: float | None = None,
                    student_args: dict | None = None, **config) -> dict:
    """The student (:data:`STUDENT` with ``student_args``, default :data:`STUDENT_ARGS`) trained for
    ``steps``: by FPD under ``teacher`` (alone when None); scores as
    :func:`~posekit.zoo.learning_proof.learn_synthetic` gives them, plus ``"mode"``."""
    from ..compress.distill import FPD_ALPHA, FPDDistillation

    wrap = None
    if teacher is not None:
        a = FPD_ALPHA if alpha is None else alpha

        def wrap(student):
            return FPDDistillation(student, teacher, a)

    row = learn_synthetic(STUDENT, steps, train, held_out, seed=seed, model_args=dict(student_args or STUDENT_ARGS),
                          wrap=wrap, **config)
    row["mode"] = "alone" if teacher is None else "distilled"
    return row
