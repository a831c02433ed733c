"""ResNet backbones, the deconvolution head and the SimpleBaseline presets."""
import pytest
import torch

import posekit
from posekit.errors import ModelError
from posekit.models.backbones.resnet import ResNet


def _params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("name,paper_m", [("simplebaseline-r50-256x192", 34.0),
                                          ("simplebaseline-r50-384x288", 34.0),
                                          ("simplebaseline-r101-256x192", 53.0)])
def test_parameter_count_matches_the_paper(name, paper_m):
    model = posekit.build_model(name)
    assert abs(_params(model) / 1e6 - paper_m) / paper_m < 0.01
    assert posekit.PRESETS[name].published["params_m"] == paper_m


@pytest.mark.parametrize("depth,trunk_m", [(18, 11.176512), (34, 21.284672), (50, 23.508032)])
def test_resnet_trunk_sizes(depth, trunk_m):
    # He et al. (2016) parameter counts minus the 1000-way classifier (512*e*1000 + 1000)
    assert _params(ResNet(depth)) / 1e6 == pytest.approx(trunk_m, abs=1e-6)


def test_output_shapes_and_stride():
    model = posekit.build_model("simplebaseline-r18-128x96").eval()
    out = model(torch.zeros(2, 3, 128, 96))
    assert out.shape == (2, 17, 32, 24)
    assert model.codec.heatmap_size == (24, 32) and model.input_size == (96, 128)
    mpii = posekit.build_model("simplebaseline-r18-128x96", skeleton="mpii16")
    assert mpii(torch.zeros(1, 3, 128, 96)).shape == (1, 16, 32, 24)


def test_torchvision_state_dict_names():
    # torchvision's resnet50 names: stem conv1/bn1, layerN.i.{conv,bn}{1,2,3}, layerN.0.downsample.{0,1}, fc
    net = ResNet(50)
    sd = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v for k, v in net.state_dict().items()}
    for key in ["conv1.weight", "bn1.running_mean", "layer1.0.downsample.0.weight", "layer4.2.bn3.weight"]:
        assert key in sd
    assert sd["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)
    sd["fc.weight"], sd["fc.bias"] = torch.zeros(1000, 2048), torch.zeros(1000)
    fresh = ResNet(50)
    fresh.load_torchvision_state_dict(sd)
    assert torch.equal(fresh.layer4[2].conv3.weight, torch.full_like(fresh.layer4[2].conv3.weight, 0.5))
    with pytest.raises(ModelError, match="missing"):
        ResNet(18).load_torchvision_state_dict(sd)


def test_unknown_preset_is_a_model_error():
    with pytest.raises(ModelError, match="simplebaseline-r50-256x192"):
        posekit.build_model("simplebaseline-r51")
