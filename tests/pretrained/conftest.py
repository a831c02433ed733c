"""The OpenVINO IR models shipped in posekit/pretrained/data (see each NOTICE)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The int8 Lightweight OpenPose model ships with posekit (package data, Apache-2.0, see its NOTICE).
MODELS = ROOT / "posekit" / "pretrained" / "data"


@pytest.fixture(scope="session")
def pose_int8_xml() -> Path:
    path = MODELS / "human-pose-estimation-0001" / "human-pose-estimation-0001.xml"
    if not path.is_file():
        pytest.fail(f"the int8 pose model is missing: {path} (shipped in posekit/pretrained/data)")
    return path
