"""The weights cache is not trusted blindly: every converted file (safetensors, exported .onnx) has
its sha256 beside it; a truncated or altered file is converted again from its source (one note on
stderr) or, with the source gone, refused in one line. Also the CLI's ``weights import``."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from posekit.errors import ModelError
from tests.conftest import run_cli


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def scramble(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(255 - b for b in data[middle:middle + 64])  # same size, other bytes
    path.write_bytes(bytes(data))


def contents(path) -> tuple[dict, dict]:
    """A safetensors file's metadata and tensors (its header's key order is not fixed)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        return f.metadata(), {k: f.get_tensor(k) for k in f.keys()}


def same_contents(a: tuple[dict, dict], b: tuple[dict, dict]) -> bool:
    return a[0] == b[0] and a[1].keys() == b[1].keys() and all(np.array_equal(a[1][k], b[1][k]) for k in a[1])


def forget_checksum(path):
    path.with_name(path.name + ".sha256").unlink()


def ssd_outputs():
    import torch

    from posekit.pretrained.weights import load_person_ssd

    x = torch.from_numpy(np.random.default_rng(0).uniform(0, 255, (1, 3, 320, 544)).astype(np.float32))
    with torch.inference_mode():
        return [o.numpy() for o in load_person_ssd()[0](x)]


@pytest.mark.parametrize("damage", [truncate, scramble, forget_checksum])
def test_damaged_ssd_weights_are_converted_again(cache, capsys, damage):
    from posekit.pretrained.weights import import_person_ssd

    path = import_person_ssd()
    original, reference = contents(path), ssd_outputs()
    capsys.readouterr()
    damage(path)
    outputs = ssd_outputs()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "converting it again" in err[0]
    assert same_contents(contents(path), original)  # the conversion is deterministic: the same weights again
    for a, b in zip(outputs, reference):
        np.testing.assert_array_equal(a, b)
    ssd_outputs()
    assert capsys.readouterr().err == ""  # intact now: no second note


def test_damaged_ssd_weights_without_their_source_are_refused(cache, monkeypatch):
    from posekit.pretrained import weights

    path = weights.import_person_ssd()
    truncate(path)
    monkeypatch.setattr(weights, "PERSON_SSD_XML", "data/gone/person-detection-retail-0013.xml")
    with pytest.raises(ModelError, match=r"checksum mismatch .* cannot be rebuilt: .*gone.* missing") as e:
        weights.load_person_ssd()
    assert "\n" not in str(e.value) and str(path) in str(e.value)


def test_truncated_onnx_export_is_exported_again(cache, capsys):
    from posekit.pretrained.runtime import export_onnx, make_runner

    path = export_onnx("person_ssd")
    x = np.random.default_rng(1).uniform(0, 255, (1, 3, 320, 544)).astype(np.float32)
    reference = make_runner("person_ssd", "torch")(x)
    capsys.readouterr()
    truncate(path)
    run = make_runner("person_ssd", "onnxruntime", threads=1)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]
    for a, b in zip(run(x), reference):
        assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()


def test_reconverted_weights_drop_their_stale_exports(cache):
    from posekit.pretrained.runtime import export_onnx
    from posekit.pretrained.weights import import_person_ssd

    onnx = export_onnx("person_ssd")
    import_person_ssd(force=True)
    assert not onnx.exists()


def test_damaged_blazepose_weights_are_converted_again(blazepose_cache, cache, capsys):
    from posekit.pretrained.weights import load_graph_net

    cache.mkdir()
    for f in blazepose_cache.glob("blazepose_*.safetensors*"):
        shutil.copy(f, cache / f.name)
    path = cache / "blazepose_detector.safetensors"
    original = contents(path)
    scramble(path)
    load_graph_net("detector")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]
    assert same_contents(contents(path), original)


def test_damaged_blazepose_weights_without_a_wheel_fail_in_one_line(cache, monkeypatch):
    cache.mkdir()
    (cache / "blazepose_detector.safetensors").write_bytes(b"\0" * 1000)
    monkeypatch.setenv("POSEKIT_MEDIAPIPE_WHEEL", "/nonexistent/mediapipe-0.10.14-x.whl")
    proc = run_cli("weights", "import", "blazepose")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].count("cannot be rebuilt") == 1
    assert "no such wheel file" in proc.stderr


def test_cli_weights_import(cache):
    proc = run_cli("weights", "import", "--wheel", "/nonexistent.whl")
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "/nonexistent.whl: no such wheel file" in proc.stderr
    proc = run_cli("weights", "import", "person-ssd", "--file", "/nonexistent.xml")
    assert proc.returncode == 2 and "no such OpenVINO IR file" in proc.stderr and "\n" not in proc.stderr.strip()
    proc = run_cli("weights", "import", "person-ssd", "--force", check=True)
    assert "person_ssd.safetensors" in proc.stdout and (cache / "person_ssd.safetensors.sha256").is_file()
    scramble(cache / "person_ssd.safetensors")
    listing = run_cli("weights", "list", check=True).stdout
    assert "person_ssd.safetensors" in listing and "checksum mismatch" in listing
    proc = run_cli("weights", "import", "person-ssd", check=True)  # repaired on the next import
    assert "converting it again" in proc.stderr
    assert "ok" in run_cli("weights", "list", check=True).stdout


def test_an_ir_file_given_on_the_command_line_is_converted(cache, tmp_path):
    from importlib import resources

    from posekit.pretrained.weights import PERSON_SSD_XML

    shipped = resources.files("posekit.pretrained") / PERSON_SSD_XML
    xml = tmp_path / "copy" / "model.xml"
    xml.parent.mkdir()
    shutil.copy(str(shipped), xml)
    shutil.copy(str(shipped).replace(".xml", ".bin"), xml.with_suffix(".bin"))
    run_cli("weights", "import", "person-ssd", "--file", xml, check=True)
    from safetensors import safe_open

    with safe_open(str(cache / "person_ssd.safetensors"), framework="np") as f:
        assert f.metadata()["source"] == str(xml)
    xml.with_suffix(".bin").write_bytes(b"")
    proc = run_cli("weights", "import", "person-ssd", "--file", xml, "--force")
    assert proc.returncode == 2 and "outside the .bin file" in proc.stderr and "Traceback" not in proc.stderr
