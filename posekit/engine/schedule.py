"""Learning-rate schedules as pure functions of the step: nothing to save, exact on resume.

Linear warm-up (Goyal et al., "Accurate, Large Minibatch SGD", 2017) followed by step
decay (Xiao et al. 2018: x0.1 at epochs 90 and 120 of 140) or cosine decay
(Loshchilov & Hutter, "SGDR", ICLR 2017).
"""
from __future__ import annotations

import math

__all__ = ["learning_rate"]


def learning_rate(step: int, steps_per_epoch: int, total_steps: int, base_lr: float, schedule: str = "step",
                  milestones: tuple[int, ...] = (), gamma: float = 0.1, warmup_steps: int = 0,
                  warmup_ratio: float = 0.001, min_lr: float = 0.0) -> float:
    """The learning rate of optimisation step ``step`` (0-based)."""
    if schedule == "cosine":
        t = min(step / max(total_steps, 1), 1.0)
        lr = min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * t))
    else:
        epoch = step // max(steps_per_epoch, 1)
        lr = base_lr * gamma ** sum(epoch >= m for m in milestones)
    if step < warmup_steps:
        lr *= warmup_ratio + (1 - warmup_ratio) * step / warmup_steps
    return lr
