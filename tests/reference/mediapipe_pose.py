"""Runs MediaPipe's own BlazePose (the reference runtime) on images; prints JSON.

Run with a Python that has mediapipe==0.10.14 (a separate environment: it needs numpy<2):
    python tests/reference/mediapipe_pose.py IMAGE... > out.json
Output: {image: [[x, y, visibility] * 33] in pixels, or null when no pose}.
"""
import json
import sys

import cv2
import mediapipe as mp

out = {}
with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False) as pose:
    for path in sys.argv[1:]:
        bgr = cv2.imread(path)
        h, w = bgr.shape[:2]
        res = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if res.pose_landmarks is None:
            out[path] = None
        else:
            out[path] = [[lm.x * w, lm.y * h, lm.visibility] for lm in res.pose_landmarks.landmark]
print(json.dumps(out))
