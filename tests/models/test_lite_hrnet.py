"""Lite-HRNet (Yu et al. 2021), MobileNetV2 (Sandler et al. 2018) and ShuffleNetV2 (Ma et al. 2018)
presets: sizes against the published figures, the weighting blocks against their formulas, shapes,
specs and the export coverage.

Measured with posekit's counter (:func:`posekit.models.complexity.count_macs`: multiply-adds of
convolutions and matrix products; pooling, upsampling and element-wise products are free), 17
keypoints, 256x192 (published in brackets, HRNet/Lite-HRNet README and MMPose's inference speed summary):

- Lite-HRNet-18: 1.131 M parameters (1.1 M), 198.6 M multiply-adds (205.2 M: -3.2%);
- Lite-HRNet-30: 1.764 M (1.8 M), 309.5 M (319.2 M: -3.0%);
- naive Lite-HRNet-18 (shuffle blocks): 1.319 M, 302.3 M (not published for COCO here);
- MobileNetV2 + deconvolution head: 9.570 M (9.57 M), 1.565 G (1.59 G by mmcv's counter: -1.6%);
- ShuffleNetV2 1.0x + deconvolution head: 7.551 M (7.55 M), 1.362 G (1.37 G: -0.6%).

The few percent of FLOPs the counter misses are the operations it does not count and the official
code computes: the pooled and upsampled weights, the weightings' products, and (Lite-HRNet) branch 0's
fuse term, evaluated twice by the official code and once here.
Reproduce: ``PYTHONPATH=. python -m pytest -q tests/models/test_lite_hrnet.py``.
"""
import pytest
import torch
import torch.nn.functional as F

from posekit.models.backbones.lite_hrnet import (ConditionalChannelWeighting, CrossResolutionWeighting, IterativeHead,
                                                 LiteHRModule, LiteHRNet, LiteStem, SpatialWeighting)
from posekit.models.backbones.mobilenetv2 import MobileNetV2
from posekit.models.backbones.shufflenet import SHUFFLENETV2_1X, ShuffleNetV2K
from posekit.models.complexity import count_parameters, measure_builder
from posekit.zoo import LIGHT_PRESETS, PRESETS, build_model

LIGHT = [p.name for p in LIGHT_PRESETS]
CPU = ["litehrnet-18-128x96", "mobilenetv2-128x96", "shufflenetv2-128x96"]
# preset -> (parameters, multiply-adds) measured by posekit (see the module docstring)
MEASURED = {"litehrnet-18-256x192": (1_130_769, 198.63e6), "litehrnet-30-256x192": (1_763_717, 309.45e6),
            "mobilenetv2-256x192": (9_569_809, 1565.04e6), "shufflenetv2-256x192": (7_550_965, 1362.28e6)}


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_size_and_cost_match_the_published_figures(name):
    preset = PRESETS[name]
    params, macs = measure_builder(preset.build, preset.input_size)
    published = preset.published
    assert published["source"]
    assert abs(params / 1e6 - published["params_m"]) / published["params_m"] < 0.03, params
    # FLOPs: within 4% of the published figure, always below it (the counter leaves out pooling,
    # upsampling and element-wise products, which the published counters include)
    assert 0.96 < macs / (published["gflops"] * 1e9) < 1.0, macs
    assert (params, macs) == (MEASURED[name][0], pytest.approx(MEASURED[name][1], rel=1e-4))


def test_trunks_have_the_reference_sizes():
    # torchvision's mobilenet_v2 (3,504,872) and shufflenet_v2_x1_0 (2,278,604) minus their classifiers
    assert count_parameters(MobileNetV2()) == 3_504_872 - (1280 * 1000 + 1000)
    assert count_parameters(ShuffleNetV2K(*SHUFFLENETV2_1X, kernel=3, max_pool=True)) == 2_278_604 - (1024 * 1000 + 1000)


def test_conditional_weighting_is_cheaper_than_shuffle_blocks():
    """The paper's point (Section 3.2): weighting in place of the 1x1s cuts the cost of the naive network."""
    _, ccw = measure_builder(PRESETS["litehrnet-18-256x192"].build, (192, 256))
    _, naive = measure_builder(PRESETS["litehrnet-naive-18-256x192"].build, (192, 256))
    assert naive > 1.4 * ccw
    net = PRESETS["litehrnet-naive-18-256x192"].build()
    assert not any(isinstance(m, ConditionalChannelWeighting) for m in net.modules())


def _eval_bn(module):
    """Random batch-norm statistics, in eval mode: BN(x) = (x - mean) / sqrt(var + eps) * gamma + beta."""
    torch.manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
        if isinstance(m, torch.nn.Conv2d):
            m.weight.data.normal_(0, 0.3)
    return module.eval()


def _bn(x, bn):
    shape = (1, -1, 1, 1)
    return ((x - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + bn.eps)
            * bn.weight.view(shape) + bn.bias.view(shape))


def test_spatial_weighting_formula():
    sw = _eval_bn(SpatialWeighting(20, 4))
    x = torch.randn(2, 20, 6, 5)
    c1, c2 = sw.fc[1], sw.fc[3]
    g = x.mean((2, 3))                                                   # global average pool
    h = torch.relu(g @ c1.weight[:, :, 0, 0].T + c1.bias)
    w = torch.sigmoid(h @ c2.weight[:, :, 0, 0].T + c2.bias)
    assert c1.out_channels == 5
    torch.testing.assert_close(sw(x), x * w[:, :, None, None])


def test_cross_resolution_weighting_formula():
    """Pool every branch to the smallest resolution by block means, 1x1-BN-ReLU-1x1-BN-sigmoid on the
    concatenation, repeat each weight over the block it came from."""
    channels = [4, 8, 16]
    crw = _eval_bn(CrossResolutionWeighting(channels, ratio=4))
    xs = [torch.randn(2, c, 8 // 2 ** i, 12 // 2 ** i) for i, c in enumerate(channels)]
    pooled = []
    for i, x in enumerate(xs):
        k = 2 ** (2 - i)
        n, c, h, w = x.shape
        pooled.append(x.reshape(n, c, h // k, k, w // k, k).mean((3, 5)))
    p = torch.cat(pooled, 1)
    conv1, bn1, conv2, bn2 = crw.fc[0], crw.fc[1], crw.fc[3], crw.fc[4]
    h = torch.relu(_bn(torch.einsum("oc,nchw->nohw", conv1.weight[:, :, 0, 0], p), bn1))
    weights = torch.sigmoid(_bn(torch.einsum("oc,nchw->nohw", conv2.weight[:, :, 0, 0], h), bn2)).split(channels, 1)
    for i, (x, a, out) in enumerate(zip(xs, weights, crw(xs))):
        k = 2 ** (2 - i)
        torch.testing.assert_close(out, x * a.repeat_interleave(k, 2).repeat_interleave(k, 3))


def test_channel_weighting_block_keeps_one_half_and_shuffles():
    block = _eval_bn(ConditionalChannelWeighting([40, 80], 8))
    xs = [torch.randn(1, 40, 16, 12), torch.randn(1, 80, 8, 6)]
    out = block(xs)
    for x, y in zip(xs, out):
        half = x.shape[1] // 2
        assert y.shape == x.shape
        torch.testing.assert_close(y[:, 0::2], x[:, :half], rtol=0, atol=0)  # the kept half, interleaved
        assert not torch.allclose(y[:, 1::2], x[:, half:])


@torch.no_grad()
def test_fusion_by_hand():
    """HRNet's fusion as the official Lite-HRNet sums it (branch 0's term twice): with the blocks removed,
    out0 = relu(2 x0 + up2(BN(1x1(x1)))), out1 = relu(2 BN(1x1(BN(dw3x3_s2(x0)))) + x1)."""
    module = _eval_bn(LiteHRModule([8, 16]))
    module.layers = torch.nn.Sequential()  # no blocks: the fusion alone
    x0, x1 = torch.randn(2, 8, 8, 6), torch.randn(2, 16, 4, 3)
    out0, out1 = module([x0, x1])
    up = module.fuse[0][1]
    low = _bn(F.conv2d(x1, up[0].weight), up[1]).repeat_interleave(2, 2).repeat_interleave(2, 3)
    torch.testing.assert_close(out0, torch.relu(2 * x0 + low))
    down = module.fuse[1][0]
    dw = _bn(F.conv2d(x0, down[0].weight, stride=2, padding=1, groups=8), down[1])
    torch.testing.assert_close(out1, torch.relu(2 * _bn(F.conv2d(dw, down[2].weight), down[3]) + x1))


@torch.no_grad()
def test_shapes_through_the_network():
    net = LiteHRNet().eval()
    x = torch.randn(1, 3, 128, 96)
    assert LiteStem()(x).shape == (1, 32, 32, 24)
    xs = [net.stem(x)]
    for transition, stage in zip(net.transitions, net.stages):
        xs = stage([t(xs[min(i, len(xs) - 1)]) for i, t in enumerate(transition)])
    assert [tuple(t.shape) for t in xs] == [(1, 40, 32, 24), (1, 80, 16, 12), (1, 160, 8, 6), (1, 320, 4, 3)]
    assert [len(s) for s in net.stages] == [2, 4, 2] and [len(s) for s in LiteHRNet((3, 8, 3)).stages] == [3, 8, 3]
    assert net.head(xs).shape == (1, 40, 32, 24)
    net.head = None  # without the iterative head: the fused stride-4 branch
    torch.testing.assert_close(net(x), xs[0])


@torch.no_grad()
def test_iterative_head_reads_every_branch_top_down():
    head = _eval_bn(IterativeHead([40, 80, 160, 320]))
    xs = [torch.randn(1, c, 32 // 2 ** i, 24 // 2 ** i) for i, c in enumerate((40, 80, 160, 320))]
    widths = [(p[0].in_channels, p[2].out_channels) for p in head.projects]
    assert widths == [(320, 160), (160, 80), (80, 40), (40, 40)]
    out = head(xs)
    assert out.shape == (1, 40, 32, 24)
    for i in range(4):  # every branch, the lowest included, changes the stride-4 output
        changed = list(xs)
        changed[i] = xs[i] + 1.0
        assert not torch.allclose(head(changed), out)
    # the first step by hand: the lowest branch through its depthwise-separable projection
    p = head.projects[0]
    dw = _bn(F.conv2d(xs[3], p[0].weight, padding=1, groups=320), p[1])
    torch.testing.assert_close(p(xs[3]), torch.relu(_bn(F.conv2d(dw, p[2].weight), p[3])))


@pytest.mark.parametrize("name", LIGHT)
def test_light_presets_are_top_down_in_section_1_4(name):
    """(their spec rebuild: tests/models/test_heatmap_zoo.py)"""
    assert PRESETS[name].family == "top-down" and PRESETS[name].section.startswith("1.4")


@pytest.mark.parametrize("name", CPU)
def test_cpu_presets_give_quarter_size_heatmaps(name):
    model = build_model(name).eval()
    assert model.input_size == (96, 128) and model.codec.heatmap_size == (24, 32)
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 128, 96)).shape == (2, 17, 32, 24)
    assert build_model(name, skeleton="mpii16").eval()(torch.zeros(1, 3, 128, 96)).shape == (1, 16, 32, 24)


def test_onnx_export_suite_covers_the_cpu_presets():
    """tests/compress/test_export.py exports the cheapest preset of every builder and checks onnxruntime
    against torch within 1e-4 (its ``smallest_preset_per_builder``): for these builders, the CPU presets."""
    cheapest = {}
    for name in LIGHT:
        preset = PRESETS[name]
        builder = preset.build.func.__name__
        cost = measure_builder(preset.build, preset.input_size)[1]
        if builder not in cheapest or cost < cheapest[builder][0]:
            cheapest[builder] = (cost, name)
    assert sorted(name for _, name in cheapest.values()) == sorted(CPU)


def test_depthwise_initialisation():
    """Depthwise convolutions keep PyTorch's default initialisation unless ``official_init`` (N(0, 0.001))."""
    torch.manual_seed(0)
    default, official = LiteHRNet(), LiteHRNet(official_init=True)
    for net, low, high in ((default, 0.05, 1.0), (official, 0.0005, 0.002)):
        depthwise = [m.weight.std().item() for m in net.modules()
                     if isinstance(m, torch.nn.Conv2d) and m.groups > 1 and m.weight.numel() > 100]
        assert depthwise and all(low < s < high for s in depthwise)
        pointwise = [m.weight.std().item() for m in net.modules()
                     if isinstance(m, torch.nn.Conv2d) and m.groups == 1 and m.weight.numel() > 1000]
        assert all(0.0005 < s < 0.002 for s in pointwise)
