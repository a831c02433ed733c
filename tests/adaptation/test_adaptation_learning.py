"""The domain-adaptation proof, short and deterministic (the measured one is bench/adapt_synthetic.py):
a 2-stack Hourglass trained on clean synthetic crops (64x64, 200 steps, seed 0, one thread) loses
accuracy on low-light, blurred crops; AdaBN on 200 unlabelled target crops wins part of it back,
and mean-teacher self-training (100 steps) after it keeps or adds to the gain."""
from __future__ import annotations

import pytest
import torch

from posekit.zoo.learning_adapt import learn_adaptation, shifted_instances
from posekit.zoo.learning_proof import synthetic_instances

SIZE = (64, 64)
PRESET, STEPS, ADAPT_STEPS = "hourglass-2stack-128x96", 200, 100


@pytest.fixture(scope="module")
def rows():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        source = synthetic_instances(1600, SIZE, seed=1)
        target_train = shifted_instances(synthetic_instances(200, SIZE, seed=3), 3)
        target_test = shifted_instances(synthetic_instances(150, SIZE, seed=4), 4)
        clean = synthetic_instances(150, SIZE, seed=4)
        out = learn_adaptation(PRESET, STEPS, ADAPT_STEPS, source, target_train, target_test, seed=0,
                               model_args={"input_size": SIZE}, clean_test=clean, log_every=10**6)
    finally:
        torch.set_num_threads(before)
    return {r["method"]: r for r in out}


def test_the_shift_costs_accuracy_and_adabn_wins_part_back(rows):
    clean, source, adabn = rows["source-only, clean"], rows["source-only"], rows["adabn"]
    assert clean["PCK@0.1"] > source["PCK@0.1"] + 0.03, rows
    assert adabn["PCK@0.1"] > source["PCK@0.1"] + MARGIN, rows


def test_mean_teacher_keeps_the_gain(rows):
    assert rows["adabn+mean-teacher"]["PCK@0.1"] > rows["source-only"]["PCK@0.1"] + MARGIN, rows
    assert 0.0 < rows["adabn+mean-teacher"]["pseudo_fraction"] <= 1.0


MARGIN = 0.005
