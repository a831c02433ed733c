"""Codecs: one ``encode`` (keypoints -> training target) and ``decode`` (network output -> keypoints)
pair per target representation, shared by the data pipeline and the model.

NumPy only (no torch). Every codec is a frozen dataclass with ``input_size``, an
``encode(keypoints, visible) -> (target, weights)``, a batched ``decode(output) ->
(keypoints, scores)`` in network-input pixels, and ``flip_back`` for flip testing.
"""
from .dark import DARKHeatmap
from .heatmap_ops import heatmap_argmax, modulate, refine_dark, refine_quarter, render_gaussians
from .msra import MSRAHeatmap
from .regression import RegressionLabel
from .simcc import SimCCLabel
from .udp import UDPHeatmap

__all__ = ["MSRAHeatmap", "UDPHeatmap", "DARKHeatmap", "RegressionLabel", "SimCCLabel", "render_gaussians",
           "heatmap_argmax", "refine_quarter", "refine_dark", "modulate"]
