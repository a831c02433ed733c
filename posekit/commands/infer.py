"""``posekit infer``: poses of every person in images, folders, videos or a webcam.

Writes ``DIR/results.json`` (COCO results, COCO-17 keypoints) and ``DIR/image_ids.json``
(file -> image_id) for images, ``DIR/<video>.jsonl`` (one line per frame) for videos,
and overlays under ``DIR/overlays/``. A bad input gets one line and the run goes on;
a summary closes it, and the exit code is 1 if any input failed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, videos, or a webcam index (0)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", default="blazepose-full", help="pretrained model (default blazepose-full)")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch")
    p.add_argument("--accurate", action="store_true",
                   help="also detect on overlapping tiles and merge duplicate poses (OKS-NMS): finds small people, "
                        "about 5x slower; applies the bundled COCO calibration unless --calibration says otherwise")
    p.add_argument("--calibration", help="correct the COCO-17 keypoints: a file from posekit calibrate, 'coco' "
                                         "(bundled, fitted on 53 people of coco_mini train2017) or 'none'")
    p.add_argument("--score-threshold", type=float, default=0.5, help="person detector threshold (default 0.5)")
    p.add_argument("--max-people", type=int, default=20)
    p.add_argument("--gt", help="COCO file: take image_id from it (matched by file name)")
    p.add_argument("--boxes", help="'gt' (boxes of --gt) or a COCO detections file: skip the detector")
    p.add_argument("--keypoint-threshold", type=float, default=0.5, help="overlay draws keypoints above this")
    p.add_argument("--no-overlays", action="store_true", help="write no overlay images or videos")
    p.add_argument("--max-frames", type=int, default=0, help="stop videos and webcams after N frames (0: all)")


def _expand(inputs: list[str]) -> list[tuple[str, str]]:
    from ..data.images import IMAGE_SUFFIXES

    out = []
    for item in inputs:
        path = Path(item)
        if item.isdigit() and not path.exists():
            out.append(("webcam", item))
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                suffix = f.suffix.lower()
                if suffix in IMAGE_SUFFIXES:
                    out.append(("image", str(f)))
                elif suffix in VIDEO_SUFFIXES:
                    out.append(("video", str(f)))
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            out.append(("video", item))
        else:
            out.append(("image", item))
    return out


def _boxes_by_image(args, gt) -> dict | None:
    if not args.boxes:
        return None
    import numpy as np

    from ..errors import DataError
    from ..fileio import read_json

    if args.boxes == "gt":
        if gt is None:
            raise DataError("--boxes gt needs --gt")
        records = [a for a in gt.annotations if not a.get("iscrowd") and a.get("num_keypoints", 1) > 0]
    else:
        from ..data.validate import detections_problems
        from ..errors import ValidationError

        records = read_json(args.boxes)
        problems = detections_problems(records, args.boxes)
        if problems:
            raise ValidationError(problems)
    out: dict = {}
    for r in records:
        out.setdefault(r["image_id"], []).append(r["bbox"])
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def _calibration(args) -> str | None:
    if args.calibration is None:
        return "coco" if args.accurate else None
    return None if args.calibration == "none" else args.calibration


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..data.coco import CocoDataset
    from ..data.images import read_image
    from ..data.results import save_results
    from ..errors import InputError
    from ..fileio import write_json
    from ..pretrained import load

    out = Path(args.out)
    gt = CocoDataset.load(args.gt) if args.gt else None
    by_name = {Path(img["file_name"]).name: img["id"] for img in gt.images} if gt else {}
    boxes = _boxes_by_image(args, gt)
    jobs = _expand(args.inputs)
    estimator = load(args.model, backend=args.backend, score_threshold=args.score_threshold,
                     max_people=args.max_people, tiling=args.accurate, calibration=_calibration(args))
    results, ids, failed, people = [], {}, [], 0
    images = [j for j in jobs if j[0] == "image"]
    for n, (_, path) in enumerate(tqdm(images, desc="infer", unit="img", disable=not images), start=1):
        try:
            notes: list[str] = []
            image = read_image(path, notes)
            image_id = by_name.get(Path(path).name, n if not gt else None)
            if image_id is None:
                raise InputError(f"{path}: not among the images of {args.gt}")
            result = estimator.predict(image, None if boxes is None else boxes.get(image_id, []), image_id)
            results.append(result)
            ids[path] = image_id
            people += len(result)
            if notes:
                tqdm.write(f"{path}: note: {', '.join(notes)}", file=sys.stderr)
            if not args.no_overlays:
                _write_overlay(out / "overlays" / f"{Path(path).stem}.png", image, result, args.keypoint_threshold)
        except InputError as e:
            failed.append(str(e))
            tqdm.write(str(e), file=sys.stderr)
    if images:
        save_results(results, out / "results.json", view="coco17")
        write_json(out / "image_ids.json", ids, indent=True)
    for kind, source in (j for j in jobs if j[0] != "image"):
        try:
            people += _video(estimator, kind, source, out, args)
        except InputError as e:
            failed.append(str(e))
            print(e, file=sys.stderr)
    print(f"posekit infer: {len(jobs) - len(failed)} of {len(jobs)} inputs done, {people} people; "
          f"output in {out}" + (f"; {len(failed)} failed" if failed else ""), file=sys.stderr)
    for line in failed:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def _write_overlay(path: Path, image, result, threshold: float) -> None:
    import cv2

    from ..fileio import write_bytes
    from ..visualize import draw_poses

    drawn = draw_poses(image, result, threshold, view="coco17" if "coco17" in result.views else None)
    ok, png = cv2.imencode(".png", cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    write_bytes(path, png.tobytes())


def _video(estimator, kind: str, source: str, out: Path, args) -> int:
    """Frame by frame: JSONL of poses and an overlay video; returns the number of poses."""
    import orjson
    from tqdm import tqdm

    from ..data.results import results_to_records
    from ..data.video import read_frames, video_info, write_video
    from ..errors import InputError
    from ..fileio import atomic_write
    from ..visualize import draw_poses

    fps, total = video_info(source)
    stem = f"webcam{source}" if kind == "webcam" else Path(source).stem
    poses = 0
    with atomic_write(out / f"{stem}.jsonl") as f:
        def overlays():
            nonlocal poses
            frames = tqdm(read_frames(source, args.max_frames), total=total, desc=stem, unit="frame")
            for frame_id, rgb in enumerate(frames):
                result = estimator.predict(rgb, image_id=frame_id)
                people = [{k: r[k] for k in ("keypoints", "score", "bbox")}
                          for r in results_to_records([result], view="coco17")]
                f.write(orjson.dumps({"frame_id": frame_id, "people": people}) + b"\n")
                poses += len(result)
                yield draw_poses(rgb, result, args.keypoint_threshold, view="coco17")

        if args.no_overlays:
            frames = sum(1 for _ in overlays())
        else:
            frames = write_video(out / "overlays" / f"{stem}.mp4", overlays(), fps)
        if frames == 0:
            raise InputError(f"{source}: no frame could be read")
    return poses
