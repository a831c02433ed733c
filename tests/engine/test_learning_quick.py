"""The learning proof in the default suite: every family, fixed steps, fixed seed, one torch thread.

Each family's CPU preset, rebuilt at 32x64 (W x H), trains from scratch for 40 steps of 8
synthetic crops (posekit.zoo.learning_proof's recipe: no flips, Adam 3e-3, cosine, bf16), then
localises 100 held-out crops. Asserted against the same network untrained (same seed): PCK@0.1
at least 0.2 higher and PCK@0.2 at least 0.4 higher. About three minutes in all on the 2-core box.

Measured on the development box (PCK@0.1 untrained -> trained; PCK@0.2 untrained -> trained):
SimpleBaseline 0.082 -> 0.487, 0.308 -> 0.909; CPM 0.005 -> 0.328, 0.024 -> 0.813;
CPN 0.052 -> 0.345, 0.174 -> 0.732; DeepPose 0.115 -> 0.414, 0.334 -> 0.862;
Integral 0.117 -> 0.471, 0.331 -> 0.900; RLE 0.116 -> 0.391, 0.328 -> 0.840;
SimCC 0.014 -> 0.439, 0.067 -> 0.839; HRNet 0.046 -> 0.477, 0.179 -> 0.912;
Hourglass 0.046 -> 0.451, 0.140 -> 0.873; the light networks (section 1.4): Lite-HRNet-18
0.046 -> 0.361, 0.187 -> 0.725; MobileNetV2 0.093 -> 0.489, 0.301 -> 0.916;
ShuffleNetV2 0.079 -> 0.474, 0.258 -> 0.912.

Forty steps take a network from nothing to about where people usually are: the mean training
pose scores PCK@0.1 0.489 here. Beating that reference, i.e. reading the image, takes longer:
that is the slow proof (tests/engine/test_learning_zoo.py, bars from bench/zoo_synthetic.py).
"""
from __future__ import annotations

import pytest
import torch

from posekit.zoo.learning_proof import learn_synthetic, synthetic_instances

FAMILIES = ["simplebaseline-r18-128x96", "cpm-128x96", "hourglass-2stack-128x96", "cpn-r18-128x96",
            "hrnet-w16-128x96", "deeppose-r18-128x96", "integral-r18-128x96", "rle-r18-128x96", "simcc-r18-128x96",
            "litehrnet-18-128x96", "mobilenetv2-128x96", "shufflenetv2-128x96"]
SIZE, STEPS = (32, 64), 40


@pytest.fixture(scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def crops():
    return synthetic_instances(STEPS * 8, SIZE, seed=1), synthetic_instances(100, SIZE, seed=2)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_learns_in_forty_steps(name, crops, one_thread):
    row = learn_synthetic(name, STEPS, *crops, seed=0, untrained=True, model_args={"input_size": SIZE},
                          log_every=1000)
    assert row["steps"] == STEPS
    assert row["PCK@0.1"] >= row["untrained_PCK@0.1"] + 0.2, row
    assert row["PCK@0.2"] >= row["untrained_PCK@0.2"] + 0.4, row
