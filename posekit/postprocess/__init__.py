"""Post-processing of predicted poses: OKS-based non-maximum suppression and rescoring."""
from .nms import oks_nms, oks_between, soft_oks_nms

__all__ = ["oks_nms", "soft_oks_nms", "oks_between"]
