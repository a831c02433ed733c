"""``posekit train`` drives the bottom-up family: synthetic scenes written by ``posekit synth``, a
few steps of the CPU-sized PAF preset, COCO AP validation, and a checkpoint that rebuilds the
model (codec and skeleton included)."""
import numpy as np
import torch

from posekit.cli import main
from posekit.engine.curves import read_csv
from posekit.zoo import load_model


def test_train_a_paf_preset_from_the_command_line(tmp_path, capsys):
    data = tmp_path / "synth"
    assert main(["synth", "--out", str(data), "--num-images", "8", "--size", "64x64", "--min-people", "2",
                 "--max-people", "3", "--min-height", "30", "--crowd-prob", "1", "--quiet"]) == 0
    ann = str(data / "annotations.json")
    out = tmp_path / "run"
    assert main(["train", "--model", "openpose-small-160x160", "--train", ann, "--train-images", str(data / "images"),
                 "--val", ann, "--val-images", str(data / "images"), "--epochs", "2", "--batch-size", "4",
                 "--workers", "0", "--warmup-steps", "0", "--lr", "1e-3", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "trained 4 of 4 steps (2 epochs)" in said and "best AP" in said
    rows = read_csv(out / "log.csv")
    assert len(rows) == 2 and all(0 <= float(r["AP"]) <= 1 for r in rows)
    model = load_model(out)
    assert model.codec.input_size == (160, 160) and model.skeleton.name == "coco17"
    assert model.spec["builder"] == "openpose" and model.num_limbs == 19
    found = model.predict_inputs(torch.zeros(1, 3, 64, 96))
    kp, scores, person_scores = found[0]
    assert kp.shape[1:] == (17, 2) and scores.shape[1:] == (17,) and len(person_scores) == len(kp)
    assert np.all(np.isfinite(kp))
