"""CPU floating-point mode for training and inference."""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch

__all__ = ["flush_denormals"]


@contextlib.contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[None]:
    """Flush denormal floats to zero while the block runs, then restore the default.

    Tiny weights and activations decay into denormals, which x86 CPUs process about
    20 times slower. The mode is process-wide, so it is scoped rather than left on
    (NumPy and other libraries in the same process expect IEEE behaviour).
    """
    if not enabled:
        yield
        return
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
