"""A bottom-up model's people as a person detector (``--detector openpose``), alone and in a union."""
from __future__ import annotations

import numpy as np
import pytest

import posekit
from posekit.data.images import read_image
from posekit.errors import ModelError
from posekit.estimators import make_detector


@pytest.fixture(scope="module")
def photo(shared_data):
    return read_image(shared_data / "mmpose_tests" / "coco" / "000000196141.jpg")


def test_openpose_boxes_are_its_people_boxes(photo):
    det = make_detector("openpose@h368")
    boxes, scores = det(photo)
    ref = posekit.load("openpose-lightweight").predict(photo)  # height 368: the same network run
    seen = np.count_nonzero(ref.keypoint_scores > 0, axis=1)
    expect = np.flatnonzero(seen >= 4)
    order = expect[np.argsort(-ref.scores[expect], kind="stable")]
    assert len(boxes) == len(order) >= 1
    np.testing.assert_allclose(boxes, ref.boxes[order])
    np.testing.assert_allclose(scores, ref.scores[order])
    assert np.all(np.diff(scores) <= 0)


def test_in_a_union_blazepose_estimates_the_openpose_boxes(photo, blazepose_cache):
    alone = posekit.load("blazepose-full", detector="blazepose").predict(photo)
    union = posekit.load("blazepose-full", detector="blazepose+openpose").predict(photo)
    assert len(union) >= len(alone)
    with pytest.raises(ModelError, match="openpose@h256"):
        make_detector("openpose@hx")
