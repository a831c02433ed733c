"""Checkpoints are one unit, and interrupted runs lose nothing (issue 12, "Faults").

A kill is simulated by raising an exception no code catches (a BaseException) at each file
operation of a run in turn; the resumed run must end with exactly the weights, logs and best
model of the uninterrupted run. Also: a damaged checkpoint is refused in one line, SIGTERM
saves and stops, a run without validation resumes, and the budget holds the validation.
"""
from __future__ import annotations

import json
import os
import signal

import pytest
import torch

import posekit.engine.checkpoint as ckpt
import posekit.engine.trainer as trainer_mod
from posekit.engine.checkpoint import best_score, weights_info
from posekit.engine.config import TrainConfig
from posekit.engine.curves import read_csv
from posekit.engine.trainer import Trainer
from posekit.errors import ModelError
from tests.engine._toy import Toy, ToyData, validator


class Killed(BaseException):
    """The process dies here."""


def _fit(out, validate=True, data=None, **kw):
    torch.manual_seed(0)
    cfg = TrainConfig(**{**dict(epochs=2, batch_size=4, lr=1e-2, warmup_steps=0, workers=0, log_every=1,
                                save_every=2, out=str(out), channels_last=False), **kw})
    trainer = Trainer(Toy(), data or ToyData(16), cfg, validator() if validate else None, "score")
    return trainer, trainer.fit()


def _logs(out):
    steps = [(r["step"], r["loss"], r["lr"]) for r in read_csv(out / "steps.csv")]
    epochs = [(r["epoch"], r["step"], r["loss"], r.get("score")) for r in read_csv(out / "log.csv")]
    return steps, epochs


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    trainer, summary = _fit(out)
    return out, trainer.model.state_dict(), summary


def _same_weights(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


KILLABLE = [(ckpt, "_save"), (ckpt, "write_json"), (ckpt, "_rename"), (ckpt, "remove_stale"),
            (trainer_mod, "append_csv")]


def _kill_at(monkeypatch, k):
    """Die right after the k-th file operation of the run (1-based)."""
    calls = [0]
    for module, name in KILLABLE:
        real = getattr(module, name)

        def wrapper(*a, _real=real, **kw):
            out = _real(*a, **kw)
            calls[0] += 1
            if calls[0] == k:
                raise Killed
            return out

        monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.mark.parametrize("k", range(1, 33))
def test_a_kill_after_any_file_operation_resumes_to_the_same_run(straight, tmp_path, monkeypatch, k):
    ref_dir, ref_state, ref_summary = straight
    with monkeypatch.context() as m:
        calls = _kill_at(m, k)
        with pytest.raises(Killed):
            _fit(tmp_path)
    assert calls[0] == k
    trainer, summary = _fit(tmp_path, resume=True)
    assert _same_weights(ref_state, trainer.model.state_dict())
    assert _logs(tmp_path) == _logs(ref_dir)
    assert summary["steps"] == 8 and summary["best"] == ref_summary["best"]
    # the best model on disk is the one its score claims, and the record agrees with it
    assert best_score(tmp_path) == best_score(ref_dir) == ref_summary["best"]
    best_ref, best_got = Toy(), Toy()
    ckpt.load_weights(best_ref, ref_dir / "best.safetensors")
    ckpt.load_weights(best_got, tmp_path / "best.safetensors")
    assert _same_weights(best_ref.state_dict(), best_got.state_dict())
    record = json.loads((tmp_path / "last.json").read_text())
    assert record["best"] == ref_summary["best"] and record["step"] == 8
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-00000008"]


def test_the_kill_points_cover_a_whole_run(tmp_path, monkeypatch):
    calls = _kill_at(monkeypatch, 10 ** 6)
    _fit(tmp_path)
    assert calls[0] == 32  # every operation above was a kill point


def test_a_damaged_checkpoint_is_refused_in_one_line(straight, tmp_path):
    _fit(tmp_path, epochs=1)
    model_file = tmp_path / json.loads((tmp_path / "last.json").read_text())["checkpoint"] / "model.safetensors"
    data = bytearray(model_file.read_bytes())
    data[-5] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelError) as e:
        _fit(tmp_path, resume=True)
    assert "does not match its SHA-256" in str(e.value) and "\n" not in str(e.value)
    model_file.unlink()
    with pytest.raises(ModelError, match="is missing"):
        _fit(tmp_path, resume=True)
    (tmp_path / "last.json").write_text(json.dumps({"epoch": 0, "step": 4}))  # an old-style record
    with pytest.raises(ModelError, match="not a checkpoint record"):
        _fit(tmp_path, resume=True)


def test_a_crash_mid_epoch_resumes_from_the_last_save_every(straight, tmp_path, monkeypatch):
    ref_dir, ref_state, _ = straight
    real = Trainer.train_step

    def crash(self, batch, step):
        if step == 6:  # kill -9 during step 7 (0-based 6): the save of step 6 is the last
            raise Killed
        return real(self, batch, step)

    with monkeypatch.context() as m:
        m.setattr(Trainer, "train_step", crash)
        with pytest.raises(Killed):
            _fit(tmp_path)
    assert json.loads((tmp_path / "last.json").read_text())["step"] == 6
    trainer, _ = _fit(tmp_path, resume=True)
    assert _same_weights(ref_state, trainer.model.state_dict())
    steps, _ = _logs(tmp_path)
    assert [int(s) for s, *_ in steps] == list(range(1, 9))  # no row twice
    assert _logs(tmp_path) == _logs(ref_dir)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_stops_and_resumes_exactly(straight, tmp_path, monkeypatch, signum):
    ref_dir, ref_state, _ = straight
    real = Trainer.train_step

    def signalled(self, batch, step):
        out = real(self, batch, step)
        if step == 2:
            os.kill(os.getpid(), signum)
        return out

    with monkeypatch.context() as m:
        m.setattr(Trainer, "train_step", signalled)
        _, summary = _fit(tmp_path, save_every=0)
    assert summary["signal"] == signal.Signals(signum).name and summary["steps"] == 3
    assert json.loads((tmp_path / "last.json").read_text())["step"] == 3
    assert signal.getsignal(signum) is not None and signal.getsignal(signum) != Trainer._on_signal
    trainer, summary = _fit(tmp_path, resume=True, save_every=0)
    assert summary["signal"] is None and summary["steps"] == 8
    assert _same_weights(ref_state, trainer.model.state_dict())
    assert _logs(tmp_path) == _logs(ref_dir)


def test_a_run_without_validation_resumes(tmp_path):
    _fit(tmp_path, validate=False, epochs=1)
    assert json.loads((tmp_path / "last.json").read_text())["best"] is None
    _, summary = _fit(tmp_path, validate=False, resume=True)
    assert summary["best"] is None and summary["steps"] == 8
    info = weights_info(tmp_path / "best.safetensors")["info"]
    assert info["score"] is None and info["step"] == 8  # without validation "best" is the last epoch's model


class _Clock:
    """time.monotonic for the trainer: 1 s a training step, 5 s a validation."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_budget_holds_validation_and_the_report_counts_steps(tmp_path, monkeypatch):
    from posekit.commands.train import report

    clock = _Clock()
    monkeypatch.setattr(trainer_mod.time, "monotonic", clock)
    real = Trainer.train_step
    monkeypatch.setattr(Trainer, "train_step", lambda self, b, s: (setattr(clock, "now", clock.now + 1),
                                                                   real(self, b, s))[1])
    validate = validator()

    def slow_validate(model):
        clock.now += 5
        return validate(model)

    torch.manual_seed(0)
    cfg = TrainConfig(epochs=10, batch_size=4, warmup_steps=0, workers=0, out=str(tmp_path), channels_last=False,
                      max_minutes=20 / 60)
    summary = Trainer(Toy(), ToyData(16), cfg, slow_validate, "score").fit()
    # epoch 1: 4 steps + 5 s validation = 9 s, epoch 2 ends at 18 s; a third epoch's first step
    # and its validation (1 + 5 s) would pass the 20 s budget, so the run stops there
    assert clock.now == 18 and summary["stopped_by_budget"]
    assert summary["steps"] == 8 and summary["total_steps"] == 40
    line = report(summary, cfg)
    assert line.startswith("trained 8 of 40 steps (2 epochs)") and "stopped by the 0.333333-minute budget" in line
    summary["steps"] = 4
    assert "(1 epoch)" in report(summary, cfg)
    summary["steps"] = 143
    summary["steps_per_epoch"] = 375
    assert "trained 143 of 40 steps (0.38 epochs)" in report(summary, cfg)


def test_the_collate_hook_makes_the_batches(tmp_path):
    """A method with a variable number of people per sample brings its own collation."""
    import numpy as np

    seen = []

    def collate(items):
        seen.append(len(items))
        people = [np.zeros((i["index"] % 3, 2)) for i in items]  # 0, 1 or 2 people: default collation fails
        return {"image": torch.from_numpy(np.stack([i["image"] for i in items])),
                "target": torch.from_numpy(np.stack([i["target"] for i in items])), "people": people}

    torch.manual_seed(0)
    cfg = TrainConfig(epochs=1, batch_size=4, warmup_steps=0, workers=0, out=str(tmp_path), channels_last=False)
    summary = Trainer(Toy(), ToyData(16), cfg, collate_fn=collate).fit()
    assert summary["steps"] == 4 and seen == [4, 4, 4, 4]


def test_unreadable_samples_are_replaced_and_reported(tmp_path):
    from posekit.engine.skipping import SkipUnreadable

    torch.manual_seed(0)
    cfg = TrainConfig(epochs=2, batch_size=4, warmup_steps=0, workers=0, out=str(tmp_path), channels_last=False)
    summary = Trainer(Toy(), SkipUnreadable(ToyData(16, bad=(3, 11))), cfg).fit()
    assert summary["steps"] == 8
    assert summary["skipped"] == ["img3.jpg: cannot read image (missing or not an image)",
                                  "img11.jpg: cannot read image (missing or not an image)"]
