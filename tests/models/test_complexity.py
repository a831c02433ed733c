"""The parameter and multiply-add counter against hand computation and well-known figures."""
from __future__ import annotations

import json

import pytest
from torch import nn

from posekit.models.complexity import count_macs, count_parameters, measure_builder
from tests.conftest import run_cli


def test_macs_by_hand():
    # conv 3->8, 3x3, stride 1, pad 1 on 20x10: 8*3*9 MACs per output pixel, 200 pixels
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_macs(conv, (10, 20)) == 8 * 3 * 9 * 200
    # transposed conv 3->4, 4x4, stride 2: every input pixel scatters a 4x4x4 kernel
    deconv = nn.Sequential(nn.ConvTranspose2d(3, 4, 4, 2, 1, bias=False))
    assert count_macs(deconv, (10, 20)) == 3 * 4 * 16 * 200
    assert count_parameters(conv) == 8 * 3 * 9 + 8


def test_resnet50_matches_its_known_cost():
    """ResNet-50's trunk at 224x224 costs 4.09 G multiply-adds (He et al. 2016 state 3.8 with
    their counting; torchvision documents 4.09 GFLOPs for the classifier, whose fc adds 2 M)."""
    from posekit.models.backbones.resnet import ResNet

    params, macs = measure_builder(lambda: ResNet(50), (224, 224))
    assert macs / 1e9 == pytest.approx(4.087, rel=0.005)
    assert params / 1e6 == pytest.approx(23.51, rel=0.005)  # 25.56 M minus the 2048x1000 fc


def test_zoo_list_json_measures_every_preset():
    from posekit.zoo import PRESETS, build_model

    rows = json.loads(run_cli("zoo", "list", "--json", check=True).stdout)
    assert [r["name"] for r in rows] == list(PRESETS)
    row = next(r for r in rows if r["name"] == "simplebaseline-r18-128x96")
    assert row["params_m"] == round(count_parameters(build_model(row["name"])) / 1e6, 2)
    assert all(r["section"] and r["paper"] and r["input"] for r in rows)
    for r in rows:
        if r["published"]:
            assert r["published"].get("source"), r["name"]
