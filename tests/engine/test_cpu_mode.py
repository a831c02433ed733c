"""Flush-to-zero is on inside training and inference blocks, nested ones included, and off after."""
import numpy as np
import torch

from posekit.engine.cpu import flush_denormals

TINY = 1e-40  # a float32 denormal


def flushed() -> bool:
    return float(torch.tensor([TINY], dtype=torch.float32) * 1.0) == 0.0


def test_nested_blocks_keep_the_mode_until_the_outermost_ends():
    assert not flushed()
    with flush_denormals():
        assert flushed()
        with flush_denormals():  # e.g. validation inside a training run
            assert flushed()
        assert flushed()
    assert not flushed()
    assert np.float32(TINY) != 0  # NumPy sees IEEE behaviour again
