"""Shared fixtures: real annotated data from ../shared/data (see its README)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSEKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"real test data not found at {SHARED} (set POSEKIT_SHARED_DATA)")
    return SHARED


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
