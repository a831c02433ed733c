"""The OpenVINO IR models of ../shared/models (see its README): the int8 pose model is not shipped."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = Path(os.environ.get("POSEKIT_SHARED_MODELS", ROOT.parent / "shared" / "models"))


@pytest.fixture(scope="session")
def pose_int8_xml() -> Path:
    path = MODELS / "intel" / "human-pose-estimation-0001" / "FP16-INT8" / "human-pose-estimation-0001.xml"
    if not path.is_file():
        pytest.fail(f"the int8 pose model is missing: {path} (set POSEKIT_SHARED_MODELS)")
    return path
