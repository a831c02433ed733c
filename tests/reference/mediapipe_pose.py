"""Runs MediaPipe's own BlazePose (the reference runtime) on images; prints JSON.

Run with a Python that has mediapipe==0.10.14 (a separate environment: it needs numpy<2):
    python tests/reference/mediapipe_pose.py [--roi] IMAGE... > out.json
Output: {image: [[x, y, visibility] * 33] in pixels, or null when no pose}. With ``--roi``:
{image: {"landmarks": [...], "roi": [centre x, centre y, width, height, rotation]}}, the crop
(pixels, radians) that MediaPipe's landmark model was given, read from its graph's
``pose_rect_from_detection`` stream.
"""
import json
import sys

import cv2
import mediapipe as mp
from mediapipe.python.solution_base import SolutionBase

args = sys.argv[1:]
with_roi = "--roi" in args
paths = [a for a in args if a != "--roi"]


class PoseWithRoi(mp.solutions.pose.Pose):
    """The solution as mp.solutions.pose.Pose builds it, also returning the detection's ROI."""

    def __init__(self):
        SolutionBase.__init__(
            self, binary_graph_path=mp.solutions.pose._BINARYPB_FILE_PATH,
            side_inputs={"model_complexity": 1, "smooth_landmarks": False, "enable_segmentation": False,
                         "smooth_segmentation": False, "use_prev_landmarks": False},
            calculator_params={"posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": 0.5,
                               "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__"
                               "ThresholdingCalculator.threshold": 0.5},
            outputs=["pose_landmarks", "pose_world_landmarks", "pose_rect_from_detection"])


out = {}
pose = PoseWithRoi() if with_roi else mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                                            enable_segmentation=False)
with pose:
    for path in paths:
        bgr = cv2.imread(path)
        h, w = bgr.shape[:2]
        res = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if res.pose_landmarks is None:
            out[path] = None
            continue
        landmarks = [[lm.x * w, lm.y * h, lm.visibility] for lm in res.pose_landmarks.landmark]
        if with_roi:
            r = res.pose_rect_from_detection
            out[path] = {"landmarks": landmarks,
                         "roi": [r.x_center * w, r.y_center * h, r.width * w, r.height * h, r.rotation]}
        else:
            out[path] = landmarks
print(json.dumps(out))
