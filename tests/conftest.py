"""Shared fixtures: real annotated data bundled in ./data (see its README), and optional extra data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# `make test` runs the suite in two pytest-xdist workers (one a core): each worker, and the CLI
# processes its tests start, computes on one thread, so two workers do not fight over two cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
# independent references (pycocotools AP, OpenVINO runs) importable by name from every test folder
sys.path.insert(0, str(ROOT / "tests" / "reference"))
BUNDLED = ROOT / "data"
# Optional: a larger set of real data beside the repository (not needed by the default suite).
EXTRA = Path(os.environ.get("POSEKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data bundled with the repository (./data)."""
    if not (BUNDLED / "README.md").is_file():
        pytest.fail(f"the bundled real data is missing from {BUNDLED}")
    return BUNDLED


@pytest.fixture(scope="session")
def extra_data() -> Path:
    """Optional extra real data (../shared/data or $POSEKIT_SHARED_DATA): tests that need it skip without it."""
    if not EXTRA.is_dir():
        pytest.skip(f"optional extra data not found at {EXTRA} (set POSEKIT_SHARED_DATA)")
    return EXTRA


@pytest.fixture(scope="session")
def coco_val(shared_data) -> Path:
    return shared_data / "coco_mini" / "annotations" / "person_keypoints_val2017.json"


@pytest.fixture(scope="session")
def coco_train(shared_data) -> Path:
    return shared_data / "coco_mini" / "annotations" / "person_keypoints_train2017.json"


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m posekit ARGS`` in a fresh process, as a user would."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "posekit", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"posekit {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


# BlazePose: the mediapipe 0.10.14 wheel (fetched by `make setup` into ./wheels) and the reference
# runtime environment .venv-ref (mediapipe itself, numpy<2; built by `make reference`, run by `make test`).

def _wheel() -> Path | None:
    env = os.environ.get("POSEKIT_MEDIAPIPE_WHEEL")
    if env:
        return Path(env)
    for d in (os.environ.get("POSEKIT_WHEELS"), ROOT / "wheels"):
        if d and Path(d).is_dir():
            found = sorted(Path(d).glob("mediapipe-0.10.14-*.whl"))
            if found:
                return found[0]
    return None


@pytest.fixture(scope="session")
def mediapipe_wheel() -> Path:
    wheel = _wheel()
    if wheel is None:
        pytest.fail("the mediapipe 0.10.14 wheel is missing: run `make setup` (it downloads it into ./wheels)")
    return wheel


@pytest.fixture(scope="session")
def blazepose_cache(tmp_path_factory, mediapipe_wheel):
    """A private weights cache converted from the wheel (the conversion itself is under test)."""
    cache = tmp_path_factory.mktemp("posekit-cache")
    old = os.environ.get("POSEKIT_CACHE")
    os.environ["POSEKIT_CACHE"] = str(cache)
    os.environ["POSEKIT_MEDIAPIPE_WHEEL"] = str(mediapipe_wheel)
    from posekit.pretrained.weights import import_blazepose

    import_blazepose()
    yield cache
    if old is None:
        os.environ.pop("POSEKIT_CACHE", None)
    else:
        os.environ["POSEKIT_CACHE"] = old


@pytest.fixture(scope="session")
def estimator(blazepose_cache):
    import posekit

    return posekit.load("blazepose-full")


@pytest.fixture(scope="session")
def reference_python() -> Path:
    py = Path(os.environ.get("POSEKIT_REFERENCE_PYTHON", ROOT / ".venv-ref" / "bin" / "python"))
    if not py.exists():
        pytest.fail(f"MediaPipe's reference runtime is missing ({py}): run `make reference`")
    return py
