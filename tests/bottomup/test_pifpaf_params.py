"""The paper-size PifPaf presets: their parameters counted in closed form from OpenPifPaf's architecture
(``basenetworks.ShuffleNetV2K``, ``heads.CompositeField`` with a 2x pixel shuffle), and their float32
size against the checkpoint sizes OpenPifPaf publishes (its docs give no parameter counts).

The published sizes are MiB of ``torch.save``d models (float32 parameters and batch-norm statistics);
OpenPifPaf's released heads share one CAF spread (8 components) where posekit's have two (9), a
difference of ``4 x 19`` 1x1 filters, about 1% of the size, which the 3% tolerance covers.
"""
import pytest

from posekit.models.complexity import count_parameters
from posekit.zoo import PRESETS, build_model
from posekit.zoo.pifpaf import OPENPIFPAF_SIZES


def _closed_form(repeats, widths, k=17, limbs=19, kernel=5) -> int:
    """ShuffleNetV2K + heads, by hand: convolutions without bias, batch norm (2 per channel), 1x1 heads."""
    bn = lambda c: 2 * c  # noqa: E731
    total = 3 * widths[0] * 9 + bn(widths[0])
    cin = widths[0]
    for n, c in zip(repeats, widths[1:4]):
        h = c // 2
        total += cin * kernel ** 2 + bn(cin) + cin * h + bn(h)                         # first unit, branch 1
        total += cin * h + bn(h) + h * kernel ** 2 + bn(h) + h * h + bn(h)             # first unit, branch 2
        total += (n - 1) * (h * h + bn(h) + h * kernel ** 2 + bn(h) + h * h + bn(h))   # other units
        cin = c
    total += cin * widths[4] + bn(widths[4])
    return total + (widths[4] + 1) * 4 * (5 * k + 9 * limbs)


@pytest.mark.parametrize("name,repeats,widths", [
    ("pifpaf-shufflenetv2k16", (4, 8, 4), (24, 348, 696, 1392, 1392)),
    ("pifpaf-shufflenetv2k30", (8, 16, 6), (32, 512, 1024, 2048, 2048)),
])
def test_paper_size_presets_match_openpifpaf(name, repeats, widths):
    model = build_model(name)
    params = count_parameters(model)
    assert params == _closed_form(repeats, widths)
    statistics = sum(m.running_mean.numel() + m.running_var.numel() for m in model.modules()
                     if hasattr(m, "running_mean"))
    mib = 4 * (params + statistics) / 2 ** 20
    published = PRESETS[name].published
    assert published["checkpoint_mb"] == OPENPIFPAF_SIZES[name]
    # measured: K16 10.23 M parameters, 39.2 MiB (published 38.9); K30 30.13 M, 115.4 MiB (published 115.0)
    assert abs(mib / published["checkpoint_mb"] - 1) < 0.03, (params, mib)
    assert published["coco_val_ap"] == {"pifpaf-shufflenetv2k16": 68.1, "pifpaf-shufflenetv2k30": 71.8}[name]


def test_the_cpu_preset_is_small_and_strides_like_the_paper():
    model = build_model("pifpaf-small-160x160")
    assert count_parameters(model) < 500_000
    assert model.network.backbone.stride == 16 and model.stride == 8 and model.codec.map_size == (20, 20)
