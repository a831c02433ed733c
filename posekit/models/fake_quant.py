"""Quantized-inference emulation and the convolution unit the part-field networks are built from.

:class:`FakeQuantize` is OpenVINO's ``FakeQuantize-1`` operation (the OpenVINO operation set
specification): clip to ``[input_low, input_high]``, round to ``levels`` equally spaced values,
map onto ``[output_low, output_high]``. Quantization-aware converted models (Intel's
Open Model Zoo ``FP16-INT8`` files) place one on each activation tensor; a network built from
:class:`QConv` carries one per output, an identity until it is filled from such a file and
switched on with :func:`set_fake_quantize`. posekit runs in plain float by default: the
emulation exists so a test can compare against the int8 runtime exactly.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["FakeQuantize", "QConv", "set_fake_quantize", "fake_quantizers"]


class FakeQuantize(nn.Module):
    """Per-tensor (``channels=1``) or per-channel ranges; identity while ``enabled`` is False."""

    def __init__(self, channels: int = 1, levels: int = 256):
        super().__init__()
        self.channels, self.levels, self.enabled = channels, levels, False
        for name in ("input_low", "input_high", "output_low", "output_high"):
            self.register_buffer(name, torch.zeros(channels))
        self.register_buffer("filled", torch.zeros((), dtype=torch.bool))

    def fill(self, levels: int, input_low, input_high, output_low, output_high) -> None:
        self.levels = int(levels)
        with torch.no_grad():
            for name, value in zip(("input_low", "input_high", "output_low", "output_high"),
                                   (input_low, input_high, output_low, output_high)):
                getattr(self, name).copy_(torch.as_tensor(value, dtype=torch.float32).reshape(-1)
                                          .expand(self.channels))
            self.filled.fill_(True)

    def forward(self, x: Tensor) -> Tensor:
        if not self.enabled:
            return x
        shape = (1, -1, 1, 1) if self.channels > 1 else (1,)
        lo, hi = self.input_low.view(shape), self.input_high.view(shape)
        olo, ohi = self.output_low.view(shape), self.output_high.view(shape)
        steps = self.levels - 1
        q = torch.round((x - lo) / (hi - lo) * steps) / steps * (ohi - olo) + olo
        return torch.where(x <= torch.minimum(lo, hi), olo, torch.where(x > torch.maximum(lo, hi), ohi, q))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, levels={self.levels}, enabled={self.enabled}"


class QConv(nn.Module):
    """Convolution (+ batch norm when trained from scratch; folded into the bias in converted files)
    + activation (``"relu"``, ``"elu"`` or None) + the output's :class:`FakeQuantize`.

    ``quant_channels``: 1 for a per-tensor range, ``cout`` for per-channel (a converted file uses
    per-channel ranges on tensors that feed a depthwise convolution), None for no quantizer (a
    network's output)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, dilation: int = 1, groups: int = 1,
                 act: str | None = "relu", bn: bool = False, quant_channels: int | None = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, dilation * (kernel // 2), dilation, groups, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else None
        self.act_name = act
        self.act = {"relu": nn.ReLU(inplace=True), "elu": nn.ELU(inplace=True), None: nn.Identity()}[act]
        self.quant = FakeQuantize(quant_channels) if quant_channels else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        x = self.act(x)
        return self.quant(x) if self.quant is not None else x


def fake_quantizers(module: nn.Module) -> list[FakeQuantize]:
    return [m for m in module.modules() if isinstance(m, FakeQuantize)]


def set_fake_quantize(module: nn.Module, enabled: bool = True) -> nn.Module:
    """Switch every :class:`FakeQuantize` of ``module`` on or off; refuses to switch on unfilled ones."""
    quants = fake_quantizers(module)
    if enabled and not all(bool(q.filled) for q in quants):
        raise ValueError(f"{type(module).__name__}: its quantization ranges were not filled from a quantized file")
    for q in quants:
        q.enabled = enabled
    return module
