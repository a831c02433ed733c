"""Optical-flow propagation moves keypoints with the image, and knows when it has lost them."""
from __future__ import annotations

import cv2
import numpy as np

from posekit.structures import PoseResult
from posekit.video.keyframes import FlowPropagator


def textured(h=240, w=320, seed=0):
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 2.0)
    img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


def shifted(img, dx, dy):
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)


def test_translation_is_followed():
    a = textured()
    b = shifted(a, 3.0, -2.0)
    kp = np.array([[[100.0, 100.0], [150.0, 120.0], [200.0, 90.0]]])
    poses = PoseResult(0, kp, np.ones((1, 3)), np.ones(1))
    prop = FlowPropagator(scale=1.0)
    prop.start(a)
    moved, conf = prop.propagate(poses, b)
    np.testing.assert_allclose(moved.keypoints, kp + [3.0, -2.0], atol=0.5)
    assert conf[0] == 1.0
    np.testing.assert_allclose(moved.boxes[0, :2], poses.boxes[0, :2] + [3.0, -2.0], atol=0.5)


def test_confidence_drops_when_the_content_changes():
    a = textured(seed=0)
    b = textured(seed=1)  # a different scene: the flow cannot be trusted
    kp = np.random.default_rng(2).uniform(40, 200, (1, 17, 2))
    prop = FlowPropagator(scale=1.0)
    prop.start(a)
    _, conf = prop.propagate(PoseResult(0, kp, np.ones((1, 17)), np.ones(1)), b)
    assert conf[0] < 0.5
