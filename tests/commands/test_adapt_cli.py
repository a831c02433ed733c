"""``posekit adapt``: AdaBN and mean-teacher self-training of a checkpoint from a folder of target images."""
from __future__ import annotations

import json

import cv2
import torch

from posekit.adaptation import adapt_batchnorm, batchnorm_layers, crop_batches
from posekit.cli import main
from posekit.engine.checkpoint import save_weights
from posekit.zoo import build_model, load_model
from posekit.zoo.learning_adapt import shifted_instances
from posekit.zoo.learning_proof import synthetic_instances

SIZE = (32, 64)


def _checkpoint(tmp_path):
    torch.manual_seed(0)
    model = build_model("simplebaseline-r18-128x96", input_size=SIZE).eval()
    path = tmp_path / "model.safetensors"
    save_weights(model, path)
    return path


def _target_folder(tmp_path, n=6):
    people = shifted_instances(synthetic_instances(n, SIZE, seed=9), 9)
    folder = tmp_path / "target"
    folder.mkdir()
    for i, p in enumerate(people):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(p.image, cv2.COLOR_RGB2BGR))
    (folder / "broken.jpg").write_bytes(b"not an image")
    return folder, people


def test_adabn_writes_a_model_with_the_target_statistics(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path)
    folder, people = _target_folder(tmp_path)
    out = tmp_path / "adapted"
    assert main(["adapt", "--model", str(ckpt), "--target-images", str(folder), "--crops", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "6 target people" in err
    adapted, reference = load_model(out), load_model(ckpt)
    # the same AdaBN in process on the same crops: the CLI's file holds exactly its statistics
    adapt_batchnorm(reference, crop_batches(people, reference))
    for a, b in zip(batchnorm_layers(adapted), batchnorm_layers(reference)):
        torch.testing.assert_close(a.running_mean, b.running_mean, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(a.running_var, b.running_var, rtol=1e-5, atol=1e-6)
    original = load_model(ckpt)
    assert not torch.allclose(batchnorm_layers(adapted)[0].running_mean, batchnorm_layers(original)[0].running_mean)
    info = json.loads((out / "adapt.json").read_text())
    assert info["method"] == "adabn" and info["target_people"] == 6 and len(info["problems"]) == 1


def test_mean_teacher_runs_from_the_command_line(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path)
    folder, _ = _target_folder(tmp_path)
    src = tmp_path / "source"
    assert main(["synth", "--crops", "--num-images", "8", "--size", f"{SIZE[0]}x{SIZE[1]}", "--out", str(src),
                 "--quiet"]) == 0
    out = tmp_path / "mt"
    assert main(["adapt", "--model", str(ckpt), "--target-images", str(folder), "--crops", "--out", str(out),
                 "--method", "mean-teacher", "--source", str(src / "annotations.json"), "--source-images",
                 str(src / "images"), "--steps", "2", "--batch-size", "2"]) == 0
    info = json.loads((out / "adapt.json").read_text())
    assert info["steps"] == 2 and 0.0 <= info["pseudo_fraction"] <= 1.0
    assert load_model(out).skeleton.num_keypoints == 17


def test_user_errors_are_one_line(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path)
    folder, _ = _target_folder(tmp_path, 2)
    assert main(["adapt", "--model", str(ckpt), "--target-images", str(folder), "--crops", "--out",
                 str(tmp_path / "o"), "--method", "mean-teacher"]) == 2
    assert "needs the labelled source data" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["adapt", "--model", str(ckpt), "--target-images", str(empty), "--crops", "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "no image found" in err and len(err.strip().splitlines()) == 1
