"""Every verb of the CLI, on every kind of bad input: one line naming the problem, exit code 2,
never a traceback.

The verbs come from the parser of :mod:`posekit.cli`, so a new verb fails
``test_every_verb_has_a_row`` until it is given a row in ``ARGV``. Runs in this process
(``posekit.cli.main``): an exception that escapes ``main`` is the traceback a user would see.
"""
from __future__ import annotations

import argparse
import json

import pytest

from posekit import cli

# bad input kind -> how to make it under tmp (returns the path)
BAD = {
    "missing file": lambda d: d / "nothere.json",
    "directory": lambda d: (d / "adir.json").mkdir() or d / "adir.json",
    "not JSON": lambda d: (d / "garbage.json").write_bytes(b"\x89PNG\r\n\x1a\n not json {") and d / "garbage.json",
    "empty file": lambda d: (d / "empty.json").write_bytes(b"") or d / "empty.json",
    "wrong type": lambda d: (d / "number.json").write_text("42") and d / "number.json",
    "wrong records": lambda d: (d / "records.json").write_text(json.dumps([{"id": [1]}, {"category_id": {}}]))
    and d / "records.json",
    "unhashable ids": lambda d: (d / "unhashable.json").write_text(json.dumps({
        "images": [{"id": [1], "file_name": "a.jpg"}], "categories": [{"id": {}, "keypoints": ["a"]}],
        "annotations": [{"id": [1], "image_id": [1], "category_id": {}, "keypoints": [1, 1, 2], "bbox": [0, 0, 1, 1]}]}))
    and d / "unhashable.json",
}


def _checkpoint(tmp):
    """A small top-down checkpoint, for the verbs whose bad input is a second file."""
    from posekit.engine.checkpoint import save_weights
    from posekit.zoo import build_model

    path = tmp / "model.safetensors"
    save_weights(build_model("simplebaseline-r18-128x96", input_size=(32, 32)), path)
    return path


def _image(shared):
    return str(next((shared / "coco_mini" / "images" / "val2017").glob("*.jpg")))


# verb -> argv builder (bad path, tmp folder, shared data): the bad input where the verb reads a file
ARGV = {
    "infer": lambda b, t, s: ["infer", _image(s), "--gt", b, "--out", t / "out"],
    "calibrate": lambda b, t, s: ["calibrate", "--gt", b, "--images", t, "--out", t / "c.json"],
    "track": lambda b, t, s: ["track", b, "--out", t / "out"],
    "weights": lambda b, t, s: ["weights", "import", "blazepose", "--wheel", b],
    "eval": lambda b, t, s: ["eval", "--gt", s / "coco_mini" / "annotations" / "person_keypoints_val2017.json",
                             "--results", b],
    "train": lambda b, t, s: ["train", "--train", b, "--train-images", t, "--out", t / "run", "--epochs", "1"],
    "distill": lambda b, t, s: ["distill", "--teacher", b, "--student", "hourglass-2stack-128x96", "--train", b,
                                "--train-images", t, "--out", t / "run", "--epochs", "1"],
    "validate": lambda b, t, s: ["validate", b],
    "eval-track": lambda b, t, s: ["eval-track", "--gt", b, "--results", b],
    "zoo": lambda b, t, s: ["zoo", "list", "--section", str(b)],
    "export": lambda b, t, s: ["export", b, "--out", t / "m.onnx"],
    "synth": lambda b, t, s: ["synth", "--out", (t / "file.txt").write_text("x") and t / "file.txt" / "sub",
                              "--num-images", "1"],
    "corrupt": lambda b, t, s: ["corrupt", "--kind", "jpeg", b, t / "out"],
    "serve": lambda b, t, s: ["serve", "--model", b, "--port", "0"],  # refused before it listens
    "quantize": lambda b, t, s: ["quantize", b, "--calibration", "synthetic:2", "--out", t / "q.onnx"],
    "robustness": lambda b, t, s: ["robustness", "--gt", b, "--images", t, "--out", t / "r"],
    "train-refiner": lambda b, t, s: ["train-refiner", "--out", (t / "file.txt").write_text("x") and t / "file.txt" / "sub",
                                      "--steps", "1", "--clips", "2"],
    "adapt": lambda b, t, s: ["adapt", "--model", b, "--target-images", t, "--out", t / "run"],
    "train-posefix": lambda b, t, s: ["train-posefix", "--out",
                                      (t / "file.txt").write_text("x") and t / "file.txt" / "sub",
                                      "--steps", "1", "--crops", "8", "--input-size", "32x64"],
}
# also the ground-truth side of the verbs that read two files
ARGV_GT = {
    "eval --gt": lambda b, t, s: ["eval", "--gt", b, "--results", b],
    "eval --image-ids": lambda b, t, s: [
        "eval", "--gt", s / "coco_mini" / "annotations" / "person_keypoints_val2017.json",
        "--results", s / "coco_mini" / "annotations" / "person_keypoints_val2017.json", "--image-ids", b],
    "validate --gt": lambda b, t, s: ["validate", "--gt", b, b],
    "synth --degrade": lambda b, t, s: ["synth", "--video", "--out", t / "v", "--degrade", b.name],  # not a kind
    "infer --refine": lambda b, t, s: ["infer", _image(s), "--refine", b, "--out", t / "out"],
    "adapt --detector": lambda b, t, s: ["adapt", "--model", _checkpoint(t), "--target-images", t,
                                         "--out", t / "run", "--detector", b],
    "adapt --source": lambda b, t, s: ["adapt", "--model", _checkpoint(t), "--target-images", t,
                                       "--out", t / "run", "--method", "mean-teacher", "--crops", "--source", b,
                                       "--source-images", t],
}
# validate reads the file: it exits 1 for a file it parsed and found problems in
EXIT = {("validate", "wrong type"): 1, ("validate", "wrong records"): 1, ("validate", "unhashable ids"): 1}


def verbs() -> list[str]:
    parser = cli._parser(None)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_every_verb_has_a_row():
    assert set(verbs()) <= set(ARGV), f"give these verbs a row in ARGV: {sorted(set(verbs()) - set(ARGV))}"


def _cases():
    for verb in verbs():
        for kind in BAD:
            yield pytest.param(verb, verb, ARGV.get(verb), kind, id=f"{verb}-{kind}")
    for name, build in ARGV_GT.items():
        for kind in BAD:
            yield pytest.param(name.split()[0], name, build, kind, id=f"{name}-{kind}")


@pytest.mark.parametrize("verb,case,build,kind", list(_cases()))
def test_bad_input_gives_one_line_and_exit_2(verb, case, build, kind, tmp_path, shared_data, capsys, monkeypatch):
    if build is None:
        pytest.fail(f"no row for verb {verb!r} in ARGV")
    # an empty cache: the run does not depend on what earlier runs converted (with a filled cache,
    # `weights import blazepose --wheel MISSING` exits 0, and track reaches an unmerged SSD module)
    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path / "cache"))
    argv = [str(a) for a in build(BAD[kind](tmp_path), tmp_path, shared_data)]
    code = cli.main(argv)  # an exception escaping here is a traceback for the user
    out, err = capsys.readouterr()
    assert code == EXIT.get((case, kind), 2), (argv, code, out, err)
    assert "Traceback" not in out + err
    if case == "validate":
        lines = [ln for ln in out.splitlines() if ln.strip()]
        assert lines and all(ln.startswith(str(argv[-1])) for ln in lines), out  # each problem, then the summary
        assert code == 2 or "problem" in lines[-1], out
    else:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("\r")]
        errors = [ln for ln in lines if ln.startswith(f"posekit {verb}: error: ")]
        assert len(errors) == 1, err
        assert len(errors[0]) < 400, errors[0]
