"""HRNet (Sun et al. 2019): sizes and costs against the paper, the stride-4 output, the fusion."""
import pytest
import torch

import posekit
from posekit.errors import ModelError
from posekit.models.backbones.hrnet import HRModule, HRNet
from posekit.models.complexity import measure_builder

# Sun et al. 2019, Table 1 / the official README: params (M), GFLOPs ("convolution and linear layers only")
PAPER = {"hrnet-w32-256x192": (28.5, 7.1), "hrnet-w32-384x288": (28.5, 16.0),
         "hrnet-w48-256x192": (63.6, 14.6), "hrnet-w48-384x288": (63.6, 32.9)}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_size_and_cost_match_the_paper(name):
    preset = posekit.PRESETS[name]
    params, macs = measure_builder(preset.build, preset.input_size)
    paper_params, paper_gflops = PAPER[name]
    assert (preset.published["params_m"], preset.published["gflops"]) == PAPER[name]
    assert abs(params / 1e6 - paper_params) / paper_params < 0.03
    # the paper's "GFLOPs" are multiply-adds counted in units of 2**30
    assert macs / 2**30 == pytest.approx(paper_gflops, abs=0.05)


def test_heatmaps_are_a_quarter_of_the_input():
    model = posekit.build_model("hrnet-w16-128x96").eval()
    assert model(torch.zeros(2, 3, 128, 96)).shape == (2, 17, 32, 24)
    assert model.codec.heatmap_size == (24, 32)
    assert posekit.build_model("hrnet-w16-128x96", skeleton="mpii16")(torch.zeros(1, 3, 128, 96)).shape[1] == 16
    assert HRNet(8)(torch.zeros(1, 3, 64, 96)).shape == (1, 8, 16, 24)


def test_fusion_exchanges_information_between_all_branches():
    torch.manual_seed(0)
    module = HRModule([4, 8, 16], num_blocks=1).eval()
    xs = [torch.randn(1, 4, 16, 16), torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4)]
    out = module(xs)
    assert [o.shape for o in out] == [x.shape for x in xs]
    # every output depends on every input branch (a change in the lowest resolution reaches the highest)
    for j in range(3):
        changed = [x.clone() for x in xs]
        changed[j] += 1.0
        assert all(not torch.allclose(a, b) for a, b in zip(out, module(changed)))
    last = HRModule([4, 8, 16], num_blocks=1, outputs=1)
    assert len(last(xs)) == 1 and len(last.fuse) == 1


def test_input_size_must_fit_the_stride():
    with pytest.raises(ModelError, match="multiple of 32"):
        posekit.build_model("hrnet-w16-128x96", input_size=(100, 128))


def test_return_branches_gives_every_resolution():
    torch.manual_seed(0)
    net = HRNet(8, modules=(1, 1, 1), blocks=1, return_branches=True).eval()
    out = net(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in out] == [(2, 8, 16, 24), (2, 16, 8, 12), (2, 32, 4, 6), (2, 64, 2, 3)]
    assert net.out_channels == [8, 16, 32, 64] and net.strides == [4, 8, 16, 32]
    # the last module fuses into every branch: each output sees every branch, and the stride-4
    # branch alone is what the default network returns (its last fusion has one output row)
    assert len(net.stages[-1][-1].fuse) == 4 and len(HRNet(8, modules=(1, 1, 1), blocks=1).stages[-1][-1].fuse) == 1
    fewer = HRNet(8, modules=(1, 1), blocks=1, return_branches=True)
    assert [o.shape[1] for o in fewer(torch.zeros(1, 3, 64, 64))] == [8, 16, 32]
