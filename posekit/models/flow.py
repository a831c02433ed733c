"""A 2-D RealNVP normalising flow (Dinh, Sohl-Dickstein, Bengio, "Density Estimation using Real
NVP", ICLR 2017): the learned residual density G_phi of RLE (Li et al., ICCV 2021).

Affine coupling layers with alternating masks; each rescales and shifts one coordinate by
functions (small MLPs) of the other, so the Jacobian is triangular and
``log G(x) = log N(f(x); 0, I) + log |det df/dx|`` is exact.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["RealNVP"]


def _mlp(hidden: int, last: nn.Module | None = None) -> nn.Sequential:
    layers = [nn.Linear(2, hidden), nn.LeakyReLU(), nn.Linear(hidden, hidden), nn.LeakyReLU(), nn.Linear(hidden, 2)]
    return nn.Sequential(*layers, *([last] if last is not None else []))


class RealNVP(nn.Module):
    """A density on R^2: ``log_prob(x)`` for points (..., 2). ``layers`` couplings, masks alternating
    between the two coordinates (RLE uses 3 pairs of 64-unit MLPs)."""

    def __init__(self, layers: int = 6, hidden: int = 64):
        super().__init__()
        masks = torch.tensor([[0.0, 1.0], [1.0, 0.0]] * (layers // 2) + [[0.0, 1.0]] * (layers % 2))
        self.register_buffer("masks", masks, persistent=False)
        self.scale = nn.ModuleList(_mlp(hidden, nn.Tanh()) for _ in range(layers))
        self.shift = nn.ModuleList(_mlp(hidden) for _ in range(layers))
        for net in [*self.scale, *self.shift]:  # small outputs: the flow starts near the identity
            nn.init.normal_(net[4].weight, std=0.01)
            nn.init.zeros_(net[4].bias)

    def to_latent(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """z = f(x) (..., 2) and log |det df/dx| (...)."""
        z, logdet = x, x.new_zeros(x.shape[:-1])
        for i in reversed(range(len(self.scale))):
            m = self.masks[i]
            kept = z * m
            s = self.scale[i](kept) * (1 - m)
            t = self.shift[i](kept) * (1 - m)
            z = kept + (1 - m) * (z - t) * torch.exp(-s)
            logdet = logdet - s.sum(-1)
        return z, logdet

    def log_prob(self, x: Tensor) -> Tensor:
        """log G(x) for points (..., 2) -> (...)."""
        z, logdet = self.to_latent(x)
        return -0.5 * z.pow(2).sum(-1) - math.log(2 * math.pi) + logdet
