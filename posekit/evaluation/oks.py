"""OKS moved to the base module :mod:`posekit.oks`; this name stays for existing imports."""
from ..oks import oks_matrix, oks_pairs

__all__ = ["oks_pairs", "oks_matrix"]
