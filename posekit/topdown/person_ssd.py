"""The person detector of the top-down pipeline: an SSD (Liu et al., "SSD: Single Shot MultiBox
Detector", ECCV 2016), Intel's person-detection-retail-0013 (Open Model Zoo, Apache-2.0).

The network (:class:`~posekit.pretrained.person_ssd_net.PersonSSDNet`, run by torch or
onnxruntime) predicts, for each of 12 clustered priors per cell of its stride-16 grid, four
box regressions and the softmax of (background, person). Decoding is done here in NumPy,
as OpenVINO's ``PriorBoxClustered`` and ``DetectionOutput`` layers of the file define it
(their settings are read from the file at conversion):

- priors (PriorBoxClustered-1): centre ``((col + offset) * step_w, (row + offset) * step_h)``
  in input pixels, width and height from the layer's lists (12 sizes from 11 x 34 to
  135 x 197 pixels at 544 x 320), normalised by the input size, not clipped;
- boxes: SSD's centre-size code with variances (0.1, 0.1, 0.2, 0.2):
  ``cx = pcx + 0.1 * dx * pw``, ``w = pw * exp(0.2 * dw)`` (same for y, h);
- scores: the network's softmax; candidates above ``confidence_threshold`` (0.01), the
  best ``top_k`` (400) per class, greedy non-maximum suppression per class at IoU
  ``nms_threshold`` (0.45), then the best ``keep_top_k`` (200) over all classes.

:class:`PersonSSD` adds the pre-processing of OpenVINO's demos (a plain resize of the BGR
image to 544 x 320, no letterbox: the boxes map back by scaling each axis) and keeps the
people scoring above ``score_threshold``.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, ModelError
from ..geometry import greedy_nms

__all__ = ["PersonSSD", "clustered_priors", "decode_center_size", "detection_output", "greedy_nms"]


def clustered_priors(grid_hw: tuple[int, int], image_hw: tuple[int, int], widths, heights, step_w: float,
                     step_h: float, offset: float, clip: bool = False) -> np.ndarray:
    """(H*W*K, 4) priors (xmin, ymin, xmax, ymax) normalised to the image, ordered (row, col, prior).

    A step of 0 is the image size divided by the grid size (the specification's rule)."""
    gh, gw = grid_hw
    ih, iw = image_hw
    step_w, step_h = step_w or iw / gw, step_h or ih / gh
    cy, cx = np.meshgrid((np.arange(gh) + offset) * step_h, (np.arange(gw) + offset) * step_w, indexing="ij")
    half_w, half_h = np.asarray(widths, np.float32) / 2, np.asarray(heights, np.float32) / 2
    cx, cy = cx[..., None], cy[..., None]
    boxes = np.stack([(cx - half_w) / iw, (cy - half_h) / ih, (cx + half_w) / iw, (cy + half_h) / ih], -1)
    boxes = boxes.reshape(-1, 4).astype(np.float32)
    return np.clip(boxes, 0, 1) if clip else boxes


def decode_center_size(loc: np.ndarray, priors: np.ndarray, variances) -> np.ndarray:
    """SSD's centre-size decoding: (P, 4) regressions against (P, 4) corner priors -> (P, 4) corners."""
    v = np.broadcast_to(np.asarray(variances, np.float32), (4,))
    pw, ph = priors[:, 2] - priors[:, 0], priors[:, 3] - priors[:, 1]
    pcx, pcy = (priors[:, 0] + priors[:, 2]) / 2, (priors[:, 1] + priors[:, 3]) / 2
    cx, cy = pcx + v[0] * loc[:, 0] * pw, pcy + v[1] * loc[:, 1] * ph
    w, h = pw * np.exp(v[2] * loc[:, 2]), ph * np.exp(v[3] * loc[:, 3])
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def detection_output(loc: np.ndarray, conf: np.ndarray, priors: np.ndarray, config: dict,
                     min_score: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's DetectionOutput: ``loc`` (P*4,), ``conf`` (P*C,) probabilities, ``priors`` (P, 4).

    Returns (boxes (N, 4) normalised x0, y0, x1, y1, scores (N,), labels (N,)), best first.
    ``min_score`` raises the confidence threshold (NMS only lets a box be suppressed by a better
    one, so thresholding before or after it keeps the same boxes above ``min_score``)."""
    classes = config["num_classes"]
    boxes = decode_center_size(loc.reshape(-1, 4), priors, config["variances"])
    if config.get("clip_before_nms"):
        boxes = np.clip(boxes, 0, 1)
    conf = conf.reshape(-1, classes)
    threshold = max(config["confidence_threshold"], min_score)
    out_boxes, out_scores, out_labels = [], [], []
    for c in range(classes):
        if c == config.get("background_label_id", 0):
            continue
        cand = np.flatnonzero(conf[:, c] > threshold)
        kept = cand[greedy_nms(boxes[cand], conf[cand, c], config["nms_threshold"], config["top_k"])]
        out_boxes.append(boxes[kept])
        out_scores.append(conf[kept, c])
        out_labels.append(np.full(kept.size, c, np.int64))
    boxes, scores, labels = (np.concatenate(v) for v in (out_boxes, out_scores, out_labels))
    order = np.argsort(-scores, kind="stable")
    if config["keep_top_k"] >= 0:
        order = order[:config["keep_top_k"]]
    boxes = boxes[order]
    if config.get("clip_after_nms"):
        boxes = np.clip(boxes, 0, 1)
    return boxes.astype(np.float32), scores[order].astype(np.float32), labels[order]


class PersonSSD:
    """``detector(image)`` -> (boxes (N, 4) x, y, w, h in image pixels, scores (N,)), best first.

    ``image`` is RGB uint8 (H, W, 3). ``score_threshold`` (default 0.5): people scoring above
    this are kept; ``max_people``: at most this many (all by default, at most ``keep_top_k``).
    ``nms_threshold``, ``top_k``, ``keep_top_k`` and ``confidence_threshold`` default to the file's
    DetectionOutput settings (0.45, 400, 200, 0.01). ``clip``: boxes are clipped to the image
    (the network may place them slightly outside). ``backend``: 'torch' or 'onnxruntime';
    ``threads``: onnxruntime's intra-op threads (its default if None; torch's are process-wide).
    """

    def __init__(self, score_threshold: float = 0.5, max_people: int | None = None, backend: str = "torch",
                 nms_threshold: float | None = None, top_k: int | None = None, keep_top_k: int | None = None,
                 confidence_threshold: float | None = None, clip: bool = True, threads: int | None = None):
        from ..pretrained.runtime import make_runner
        from ..pretrained.weights import load_person_ssd

        self.config = dict(load_person_ssd()[1])
        for key, value in (("nms_threshold", nms_threshold), ("top_k", top_k), ("keep_top_k", keep_top_k),
                           ("confidence_threshold", confidence_threshold)):
            if value is not None:
                self.config[key] = value
        self.score_threshold, self.max_people, self.clip, self.backend = score_threshold, max_people, clip, backend
        self.input_hw = tuple(self.config["input_size"])
        self._run = make_runner("person_ssd", backend, threads=threads)
        h, w = self.input_hw
        c = self.config
        self.priors = clustered_priors((h // 16, w // 16), (h, w), c["prior_widths"], c["prior_heights"],
                                       c["step_w"], c["step_h"], c["offset"], c["clip_priors"])

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3) -> (1, 3, 320, 544) float32 BGR 0..255, resized as OpenVINO's demos do."""
        import cv2

        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"the person detector expects an RGB uint8 (H, W, 3) image, got "
                             f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}")
        h, w = self.input_hw
        x = cv2.resize(np.ascontiguousarray(image[:, :, ::-1]), (w, h), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)

    def raw(self, image: np.ndarray) -> list[np.ndarray]:
        """The network's outputs for ``image``: [loc (1, P*4), conf (1, P*2)]."""
        return self._run(self.preprocess(image))

    def __call__(self, image: np.ndarray, image_id=None, file_name=None) -> tuple[np.ndarray, np.ndarray]:
        """The detector interface of :mod:`posekit.topdown.detectors` (``image_id``, ``file_name`` unused)."""
        return self.decode(self.raw(image), image.shape[:2])

    def decode(self, raw: list[np.ndarray], image_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The people in :meth:`raw`'s outputs for an image of ``image_hw`` pixels: (boxes x, y, w, h, scores)."""
        loc, conf = raw
        if loc.shape[1] != self.priors.shape[0] * 4:
            raise ModelError(f"the network gives {loc.shape[1] // 4} boxes for {self.priors.shape[0]} priors")
        boxes, scores, labels = detection_output(loc[0], conf[0], self.priors, self.config, self.score_threshold)
        boxes, scores = boxes[labels == 1], scores[labels == 1]  # all above score_threshold
        if self.max_people is not None:
            boxes, scores = boxes[:self.max_people], scores[:self.max_people]
        ih, iw = image_hw
        boxes = boxes * np.array([iw, ih, iw, ih], np.float32)
        if self.clip:
            boxes = np.clip(boxes, 0, [iw, ih, iw, ih]).astype(np.float32)
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1)
        good = (xywh[:, 2] > 0) & (xywh[:, 3] > 0)
        return xywh[good].astype(np.float32), scores[good].astype(np.float32)
