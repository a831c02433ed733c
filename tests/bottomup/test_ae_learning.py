"""The associative-embedding learning proof (posekit.zoo.associative_embedding.proof_run): the CPU-sized
HigherHRNet trained from scratch on posekit.zoo.learning_paf's synthetic 3-8-person scenes.

The default suite runs a short deterministic version (fixed seed and steps): the trained network's
held-out loss (heatmaps at both resolutions + push/pull) must beat both the untrained network's and the
trivial prediction of the prior (no heatmaps, one tag for everyone), and its heatmaps must respond at
the keypoints more than elsewhere. So few steps do not yet separate the tags enough for grouped people
to score (AP 0, as untrained). The slow test runs the full proof and holds it to the bar
bench/learning_ae.py measured over three seeds (bench/results/learning_ae.json).

Status: only seed 0 has been measured (bench/results/learning_ae_1seed.json: AP 0.0013, AP50 0.0115,
untrained 0, 900 steps in 9.9 CPU minutes); until ``python bench/learning_ae.py --jobs 3`` writes
learning_ae.json the slow test fails on the missing file rather than pass on a bar nobody measured.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from posekit.bottomup.dataset import BottomUpDataset
from posekit.fileio import read_json
from posekit.zoo import build_model, load_model
from posekit.zoo.associative_embedding import CPU_PRESET, PROOF_STEPS, proof_run
from posekit.zoo.learning_paf import SIZE, learn_paf, synthetic_scenes

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "learning_ae.json"


def _held_out(model, held_out) -> tuple[float, float, float]:
    """(the model's loss, the prior's loss, the ratio of its mean heat at the keypoints to elsewhere)."""
    data = BottomUpDataset(held_out, model.codec, model.skeleton)
    items = [data[i] for i in range(len(data))]
    batch = {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0] if k not in ("matrix", "index")}
    model.eval()
    with torch.no_grad():
        out = model(batch["image"])
        prior = [torch.zeros_like(o) for o in out]
        heat, _ = model.fields(out)
        target = batch["heatmaps_1"]
        ratio = float(heat[target > 0.9].mean() / heat[target < 0.01].abs().mean())
        return float(model.loss(out, batch)), float(model.loss(prior, batch)), ratio


def test_short_training_beats_the_untrained_network_and_the_prior(tmp_path):
    torch.set_num_threads(1)
    train, _ = synthetic_scenes(64, SIZE, 1000)
    held_out, gt = synthetic_scenes(16, SIZE, 7)
    torch.manual_seed(0)
    untrained, prior, _ = _held_out(build_model(CPU_PRESET), held_out)
    row = learn_paf(CPU_PRESET, 100, train, held_out, gt, seed=0, out=str(tmp_path))
    trained, _, ratio = _held_out(load_model(tmp_path), held_out)
    assert row["steps"] == 100
    # measured (seed 0): untrained 0.0449, prior 0.0449, trained 0.0331; heat at keypoints / elsewhere 3.54
    # (untrained -0.08); about 70 s of CPU
    assert trained < 0.85 * prior and trained < 0.85 * untrained and ratio > 2.0


@pytest.mark.slow
def test_the_full_proof_reaches_the_bar_set_from_three_seeds():
    torch.set_num_threads(1)
    bench = read_json(RESULTS)
    assert bench["preset"] == CPU_PRESET and bench["steps"] == PROOF_STEPS and len(bench["seeds"]) >= 3
    row = proof_run(seed=bench["seeds"][0])
    # the bar: the worst of the measured seeds, less a tenth of it for the machine's float rounding
    assert row["AP"] >= 0.9 * bench["AP"]["min"]
    assert row["cpu_minutes"] <= 10.0
