"""Docstrings and package metadata say no more than the code does."""
from __future__ import annotations

import json
import re
from pathlib import Path

from posekit.topdown.calibration import BUNDLED, KeypointCalibration

ROOT = Path(__file__).resolve().parents[1]


def test_calibration_provenance_matches_the_bundled_file():
    """The bundled calibration was fitted on 53 people of coco_mini train2017, not on COCO train2017."""
    meta = json.loads(BUNDLED.read_text())
    assert "coco_mini" in meta["fitted_on"]
    doc = " ".join(KeypointCalibration.load.__doc__.split())
    assert f"{meta['people']} people of coco_mini train2017" in doc
    help_text = " ".join((ROOT / "posekit" / "commands" / "infer.py").read_text().split())
    assert "fitted on COCO train2017" not in help_text and f"{meta['people']} people of coco_mini" in help_text


def test_package_description_names_only_what_exists():
    description = re.search(r'^description = "(.*)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    for word, package in (("bottom-up", "bottomup"), ("compression", "compress")):
        if word in description.lower():
            assert (ROOT / "posekit" / package).is_dir(), f"the description names {word}, which does not exist"
    assert "bottom-up" not in description.lower() or any((ROOT / "posekit" / "bottomup").glob("*.py"))
