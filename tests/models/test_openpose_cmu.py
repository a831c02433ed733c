"""OpenPose's CMU network at the paper's size: parameters counted from the public
pose_deploy_linevec.prototxt's layer shapes, the PAF-network output contract, the stage wiring,
and the zoo presets rebuilt from their specs."""
import pytest
import torch

from posekit.models.backbones.vgg import VGG19Front
from posekit.models.complexity import count_parameters
from posekit.models.heads.cmu_paf import CMUPAFHead
from posekit.models.paf_network import PAFNetwork
from posekit.zoo import PRESETS, build_from_spec, build_model


def _prototxt_parameters(heatmaps: int = 19, pafs: int = 38) -> int:
    """Weights + biases of every convolution of pose_deploy_linevec.prototxt, (cin, cout, kernel) by hand."""
    vgg = [(3, 64, 3), (64, 64, 3), (64, 128, 3), (128, 128, 3), (128, 256, 3), (256, 256, 3), (256, 256, 3),
           (256, 256, 3), (256, 512, 3), (512, 512, 3), (512, 256, 3), (256, 128, 3)]   # .. conv4_4_CPM
    stage1 = []
    for out in (pafs, heatmaps):                  # conv5_1..5_5_CPM_L1 / _L2
        stage1 += [(128, 128, 3)] * 3 + [(128, 512, 1), (512, out, 1)]
    later = []
    for out in (pafs, heatmaps):                  # Mconv1..7_stageT_L1 / _L2
        later += [(128 + heatmaps + pafs, 128, 7)] + [(128, 128, 7)] * 4 + [(128, 128, 1), (128, out, 1)]
    layers = vgg + stage1 + later * 5
    return sum(cin * cout * k * k + cout for cin, cout, k in layers)


def test_the_paper_sized_network_has_the_prototxt_parameter_count():
    with torch.device("meta"):
        net = PAFNetwork(VGG19Front(), CMUPAFHead(128, 18, 19))
    assert count_parameters(net) == _prototxt_parameters() == 52_311_446


def test_the_coco17_preset_is_the_same_network_for_17_keypoints():
    with torch.device("meta"):
        model = build_model("openpose-cmu-368x368")
    assert model.num_keypoints == 17 and model.num_limbs == 19 and model.stride == 8
    assert count_parameters(model) == _prototxt_parameters(18, 38)
    assert PRESETS["openpose-cmu-368x368"].published["params_m"] == round(_prototxt_parameters() / 1e6, 2)


def test_stages_follow_the_paf_network_contract():
    torch.manual_seed(0)
    net = PAFNetwork(VGG19Front(widths=(4,) * 11 + (8,)), CMUPAFHead(8, 5, 4, stages=3, channels=8, mid=8))
    out = net(torch.rand(2, 3, 40, 56) * 255)
    assert len(out) == 3
    for heat, paf in out:
        assert heat.shape == (2, 6, 5, 7) and paf.shape == (2, 8, 5, 7)
    # a refinement stage reads (PAFs, heatmaps, features) of the previous stage, in that order
    first = net.head.refinement[0].pafs[0]
    assert first.in_channels == 8 + 6 + 8 and first.kernel_size == (7, 7)
    assert net.head.initial.pafs[0].kernel_size == (3, 3)


def test_the_network_normalises_rgb_0_255_inside():
    torch.manual_seed(0)
    net = PAFNetwork(VGG19Front(widths=(4,) * 12), CMUPAFHead(4, 2, 1, stages=1, channels=4, mid=4)).eval()
    x = torch.rand(1, 3, 16, 16) * 255
    manual = net.head(net.backbone(x / 256 - 0.5))   # OpenPose's input: x / 256 - 0.5
    torch.testing.assert_close(net(x)[0][0], manual[0][0])


@pytest.mark.parametrize("name", ["openpose-cmu-368x368", "openpose-small-160x160"])
def test_spec_rebuilds_the_same_network(name):
    preset = PRESETS[name]
    assert preset.family == "bottom-up"
    with torch.device("meta"):
        model = preset.build()
        again = build_from_spec(model.spec)
    assert again.spec == model.spec and model.input_size == preset.input_size
    assert [(k, v.shape) for k, v in again.state_dict().items()] == [(k, v.shape) for k, v in model.state_dict().items()]


def test_custom_skeletons_size_the_outputs():
    with torch.device("meta"):
        mpii = build_model("openpose-small-160x160", skeleton="mpii16")
        out = mpii(torch.empty(1, 3, 64, 64))
    assert out[-1][0].shape == (1, 17, 8, 8) and out[-1][1].shape == (1, 30, 8, 8)
