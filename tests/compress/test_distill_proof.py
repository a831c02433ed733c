"""The distillation proof (issue 15, section 2): the FPD student (hourglass, 1 stack of 64 channels)
under a trained ``hourglass-2stack-128x96`` teacher against the same student alone, 300 steps on
the zoo bench's 2400 synthetic crops, scored on its 300 held-out crops, seeds 0, 1, 2
(``python bench/distill_synthetic.py``, bench/results/distill_synthetic.json).

The claim is the issue's: the distilled student's mean PCK@0.1 beats the student alone's by more
than the seed-to-seed spread (the larger max - min of the two). Its test reads the measured
figures from the JSON, for that student and for a slimmer one (32 channels) measured the same
way; on the figures measured (2026-12-03) it fails for both: margins -0.0009 and +0.0071 against
spreads 0.0066 and 0.0267. The reproduction test re-runs seed 0 of both modes and the teacher
(431 s on one thread) and must land within 0.01 of the JSON. Both slow
(``pytest -m slow tests/compress/test_distill_proof.py``). The default-suite test checks each
JSON's summary is the summary of its runs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posekit.fileio import read_json

BENCH = Path(__file__).resolve().parents[2] / "bench" / "results"
RESULTS = BENCH / "distill_synthetic.json"            # the student chosen first: 1 stack of 64 channels
# the slimmer student (1 stack of 32 channels, 0.07 M parameters), measured after the first showed no gain:
# ``python bench/distill_synthetic.py --student-channels 32 --out bench/results/distill_synthetic_ch32.json``
RESULTS_CH32 = BENCH / "distill_synthetic_ch32.json"
BOTH = pytest.mark.parametrize("path", [RESULTS, RESULTS_CH32], ids=["64ch", "32ch"])


@BOTH
def test_bench_summary_is_its_runs(path):
    results = read_json(path)
    runs, summary = results["runs"], results["summary"]
    assert results["steps"] == 300 and results["teacher_steps"] == 300 and results["held_out"] == 300
    assert results["student"]["model_args"] == {"stacks": 1, "channels": 32 if path == RESULTS_CH32 else 64}
    for mode in ("alone", "distilled"):
        rows = [r for r in runs if r["mode"] == mode]
        assert sorted(r["seed"] for r in rows) == [0, 1, 2], mode
        assert all(r["steps"] == 300 for r in rows)
        v = np.array([r["PCK@0.1"] for r in rows])
        s = summary[mode]["PCK@0.1"]
        assert (s["mean"], s["min"], s["max"]) == pytest.approx((v.mean(), v.min(), v.max()), abs=5e-5), mode
    a, d = summary["alone"]["PCK@0.1"], summary["distilled"]["PCK@0.1"]
    assert summary["margin_PCK@0.1"] == pytest.approx(d["mean"] - a["mean"], abs=2e-4)
    assert summary["spread_PCK@0.1"] == pytest.approx(max(a["max"] - a["min"], d["max"] - d["min"]), abs=2e-4)
    assert summary["distilled_beats_alone"] == (summary["margin_PCK@0.1"] > summary["spread_PCK@0.1"])


@pytest.mark.slow
@BOTH
def test_distilled_student_beats_the_student_alone_by_more_than_the_spread(path):
    s = read_json(path)["summary"]
    assert s["margin_PCK@0.1"] > s["spread_PCK@0.1"], (
        f"distilled PCK@0.1 {s['distilled']['PCK@0.1']} vs alone {s['alone']['PCK@0.1']}: margin "
        f"{s['margin_PCK@0.1']}, spread {s['spread_PCK@0.1']}")


@pytest.mark.slow
def test_seed_zero_reproduces_the_bench(tmp_path):
    from posekit.zoo.learning_distill import learn_distilled, trained_teacher
    from posekit.zoo.learning_proof import synthetic_instances

    results = read_json(RESULTS)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train = synthetic_instances(2400, (96, 128), seed=1)
        held_out = synthetic_instances(300, (96, 128), seed=2)
        teacher, row = trained_teacher(tmp_path, 300, train, held_out, seed=0)
        assert row["PCK@0.1"] == pytest.approx(results["teacher"]["PCK@0.1"], abs=0.01)
        for mode in ("alone", "distilled"):
            got = learn_distilled(300, train, held_out, teacher if mode == "distilled" else None, seed=0)
            want = next(r for r in results["runs"] if r["mode"] == mode and r["seed"] == 0)
            assert got["PCK@0.1"] == pytest.approx(want["PCK@0.1"], abs=0.01), mode
    finally:
        torch.set_num_threads(before)
