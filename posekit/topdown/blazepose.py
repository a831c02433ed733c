"""BlazePose as a multi-person top-down pipeline.

BlazePose (Bazarevsky et al., "BlazePose: On-device Real-time Body Pose tracking",
CVPR Workshops 2020): an SSD-style detector finds each person and two alignment
points (hip centre, and a point fixing scale and rotation); the landmark network
then reads a rotated square crop around each person and regresses 33 landmarks,
refined by a heatmap. MediaPipe runs it for one person; posekit keeps every
detection and runs the landmark network once over all crops.

Shapes: images are RGB uint8 (H, W, 3); keypoints come out in image pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..geometry import corner_iou
from ..skeletons import BLAZEPOSE33, COCO17, mapping
from ..structures import PoseResult

__all__ = ["BlazePoseConfig", "BlazePose", "ssd_anchors", "decode_detections", "weighted_nms", "Roi"]

DETECTOR_SIZE, LANDMARK_SIZE, HEATMAP_SIZE = 224, 256, 64
# The view holding each person's two alignment points (hip centre, scale point) as the landmark
# network predicts them (its outputs 33 and 34): the next frame's crop in tracking mode.
ALIGNMENT = "alignment"
_TO_COCO = mapping(BLAZEPOSE33, COCO17)


@dataclass(frozen=True)
class BlazePoseConfig:
    """``score_threshold``: detector score; ``presence_threshold``: the landmark network's
    pose flag; ``nms_iou``: weighted-NMS overlap; ``crop_scale``: ROI enlargement around
    a detection; ``box_scale``: crop side over the longer side of a given box. ``tiling`` (the
    accurate preset) also runs the detector on overlapping square tiles of side ``tile_fraction``
    of the shorter image side, so small people are seen at a useful scale, and removes the
    resulting duplicate poses by OKS-NMS (Papandreou et al. 2017) at ``pose_nms_oks``.
    ``calibration``: a file from ``posekit calibrate`` correcting the COCO-17 view.
    ``union_iou``: an external detector's box counts as a new person when it overlaps no
    BlazePose detection by more than this IoU."""

    score_threshold: float = 0.5
    presence_threshold: float = 0.5
    nms_iou: float = 0.3
    max_people: int = 20
    crop_scale: float = 1.25
    box_scale: float = 1.75
    refine_kernel: int = 9
    refine_min_confidence: float = 0.5
    tiling: bool = False
    tile_fraction: float = 0.5
    pose_nms_oks: float = 0.5
    calibration: str | None = None
    union_iou: float = 0.3


def ssd_anchors() -> np.ndarray:
    """The detector's 2254 anchor centres (normalised x, y): SSD anchors (Liu et al. 2016) with
    MediaPipe's options: strides 8, 16, 32, 32, 32 (equal strides share a grid), two
    fixed-size anchors per layer and location."""
    out = []
    strides = [8, 16, 32, 32, 32]
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        fm = int(np.ceil(DETECTOR_SIZE / strides[i]))
        per_cell = 2 * (j - i)
        ys, xs = np.meshgrid((np.arange(fm) + 0.5) / fm, (np.arange(fm) + 0.5) / fm, indexing="ij")
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        out.append(np.repeat(centres, per_cell, axis=0))
        i = j
    return np.concatenate(out).astype(np.float64)


_ANCHORS = None


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(2254, 12), (2254, 1) -> scores (A,), boxes (A, 4) as x0, y0, x1, y1 and keypoints (A, 4, 2),
    all normalised to the detector's input square."""
    global _ANCHORS
    if _ANCHORS is None:
        _ANCHORS = ssd_anchors()
    a = _ANCHORS
    scores = 1 / (1 + np.exp(-np.clip(raw_scores[:, 0].astype(np.float64), -100, 100)))
    r = raw_boxes.astype(np.float64) / DETECTOR_SIZE
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = r[:, 4:12].reshape(-1, 4, 2) + a[:, None, :]
    return scores, boxes, kps


def weighted_nms(scores, boxes, kps, threshold: float, iou_threshold: float, max_out: int):
    """MediaPipe's weighted non-maximum suppression: each kept detection is the
    score-weighted mean of the detections overlapping it (IoU > ``iou_threshold``)."""
    idx = np.flatnonzero(scores >= threshold)
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    out = []
    while len(idx) and len(out) < max_out:
        iou = corner_iou(boxes[idx[0]], boxes[idx])
        group = idx[iou > iou_threshold]
        w = scores[group][:, None]
        out.append((scores[idx[0]], (boxes[group] * w).sum(0) / w.sum(), (kps[group] * w[:, :, None]).sum(0) / w.sum()))
        idx = idx[iou <= iou_threshold]
    return out


@dataclass
class Roi:
    """A rotated square in image pixels: centre, side and rotation (radians)."""

    cx: float
    cy: float
    side: float
    angle: float

    def crop_matrix(self, size: int) -> np.ndarray:
        """2x3 affine taking crop pixels to image pixels, as MediaPipe's ImageToTensorCalculator
        warps: the square's corners go to the crop's corner pixel *centres* 0 and ``size``
        (OpenCV's getPerspectiveTransform from cv::boxPoints), not to its outer edges. This is
        half a crop pixel off the exact geometry, but it is the crop the networks were trained
        on: matching it brings the landmarks from ~2 px to ~0.1 px of MediaPipe's."""
        c, s, k = np.cos(self.angle), np.sin(self.angle), self.side / size
        ox = self.cx - k * size / 2 * (c - s)
        oy = self.cy - k * size / 2 * (s + c)
        return np.array([[k * c, -k * s, ox], [k * s, k * c, oy]])

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """Points normalised to the crop ([0, 1]^2) -> image pixels."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        x, y = xy[..., 0] - 0.5, xy[..., 1] - 0.5
        return np.stack([self.cx + self.side * (c * x - s * y), self.cy + self.side * (s * x + c * y)], axis=-1)


def roi_from_detection(kp: np.ndarray, scale: float) -> Roi:
    """MediaPipe's alignment: centre on the hip point, side twice its distance to the
    second point, rotation so that point lies straight up; then enlarged by ``scale``."""
    (x0, y0), (x1, y1) = kp[0], kp[1]
    angle = np.pi / 2 - np.arctan2(-(y1 - y0), x1 - x0)
    angle = (angle + np.pi) % (2 * np.pi) - np.pi
    return Roi(float(x0), float(y0), float(2 * np.hypot(x1 - x0, y1 - y0) * scale), float(angle))


def refine_with_heatmap(xy: np.ndarray, heatmap: np.ndarray, kernel: int, min_conf: float) -> np.ndarray:
    """MediaPipe's heatmap refinement: a sigmoid-weighted mean of heatmap cell indices in a
    ``kernel`` window around each landmark, where the window's peak reaches ``min_conf``.
    ``xy`` (N, K, 2) normalised to the crop; ``heatmap`` (N, H, W, K) logits."""
    n, hh, ww, k = heatmap.shape
    conf = 1 / (1 + np.exp(-heatmap.astype(np.float64)))
    half = (kernel - 1) // 2
    col = (xy[..., 0] * ww).astype(int)
    row = (xy[..., 1] * hh).astype(int)
    offs = np.arange(-half, half + 1)
    cols = col[..., None] + offs  # (N, K, k)
    rows = row[..., None] + offs
    cvalid = (cols >= 0) & (cols < ww)
    rvalid = (rows >= 0) & (rows < hh)
    cc, rr = np.clip(cols, 0, ww - 1), np.clip(rows, 0, hh - 1)
    ni, ki = np.arange(n)[:, None, None, None], np.arange(k)[None, :, None, None]
    window = conf[ni, rr[:, :, :, None], cc[:, :, None, :], ki]  # (N, K, k_rows, k_cols)
    window = window * (rvalid[:, :, :, None] & cvalid[:, :, None, :])
    total = window.sum(axis=(2, 3))
    peak = window.max(axis=(2, 3))
    sx = (window * cols[:, :, None, :]).sum(axis=(2, 3))
    sy = (window * rows[:, :, :, None]).sum(axis=(2, 3))
    ok = (peak >= min_conf) & (total > 0)
    out = xy.copy()
    out[..., 0] = np.where(ok, sx / np.where(ok, total, 1) / ww, xy[..., 0])
    out[..., 1] = np.where(ok, sy / np.where(ok, total, 1) / hh, xy[..., 1])
    return out


def _warp(image: np.ndarray, roi: Roi, size: int, replicate: bool = False) -> np.ndarray:
    """The ROI's crop; outside the image black (the detector's letterbox) or, with ``replicate``,
    the nearest edge pixel (MediaPipe's default for landmark crops)."""
    import cv2

    border = cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT
    return cv2.warpAffine(image, roi.crop_matrix(size), (size, size),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border, borderValue=0)


class BlazePose:
    """The pipeline. ``backend``: 'torch' (default) or 'onnxruntime'.

    ``estimator(image)`` returns one :class:`PoseResult` per person found;
    ``estimator.predict(image)`` one :class:`PoseResult` holding every person.
    ``boxes`` (x, y, w, h) replace the detector (the top-down evaluation protocol).

    ``detector`` adds another person detector (:mod:`posekit.topdown.detectors`): its boxes
    that no BlazePose detection overlaps (IoU <= ``config.union_iou``) are estimated too, from
    an upright crop, and kept when the pose flag passes ``presence_threshold`` (unless
    ``trust_detector``: given boxes). With ``own_detector=False`` the external detector
    replaces BlazePose's.
    """

    def __init__(self, config: BlazePoseConfig | None = None, backend: str = "torch", wheel=None,
                 detector=None, own_detector: bool = True):
        from ..pretrained.runtime import make_runner

        self.config = config or BlazePoseConfig()
        self.backend = backend
        self.detector, self.own_detector = detector, own_detector
        # boxes of a detector are people only if the landmark network's pose flag agrees; given
        # boxes (ground truth, a detections file) are trusted as the top-down protocol does
        self.trust_detector = False
        self._detector = make_runner("detector", backend, wheel)
        # landmarks, presence flag, heatmap, world landmarks: not the segmentation (half the cost)
        self._landmark = make_runner("landmark_full", backend, wheel, segmentation=False)
        self._calibration = None
        if self.config.calibration:
            from .calibration import KeypointCalibration

            self._calibration = KeypointCalibration.load(self.config.calibration)

    def _windows(self, h: int, w: int) -> list[Roi]:
        """The whole (letterboxed) frame, and with tiling overlapping square tiles."""
        out = [Roi(w / 2, h / 2, float(max(h, w)), 0.0)]
        if self.config.tiling:
            side = max(min(h, w) * self.config.tile_fraction, DETECTOR_SIZE)
            for cy in np.linspace(side / 2, max(h - side / 2, side / 2), max(1, int(np.ceil(2 * h / side - 1)))):
                for cx in np.linspace(side / 2, max(w - side / 2, side / 2), max(1, int(np.ceil(2 * w / side - 1)))):
                    out.append(Roi(float(cx), float(cy), float(side), 0.0))
        return out

    def detect(self, image: np.ndarray) -> list[tuple[float, Roi, np.ndarray]]:
        """(score, landmark ROI, box x, y, w, h) per person, best first."""
        h, w = image.shape[:2]
        cfg = self.config
        windows = self._windows(h, w)
        tensor = np.stack([_warp(image, win, DETECTOR_SIZE) for win in windows]).astype(np.float32) / 127.5 - 1.0
        raw_boxes, raw_scores = self._detector(tensor)[:2]
        out = []
        for win, rb, rs in zip(windows, raw_boxes, raw_scores):
            scores, boxes, kps = decode_detections(rb, rs)
            for score, box, kp in weighted_nms(scores, boxes, kps, cfg.score_threshold, cfg.nms_iou, cfg.max_people):
                corners = win.to_image(box.reshape(2, 2))
                xywh = np.array([corners[0, 0], corners[0, 1], *(corners[1] - corners[0])])
                out.append((float(score), roi_from_detection(win.to_image(kp), cfg.crop_scale), xywh))
        out.sort(key=lambda d: -d[0])
        return out

    def boxes(self, image, image_id=None, file_name=None) -> tuple[np.ndarray, np.ndarray]:
        """BlazePose's detector alone, as a detector of :mod:`posekit.topdown.detectors`."""
        from ..data.images import as_rgb

        found = self.detect(as_rgb(image))
        return (np.stack([f[2] for f in found]) if found else np.zeros((0, 4)),
                np.array([f[0] for f in found], np.float64))

    def _box_rois(self, boxes: np.ndarray, scores: np.ndarray | None) -> list:
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        s = np.ones(len(b)) if scores is None else np.asarray(scores, np.float64)
        return [(float(si), Roi(bi[0] + bi[2] / 2, bi[1] + bi[3] / 2, max(bi[2], bi[3]) * self.config.box_scale, 0.0), bi)
                for bi, si in zip(b, s)]

    def follow(self, image, previous: PoseResult, image_id: int = 0) -> PoseResult:
        """The people of ``previous`` (the last frame's result) in ``image``, without the detector.

        MediaPipe's tracking mode: each person's crop comes from the alignment points the
        landmark network predicted in the previous frame (the ``"alignment"`` view); a person
        whose pose flag falls below ``presence_threshold`` is lost until the next detection."""
        align = previous.views.get(ALIGNMENT)
        if align is None or not len(align[0]):
            return _empty(image_id)
        rois = [roi_from_detection(a, self.config.crop_scale) for a in align[0]]
        return self.predict(image, rois=rois, image_id=image_id, trust=False)

    def predict(self, image, boxes: np.ndarray | None = None, image_id: int = 0,
                rois: Sequence[Roi] | None = None, file_name: str | None = None,
                box_scores: np.ndarray | None = None, trust: bool = True) -> PoseResult:
        """Every person's pose; ``boxes`` (x, y, w, h) or landmark ``rois`` replace the detector
        (and are trusted to hold a person unless ``trust=False``)."""
        from ..data.images import as_rgb

        image = as_rgb(image)
        cfg = self.config
        given = (boxes is not None or rois is not None) and trust
        if rois is not None:
            found = [(1.0, r, np.array([r.cx - r.side / 2, r.cy - r.side / 2, r.side, r.side])) for r in rois]
        elif boxes is not None:
            found = self._box_rois(boxes, box_scores)
        else:
            found = self.detect(image) if self.own_detector else []
            if self.detector is not None:
                extra, extra_scores = self.detector(image, image_id=image_id, file_name=file_name)
                if len(extra) and found:
                    from ..geometry import box_iou

                    overlap = box_iou(extra, np.stack([f[2] for f in found])).max(axis=1)
                    extra, extra_scores = extra[overlap <= cfg.union_iou], extra_scores[overlap <= cfg.union_iou]
                found += self._box_rois(extra, extra_scores)
                given = self.trust_detector
        if not found:
            return _empty(image_id)
        crops = np.stack([_warp(image, roi, LANDMARK_SIZE, replicate=True) for _, roi, _ in found]).astype(np.float32) / 255.0
        outs = self._landmark(crops)
        lm = outs[0].reshape(len(found), 39, 5).astype(np.float64)
        flag = outs[1].reshape(len(found)).astype(np.float64)
        heat = outs[2]
        xy = refine_with_heatmap(lm[..., :2] / LANDMARK_SIZE, heat, cfg.refine_kernel, cfg.refine_min_confidence)
        # Given boxes assert a person is there; the detector's own finds must pass the pose flag.
        keep = np.arange(len(found)) if given else np.flatnonzero(flag >= cfg.presence_threshold)
        if len(keep) == 0:
            return _empty(image_id)
        kps = np.stack([found[i][1].to_image(xy[i, :33]) for i in keep])
        align = np.stack([found[i][1].to_image(lm[i, 33:35, :2] / LANDMARK_SIZE) for i in keep])
        vis = 1 / (1 + np.exp(-lm[keep, :33, 3]))
        scores = np.array([found[i][0] for i in keep]) * flag[keep]
        if (cfg.tiling or (self.detector is not None and not given)) and len(keep) > 1:  # seen by several windows/detectors
            from ..postprocess.nms import oks_nms

            span = kps.max(axis=1) - kps.min(axis=1)
            kept = oks_nms(kps, vis, scores, span[:, 0] * span[:, 1], BLAZEPOSE33.sigma_array(), cfg.pose_nms_oks)
            kept = kept[:cfg.max_people]
            keep, kps, vis, scores, align = keep[kept], kps[kept], vis[kept], scores[kept], align[kept]
        coco_xy = _TO_COCO.apply(kps)
        if self._calibration is not None:
            coco_xy = self._calibration.apply(coco_xy)
        coco_s = _TO_COCO.apply(vis[..., None])[..., 0]
        return PoseResult(image_id=image_id, keypoints=kps, keypoint_scores=vis, scores=scores,
                          skeleton=BLAZEPOSE33.name, views={COCO17.name: (coco_xy, coco_s),
                                                            ALIGNMENT: (align, np.ones(align.shape[:2]))})

    def __call__(self, image, boxes: np.ndarray | None = None) -> list[PoseResult]:
        result = self.predict(image, boxes)
        return [result.person(i) for i in range(len(result))]


def _empty(image_id: int) -> PoseResult:
    z = np.zeros((0, 33, 2))
    return PoseResult(image_id=image_id, keypoints=z, keypoint_scores=np.zeros((0, 33)), scores=np.zeros(0),
                      skeleton=BLAZEPOSE33.name, views={COCO17.name: (np.zeros((0, 17, 2)), np.zeros((0, 17)))})
