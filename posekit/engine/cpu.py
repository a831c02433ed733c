"""CPU floating-point mode for training and inference."""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch

__all__ = ["flush_denormals"]

_depth = 0


@contextlib.contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[None]:
    """Flush denormal floats to zero while the block runs, then restore the default.

    Tiny weights and activations decay into denormals, which x86 CPUs process about
    20 times slower. The mode is process-wide, so it is scoped rather than left on
    (NumPy and other libraries in the same process expect IEEE behaviour). Blocks nest:
    only the outermost one switches the mode back (validation inside training keeps it).
    """
    global _depth
    if not enabled:
        yield
        return
    if _depth == 0:
        torch.set_flush_denormal(True)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            torch.set_flush_denormal(False)
