"""The two codec contracts: per person (top-down) and per image (bottom-up).

A **person codec** (every codec of this package today: MSRA, UDP, DARK, SimCC, regression)
works on one crop per person::

    encode(keypoints (N, K, 2), visible (N, K)) -> (target (N, ...), weight (N, K))
    decode(output (N, ...)) -> (keypoints (N, K, 2), scores (N, K))   # one person per row

An **image codec** (the bottom-up families: part affinity fields, associative embedding,
centre offsets) works on a whole image holding any number of people at once, and its
decoder *groups*: it returns as many people as it finds::

    encode(keypoints (P, K, 2), visible (P, K), mask (h, w) or None) -> dict of targets for one image
    decode(outputs for one image) -> (keypoints (M, K, 2), scores (M, K), person_scores (M,))

``P`` is the number of annotated people, ``M`` the number found; coordinates are in network
input pixels, as for person codecs (the estimator maps them to the image). ``mask`` marks the
pixels whose loss counts (crowd regions and unlabelled people excluded). The engine never
calls a codec itself: the dataset encodes, the model's ``loss`` compares, the estimator decodes,
so a bottom-up family brings its dataset, collate function and estimator and plugs into the
same Trainer.

A **bottom-up model** (:class:`~posekit.bottomup.model.PAFModel` and every other family) holds
``network``, ``codec`` (an image codec), ``skeleton`` and ``spec`` (its builder's arguments, for
checkpoints), and has ``forward(images)`` (N, 3, H, W) RGB 0..255 -> raw output, ``loss(output,
batch)``, ``fields(output)`` -> the tuple of (N, C, h, w) tensors the decoder reads (what an exported
network outputs), and ``predict_inputs(images)`` -> per image ``codec.decode_image(tuple of that
image's fields)``. Inference, export and ``posekit infer --model RUN_DIR`` rely on these names only.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["PersonCodec", "ImageCodec", "is_image_codec"]


@runtime_checkable
class PersonCodec(Protocol):
    input_size: tuple

    def encode(self, keypoints: np.ndarray, visible: np.ndarray): ...

    def decode(self, output): ...


@runtime_checkable
class ImageCodec(Protocol):
    input_size: tuple

    def encode_image(self, keypoints: np.ndarray, visible: np.ndarray, mask: np.ndarray | None = None) -> dict: ...

    def decode_image(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def is_image_codec(codec) -> bool:
    """Whether ``codec`` encodes and decodes whole images (bottom-up) rather than person crops."""
    return isinstance(codec, ImageCodec)
