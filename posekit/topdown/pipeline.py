"""A trained top-down model on raw images: detector -> crops -> model -> codec -> image pixels.

The composed pipeline of survey section 1.2 for any model of the zoo (SimpleBaseline,
HRNet, CPN, SimCC, ...): person boxes from a detector (:mod:`posekit.topdown.detectors`),
one crop per box with the training recipe's centre/scale and padding (Xiao et al. 2018),
the model and its codec, keypoints mapped back to image pixels, the person rescored as box
score x mean keypoint confidence (Sun et al. 2019), and optionally a flip test and OKS-NMS
(Papandreou et al. 2017) over the people of each image.
"""
from __future__ import annotations

import numpy as np

from ..structures import PoseResult

__all__ = ["TopDownPipeline"]


class TopDownPipeline:
    """``estimator(image)`` -> one :class:`PoseResult` per person; ``.predict(image)`` -> everyone.

    ``model``: a :class:`posekit.topdown.estimator.TopDown` in eval mode; ``detector``: a
    callable of the detector interface; ``flip``: average with the mirrored crop; ``pose_nms``:
    OKS threshold of OKS-NMS over the image's people (``None``: off); ``min_box_score``:
    detections below it are not estimated.
    """

    def __init__(self, model, detector, flip: bool = False, pose_nms: float | None = None,
                 min_box_score: float = 0.0, batch_size: int = 32, device: str = "cpu"):
        import torch

        self.model = model.to(torch.device(device)).eval()
        self.detector, self.flip, self.pose_nms = detector, flip, pose_nms
        self.min_box_score, self.batch_size, self.device = min_box_score, batch_size, device
        self.skeleton = model.skeleton

    def predict(self, image, boxes: np.ndarray | None = None, image_id: int = 0, file_name: str | None = None,
                box_scores: np.ndarray | None = None) -> PoseResult:
        """Every person's pose; ``boxes`` (x, y, w, h) replace the detector."""
        from ..data.images import as_rgb
        from .dataset import PersonInstance
        from .inference import predict_instances, rescore

        image = as_rgb(image)
        if boxes is None:
            boxes, box_scores = self.detector(image, image_id=image_id, file_name=file_name)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        box_scores = np.ones(len(boxes)) if box_scores is None else np.asarray(box_scores, np.float64)
        keep = (box_scores >= self.min_box_score) & (boxes[:, 2] > 1) & (boxes[:, 3] > 1)
        boxes, box_scores = boxes[keep], box_scores[keep]
        k = self.skeleton.num_keypoints
        if len(boxes) == 0:
            return PoseResult(image_id=image_id, keypoints=np.zeros((0, k, 2)), keypoint_scores=np.zeros((0, k)),
                              scores=np.zeros(0), boxes=np.zeros((0, 4)), skeleton=self.skeleton.name)
        instances = [PersonInstance(image_id, b, np.zeros((k, 2)), np.zeros(k, np.int64), image=image, score=float(s))
                     for b, s in zip(boxes, box_scores)]
        kp, ks = predict_instances(self.model, instances, self.batch_size, self.flip, device=self.device,
                                   progress=False)
        scores = rescore(box_scores, ks)
        order = np.argsort(-scores, kind="stable")
        if self.pose_nms is not None and len(order) > 1:
            from ..postprocess.nms import oks_nms

            areas = boxes[:, 2] * boxes[:, 3]
            order = oks_nms(kp, ks, scores, areas, self.skeleton.sigma_array(), self.pose_nms)
        return PoseResult(image_id=image_id, keypoints=kp[order], keypoint_scores=ks[order], scores=scores[order],
                          boxes=boxes[order], skeleton=self.skeleton.name)

    def __call__(self, image, boxes: np.ndarray | None = None) -> list[PoseResult]:
        result = self.predict(image, boxes)
        return [result.person(i) for i in range(len(result))]
