"""One path from any model to :class:`PoseResult`: ``posekit.load``.

``posekit.load(NAME_or_RUN_DIR_or_CKPT, detector=..., backend=...)`` returns an estimator with
one interface whatever the family: ``estimator(image) -> [PoseResult, ...]`` (one per person)
and ``estimator.predict(image, image_id=...) -> PoseResult`` (everyone). ``infer``, ``track``
and ``eval`` never branch on the family.

- a pretrained model (``PRETRAINED``): Lightweight OpenPose (bottom-up, the default) or BlazePose,
  weights read offline from files posekit ships or finds on disk;
- a run folder of ``posekit train`` (its ``best.safetensors``, else ``last.safetensors``) or a
  ``.safetensors`` checkpoint: a top-down model behind a person detector
  (:class:`posekit.topdown.pipeline.TopDownPipeline`).

A zoo preset named without weights is refused: posekit never runs random weights, and it
downloads nothing.

Detectors (``detector=``): ``"blazepose"`` (BlazePose's own), ``"ssd"`` (the person SSD shipped
with posekit), ``"openpose"`` (the boxes of the people Lightweight OpenPose finds, at input height
256; ``"openpose@h368"`` sets it), ``"gt"`` (the boxes of ``gt=``), a COCO detections JSON file, or a
union ``"A+B"`` whose duplicates are removed by box NMS.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import ModelError

__all__ = ["PRETRAINED", "DEFAULT_MODEL", "BOTTOM_UP", "load", "make_detector", "DEFAULT_DETECTOR",
           "PRETRAINED_DETECTOR"]

# name -> (what it is, its paper). The one table of pretrained models.
PRETRAINED = {
    "openpose-lightweight": ("Lightweight OpenPose, bottom-up part affinity fields (18 keypoints, COCO-17 out), "
                             "Intel Open Model Zoo human-pose-estimation-0001 weights, shipped with posekit",
                             "Osokin, Real-time 2D Multi-Person Pose Estimation on CPU: Lightweight OpenPose, "
                             "ICPRAM 2019"),
    "blazepose-full": ("BlazePose detector + full landmark model (33 keypoints), MediaPipe 0.10.14 weights",
                       "Bazarevsky et al., BlazePose: On-device Real-time Body Pose tracking, CVPRW 2020"),
}

# The model of `posekit.load()` and `posekit infer` when none is named (`track` keeps BlazePose: see
# posekit.commands.track.TRACK_MODEL). On coco_mini val2017 / train2017
# (bench/openpose_coco.py): OKS AP 0.409 / 0.517, against BlazePose + SSD's 0.141 / 0.174.
DEFAULT_MODEL = "openpose-lightweight"
# Pretrained models that find people themselves (no person detector).
BOTTOM_UP = ("openpose-lightweight",)

# The detector a trained top-down model gets when none is named.
DEFAULT_DETECTOR = "ssd"
# The detectors `posekit infer` and `posekit track` give BlazePose when none is named: its own
# (face-driven) detector and the full-body SSD, which adds people turned away or small. On coco_mini
# val2017 / train2017 (posekit infer + eval): OKS AP 0.140 -> 0.141 / 0.161 -> 0.174, AR 0.187 -> 0.228 on
# train, people found 12 -> 31 / 20 -> 48.
PRETRAINED_DETECTOR = "blazepose+ssd"
# An extra detector beside BlazePose's own keeps boxes down to this score: BlazePose's pose flag
# then rejects the boxes that hold no person (see BlazePose.trust_detector).
UNION_THRESHOLD = 0.2


def _detector_part(part: str, gt=None, backend: str = "torch", score_threshold: float | None = None,
                   blazepose=None):
    from .topdown.detectors import GivenBoxes

    if part == "blazepose":
        if blazepose is None:
            from .topdown.blazepose import BlazePose, BlazePoseConfig

            cfg = BlazePoseConfig() if score_threshold is None else BlazePoseConfig(score_threshold=score_threshold)
            blazepose = BlazePose(cfg, backend=backend)
        return blazepose.boxes
    if part == "ssd":
        from .topdown.person_ssd import PersonSSD

        return PersonSSD(backend=backend) if score_threshold is None else \
            PersonSSD(backend=backend, score_threshold=score_threshold)
    if part.startswith("openpose"):  # "openpose" or "openpose@h256": Lightweight OpenPose's people as boxes
        from .bottomup.openpose import OpenPose, OpenPoseConfig
        from .topdown.detectors import PoseBoxes

        _, _, height = part.partition("@h")
        if height and not height.isdigit():
            raise ModelError(f"detector {part!r}: give the input height as openpose@h256")
        return PoseBoxes(OpenPose(OpenPoseConfig(heights=(int(height or 256),)), backend=backend))
    if part == "gt":
        if gt is None:
            raise ModelError("--detector gt needs the ground truth (--gt)")
        records = [a for a in gt.annotations if not a.get("iscrowd") and a.get("num_keypoints", 1) > 0]
        return GivenBoxes.from_records(records, source="gt")
    if part.lower().endswith(".json"):
        from .data.validate import detections_problems
        from .errors import ValidationError
        from .fileio import read_json

        records = read_json(part)
        problems = detections_problems(records, part)
        if problems:
            raise ValidationError(problems)
        return GivenBoxes.from_records(records, source=part)
    raise ModelError(f"unknown detector {part!r}: use blazepose, ssd, openpose, gt, a COCO detections .json "
                     "file, or a union such as blazepose+ssd")


def make_detector(spec: str, gt=None, backend: str = "torch", score_threshold: float | None = None,
                  iou_threshold: float = 0.5, blazepose=None):
    """A detector from its name (see the module docstring); ``A+B`` is a :class:`DetectorUnion`."""
    from .topdown.detectors import DetectorUnion

    parts = [p.strip() for p in spec.split("+") if p.strip()]
    if not parts:
        raise ModelError(f"empty detector name {spec!r}")
    made = [_detector_part(p, gt, backend, score_threshold, blazepose) for p in parts]
    return made[0] if len(made) == 1 else DetectorUnion(made, iou_threshold)


def _checkpoint_path(source: str) -> Path | None:
    p = Path(source)
    if p.is_dir():
        if (p / "best.safetensors").is_file() or (p / "last.json").is_file():
            return p
        raise ModelError(f"{p}: a folder without best.safetensors or last.json (not a run of posekit train)")
    if p.suffix == ".safetensors" or p.is_file():
        if not p.is_file():
            raise ModelError(f"{p}: no such checkpoint")
        return p
    return None


def load(name: str = DEFAULT_MODEL, detector: str | None = None, backend: str = "torch",
         device: str = "cpu", flip: bool = False, pose_nms: float | None = None, gt=None,
         detector_threshold: float | None = None, accurate: bool = False, **options):
    """An estimator for ``name``: a pretrained model, a run folder or a checkpoint file.

    ``detector``: see the module docstring (default: BlazePose's own for BlazePose,
    ``DEFAULT_DETECTOR`` for trained top-down models; a bottom-up model takes none). ``flip``
    applies to OpenPose and trained top-down models, ``pose_nms`` (an OKS threshold) to trained
    top-down models; ``accurate`` is OpenPose's flip + three heights; ``options`` are the config
    fields of the pretrained model (:class:`~posekit.topdown.blazepose.BlazePoseConfig`,
    :class:`~posekit.bottomup.openpose.OpenPoseConfig`).
    """
    name = os.fspath(name)
    if name in BOTTOM_UP:
        from dataclasses import replace

        from .bottomup.openpose import OpenPose, OpenPoseConfig

        if detector:
            raise ModelError(f"{name} is bottom-up: it finds every person itself and takes no --detector "
                             f"(use a top-down model such as blazepose-full for --detector {detector})")
        if device != "cpu":
            raise ModelError(f"{name} runs on the CPU (--device cpu); --device applies to trained models")
        cfg = OpenPoseConfig(**options)
        cfg = cfg.accurate() if accurate else (replace(cfg, flip=True) if flip else cfg)
        return OpenPose(cfg, backend=backend)
    if name in PRETRAINED:
        if accurate:
            options["tiling"] = True
        from .topdown.blazepose import BlazePose, BlazePoseConfig

        wheel = options.pop("wheel", None)
        bp = BlazePose(BlazePoseConfig(**options), backend=backend, wheel=wheel)
        if detector and detector != "blazepose":
            parts = [p.strip() for p in detector.split("+")]
            others = "+".join(p for p in parts if p != "blazepose")
            bp.detector = make_detector(others, gt, backend,
                                        UNION_THRESHOLD if detector_threshold is None else detector_threshold)
            bp.own_detector = "blazepose" in parts
            bp.trust_detector = all(p == "gt" or p.lower().endswith(".json") for p in parts if p != "blazepose")
        return bp
    ckpt = _checkpoint_path(name)
    if ckpt is None:
        from .zoo import PRESETS

        if name in PRESETS:
            raise ModelError(f"zoo preset {name!r} has no trained weights (posekit downloads nothing and never runs "
                             f"random weights): train it with `posekit train --preset {name}` and pass the run "
                             "folder or its .safetensors file")
        raise ModelError(f"unknown model {name!r}: a pretrained model ({', '.join(PRETRAINED)}), a run folder "
                         "of posekit train, or a .safetensors checkpoint")
    from .codecs.contract import is_image_codec
    from .topdown.pipeline import TopDownPipeline
    from .zoo import load_model

    model = load_model(ckpt)
    if is_image_codec(getattr(model, "codec", None)):
        from .bottomup.estimator import BottomUpEstimator

        refused = [f for f, on in (("--detector", detector), ("--flip", flip),
                                   ("--accurate", accurate or pose_nms is not None),
                                   ("--backend " + backend, backend != "torch")) if on]
        if refused:
            raise ModelError(f"{ckpt} is a bottom-up model: it finds every person itself and runs in torch; "
                             f"{', '.join(refused)} do not apply (export it with `posekit export` for onnxruntime)")
        return BottomUpEstimator(model, device=device, name=str(ckpt))
    det = make_detector(detector or DEFAULT_DETECTOR, gt, backend, detector_threshold)
    return TopDownPipeline(model, det, flip=flip, pose_nms=pose_nms, device=device)
