"""The PifPaf learning proof (posekit.zoo.pifpaf.proof_run through posekit.zoo.learning_paf.learn_paf):
the CPU-sized PifPaf trained from scratch on synthetic 3-8-person scenes.

The default suite runs a short deterministic version (fixed seed and steps, about a minute): the
trained network's held-out composite-field loss must beat both the untrained network's and that of
the best constant prediction (the prior: the training targets' positive rate as confidence, zero
vectors with the Laplace-optimal constant spread, the mean scale). The slow test runs the full proof
and holds it to the bar bench/learning_pifpaf.py measured over three seeds.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from posekit.bottomup.dataset import BottomUpDataset
from posekit.bottomup.pifpaf import pifpaf_loss
from posekit.fileio import read_json
from posekit.zoo import build_model, load_model
from posekit.zoo.learning_paf import SIZE, learn_paf, synthetic_scenes
from posekit.zoo.pifpaf import CPU_PRESET, PROOF_STEPS, proof_run

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "learning_pifpaf.json"


def _targets(model, instances) -> dict:
    data = BottomUpDataset(instances, model.codec, model.skeleton)
    items = [data[i] for i in range(len(data))]
    return {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in ("image", "cif", "caf", "mask")}


def _prior(train: dict, shape_cif, shape_caf, bmin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw output of the best constant prediction fitted on the training targets ``train``."""
    def inv_softplus(v):
        return float(np.log(np.expm1(max(v, 1e-6))))

    out = []
    for t, shape, vec, spread, scale in ((train["cif"], shape_cif, [(1, 3)], [3], [4]),
                                         (train["caf"], shape_caf, [(1, 3), (3, 5)], [5, 6], [7, 8])):
        on = t[:, :, 0] > 0
        raw = torch.zeros(shape)
        rate = float(on.float().mean())
        raw[:, :, 0] = float(np.log(rate / (1 - rate)))
        for (a, b), s in zip(vec, spread):
            norm = torch.linalg.vector_norm(t[:, :, a:b], dim=2)[on]
            raw[:, :, s] = inv_softplus(float(norm.mean()) - bmin)      # Laplace optimum: b = mean error
        for s in scale:
            known = t[:, :, s][on & (t[:, :, s] > 0)]
            raw[:, :, s] = inv_softplus(float(known.mean()))
        out.append(raw)
    return out[0], out[1]


def _held_out_loss(model, batch) -> float:
    model.eval()
    with torch.no_grad():
        return float(model.loss(model(batch["image"]), batch))


def test_short_training_beats_the_untrained_network_and_the_prior(tmp_path):
    torch.set_num_threads(1)
    train, _ = synthetic_scenes(96, SIZE, 1000)
    held_out, gt = synthetic_scenes(24, SIZE, 7)
    torch.manual_seed(0)
    fresh = build_model(CPU_PRESET)
    batch = _targets(fresh, held_out)
    untrained = _held_out_loss(fresh, batch)
    cif0, caf0 = _prior(_targets(fresh, train), batch["cif"].shape, batch["caf"].shape, fresh.bmin)
    prior = float(pifpaf_loss(cif0, caf0, batch["cif"], batch["caf"], batch["mask"], fresh.bmin))
    row = learn_paf(CPU_PRESET, 240, train, held_out, gt, seed=0, out=str(tmp_path))
    trained = _held_out_loss(load_model(tmp_path), batch)
    assert row["steps"] == 240
    # measured (seed 0, 1 thread, 68 CPU s): untrained 16623, prior 8678, trained 5327
    print(f"held-out loss: untrained {untrained:.0f}, prior {prior:.0f}, trained {trained:.0f}")
    assert trained < 0.9 * prior and trained < 0.8 * untrained


@pytest.mark.slow
def test_the_full_proof_reaches_the_bar_set_from_three_seeds():
    torch.set_num_threads(1)
    bench = read_json(RESULTS)
    assert bench["preset"] == CPU_PRESET and bench["steps"] == PROOF_STEPS and len(bench["seeds"]) >= 3
    row = proof_run(seed=bench["seeds"][0])
    # the bar: the worst of the measured seeds, less a tenth of it for the machine's float rounding
    assert row["AP"] >= 0.9 * bench["AP"]["min"] and row["AP"] > row["untrained_AP"]
    assert row["cpu_minutes"] <= 10.0
