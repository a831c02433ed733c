"""The learning proof of every top-down family at 300 fixed steps (the recipe of
posekit.zoo.learning_proof: no flips, bf16, Adam 3e-3, cosine over the steps, batch 8, one
torch thread), on 2400 synthetic crops (96x128), scored on 300 held-out ones.

The bars are the minimum PCK@0.1 over seeds 0, 1, 2 measured by
``python bench/zoo_synthetic.py --steps 300`` (bench/results/learning_zoo.json) minus 0.03; a
fixed number of steps makes the result a function of the code, not of the machine's load, so the
margin only has to cover other CPUs' arithmetic. Every bar is above what the same network reaches
untrained (PCK@0.1 0.00-0.10) by far; the heatmap families' are also well above the mean training
pose predicted for every crop (PCK@0.1 0.481), the regression families' only just, at 300 steps.
Slow: ``pytest -m slow tests/engine/test_learning_zoo.py`` (about 40 minutes on one core).

The non-slow test checks that posekit.zoo's ``learned`` figures are the bench's.
"""
from pathlib import Path

import pytest
import torch

from posekit.fileio import read_json
from posekit.zoo import PRESETS
from posekit.zoo.learning_proof import learn_synthetic, synthetic_instances

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "learning_zoo.json"
MARGIN = 0.03

# preset -> PCK@0.1 over seeds 0-2 (min, max), from bench/results/learning_zoo.json
MEASURED = {
    "simplebaseline-r18-128x96": (0.709, 0.717),
    "cpm-128x96": (0.710, 0.716),
    "hourglass-2stack-128x96": (0.955, 0.960),
    "cpn-r18-128x96": (0.941, 0.946),
    "hrnet-w16-128x96": (0.732, 0.742),
    "deeppose-r18-128x96": (0.575, 0.590),
    "integral-r18-128x96": (0.607, 0.623),
    "rle-r18-128x96": (0.535, 0.579),
    "simcc-r18-128x96": (0.563, 0.595),
    "litehrnet-18-128x96": (0.808, 0.902),
    "mobilenetv2-128x96": (0.665, 0.683),
    "shufflenetv2-128x96": (0.632, 0.643),
}


def test_bars_zoo_figures_and_bench_results_agree():
    results = read_json(RESULTS)
    summary = results["summary"]
    assert results["steps"] == 300 and set(summary) == set(MEASURED)
    for name, (low, high) in MEASURED.items():
        s = summary[name]
        assert s["seeds"] == [0, 1, 2] and s["steps"] == 300, name
        assert (s["PCK@0.1"]["min"], s["PCK@0.1"]["max"]) == pytest.approx((low, high), abs=5e-4), name
        learned = PRESETS[name].learned
        assert learned["pck@0.1"] == s["PCK@0.1"]["mean"] and learned["steps"] == 300, name
        assert (learned["pck@0.1_min"], learned["pck@0.1_max"]) == (s["PCK@0.1"]["min"], s["PCK@0.1"]["max"])
        runs = [r for r in results["runs"] if r["preset"] == name]
        assert min(r["PCK@0.1"] for r in runs) == pytest.approx(low, abs=5e-4)
        assert all(r["PCK@0.1"] >= r["untrained_PCK@0.1"] + 0.4 for r in runs), name
    assert {n for n, p in PRESETS.items() if p.learned} == set(MEASURED)


@pytest.fixture(scope="module")
def synthetic_split():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield synthetic_instances(2400, (96, 128), seed=1), synthetic_instances(300, (96, 128), seed=2)
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEASURED))
def test_family_learns_synthetic_people(name, synthetic_split):
    row = learn_synthetic(name, 300, *synthetic_split, seed=0)
    print(row)
    assert row["steps"] == 300
    assert row["PCK@0.1"] >= MEASURED[name][0] - MARGIN
