"""Configuration (YAML + flags) and learning-rate schedules."""
import math

import pytest

from posekit.cli import main
from posekit.engine.config import TrainConfig, load_config
from posekit.engine.curves import read_csv
from posekit.engine.schedule import learning_rate
from posekit.errors import DataError


def test_step_schedule_with_warmup_by_hand():
    kw = dict(steps_per_epoch=10, total_steps=140, base_lr=1e-3, schedule="step", milestones=(9, 12), gamma=0.1,
              warmup_steps=5, warmup_ratio=0.001)
    assert learning_rate(0, **kw) == pytest.approx(1e-6)
    assert learning_rate(2, **kw) == pytest.approx(1e-3 * (0.001 + 0.999 * 2 / 5))
    assert learning_rate(5, **kw) == pytest.approx(1e-3)
    assert learning_rate(89, **kw) == pytest.approx(1e-3)
    assert learning_rate(90, **kw) == pytest.approx(1e-4)
    assert learning_rate(120, **kw) == pytest.approx(1e-5)


def test_cosine_schedule_by_hand():
    kw = dict(steps_per_epoch=10, total_steps=100, base_lr=1.0, schedule="cosine", min_lr=0.1)
    assert learning_rate(0, **kw) == pytest.approx(1.0)
    assert learning_rate(50, **kw) == pytest.approx(0.55)
    assert learning_rate(25, **kw) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 4)))
    assert learning_rate(100, **kw) == pytest.approx(0.1)


def test_yaml_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: 3\nbatchsize: 4\n")
    with pytest.raises(DataError, match="bad.yaml.*batchsize"):
        load_config(bad)
    bad.write_text("augment: {rotation: 3}\n")
    with pytest.raises(DataError, match="rotation"):
        load_config(bad)
    with pytest.raises(DataError, match="optimizer"):
        TrainConfig(optimizer="sgd")


def test_train_command_from_yaml_with_flag_override(coco_handful, tmp_path, capsys):
    gt, images = coco_handful
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"model: simplebaseline-r18-128x96\ntrain: {gt}\ntrain_images: {images}\nval: {gt}\n"
                   f"val_images: {images}\nepochs: 5\nbatch_size: 8\nworkers: 0\nwarmup_steps: 1\n"
                   f"augment:\n  rotation_factor: 30\n")
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--epochs", "1", "--out", str(out), "--val-metric", "pck",
                 "--loss", "awing"]) == 0
    assert "trained 1 of 1 steps (1 epoch)" in capsys.readouterr().out
    from posekit.models.losses import AdaptiveWingLoss
    from posekit.zoo import load_model

    trained = load_model(out)  # the loss chosen by name is the one trained, and the checkpoint says so
    assert trained.spec["loss"] == "awing" and isinstance(trained.loss_fn, AdaptiveWingLoss)
    rows = read_csv(out / "log.csv")
    assert len(rows) == 1 and float(rows[0]["PCK@0.1"]) >= 0
    import json
    saved = json.loads((out / "last.json").read_text())["config"]
    assert saved["augment"]["rotation_factor"] == 30 and saved["epochs"] == 1 and saved["val_metric"] == "pck"


def test_train_command_reports_bad_input_in_one_line(tmp_path, capsys):
    assert main(["train", "--train", str(tmp_path / "nope.json"), "--train-images", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("posekit train: error:") and "nope.json" in err and "\n" not in err
    assert main(["train", "--model", "resnet-9000", "--train", "x", "--train-images", "y"]) == 2
    assert "simplebaseline-r50-256x192" in capsys.readouterr().err


def test_yaml_takes_the_flags_spelling_and_print_config_shows_the_result(tmp_path, capsys):
    import yaml

    from posekit.topdown.transforms import RandomAugment

    cfg = tmp_path / "run.yaml"
    cfg.write_text("model: simplebaseline-r18-128x96\naugment_flip_prob: 0\nbatch-size: 4\n"
                   "augment: {rotation_factor: 10}\n")
    raw = load_config(cfg, RandomAugment)
    assert raw["augment"] == {"flip_prob": 0, "rotation_factor": 10} and raw["batch_size"] == 4
    assert main(["train", "--config", str(cfg), "--augment-scale-factor", "0.2", "--epochs", "3",
                 "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["augment"]["flip_prob"] == 0 and printed["augment"]["rotation_factor"] == 10
    assert printed["augment"]["scale_factor"] == 0.2 and printed["augment"]["half_body_prob"] == 0.3
    assert printed["epochs"] == 3 and printed["batch_size"] == 4 and printed["model"] == "simplebaseline-r18-128x96"
    # what --print-config prints is a config file that gives the same configuration back
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(printed))
    assert main(["train", "--config", str(again), "--print-config"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == printed
    cfg.write_text("augment_flip: 0\n")
    assert main(["train", "--config", str(cfg), "--print-config"]) == 2
    assert "augment_flip" in capsys.readouterr().err


def test_a_family_without_a_driver_is_refused_in_one_line(monkeypatch, capsys):
    import dataclasses

    import posekit.zoo as zoo

    preset = zoo.PRESETS["simplebaseline-r18-128x96"]
    monkeypatch.setitem(zoo.PRESETS, "tracker-test", dataclasses.replace(preset, name="tracker-test",
                                                                          section="3.1 video / tracking"))
    assert zoo.PRESETS["tracker-test"].family == "video" and preset.family == "top-down"
    assert main(["train", "--model", "tracker-test", "--train", "x", "--train-images", "y"]) == 2
    err = capsys.readouterr().err.strip()
    assert "tracker-test is a video model; posekit train has drivers for bottom-up, top-down only" in err
    assert "\n" not in err
