"""Fixtures of the bottom-up tests: the shipped Lightweight OpenPose and OpenVINO's runtime of it."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
XML = ROOT / "posekit/pretrained/data/human-pose-estimation-0001/human-pose-estimation-0001.xml"
sys.path.insert(0, str(ROOT / "tests" / "reference"))


@pytest.fixture(scope="session")
def openpose():
    from posekit.bottomup.openpose import OpenPose

    return OpenPose()


@pytest.fixture(scope="session")
def openvino_runs():
    """OpenVINO running the int8 file as it is, and with its FakeQuantize layers bypassed."""
    from openvino_pose import openvino_fields

    return {"int8": openvino_fields(XML), "float": openvino_fields(XML, strip_fake_quantize=True)}


@pytest.fixture(scope="session")
def photos(shared_data) -> dict[str, np.ndarray]:
    from posekit.data.images import read_image

    paths = sorted((shared_data / "mmpose_tests" / "coco").glob("*.jpg"))
    paths += sorted((shared_data / "coco_mini" / "images" / "val2017").glob("*.jpg"))[:4]
    return {p.name: read_image(p) for p in paths}
