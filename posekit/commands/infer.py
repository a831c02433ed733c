"""``posekit infer``: poses of every person in images, folders, videos or a webcam, with any model.

``--model``: a pretrained model (``openpose-lightweight``, the default, bottom-up; ``blazepose-full``,
top-down), a run folder of ``posekit train`` or a ``.safetensors`` checkpoint; ``--detector`` picks
the person detector of a top-down model (``blazepose``, ``ssd``, ``gt``, a COCO detections file, or
a union ``A+B``).

Writes ``DIR/results.json`` (COCO results) and ``DIR/image_ids.json`` (input path -> image_id)
for images, ``DIR/<video>.jsonl`` (one line per frame, with the keypoint names) for videos,
``DIR/info.json`` (model, detector, keypoint names), and overlays under ``DIR/overlays/`` at the
inputs' relative paths. Keypoints are COCO-17 unless ``--skeleton`` (or the ``--gt`` file's own
keypoint set) says otherwise. Each finished image is journaled at once, so a crash loses nothing
and ``--resume`` goes on where it stopped; a second run into the same ``--out`` is refused.
A bad input gets one line and the run goes on; the exit code is 1 if any input failed.
``--refine RUN_DIR`` runs a PoseFix refiner (:mod:`posekit.topdown.posefix`, trained by
``posekit train-posefix``) on every person's crop and pose, whatever the model.
``--workers N`` or ``torchrun ... -m posekit infer`` split the inputs across processes and machines
and merge the parts into the same files (:mod:`posekit.commands.infer_shards`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, videos, or a webcam index (0)")
    p.add_argument("--out", required=True, help="output folder")
    add_model_arguments(p)
    p.add_argument("--gt", help="a dataset (COCO, CrowdPose, MPII, ...): image ids from it (matched by the path "
                                "relative to the input folder, then by file name) and its keypoint set")
    p.add_argument("--boxes", help="same as --detector (kept for older scripts): 'gt' or a COCO detections file")
    p.add_argument("--skeleton", help="keypoint set of the outputs: coco17 (default), blazepose33, crowdpose14, "
                                      "mpii16, ... (mapped by keypoint name; missing points get score 0)")
    p.add_argument("--keypoint-threshold", type=float, default=0.5, help="overlay draws keypoints above this")
    p.add_argument("--no-overlays", action="store_true", help="write no overlay images or videos")
    p.add_argument("--draw-boxes", action="store_true", help="draw each person's box and score on the overlays")
    p.add_argument("--refine", metavar="RUN_DIR",
                   help="refine every person's pose with a PoseFix refiner (posekit train-posefix), after any model; "
                        "one trained on synthetic people does not help on photos (docs/training.md)")
    p.add_argument("--save-crops", action="store_true", help="also write each person's box crop under DIR/crops/")
    p.add_argument("--max-frames", type=int, default=0, help="stop videos and webcams after N frames (0: all)")
    p.add_argument("--resume", action="store_true", help="go on with an interrupted run into the same --out")
    p.add_argument("--workers", type=int, default=1,
                   help="split the inputs over N local processes, merged into --out (under torchrun the ranks "
                        "split them instead: see posekit.commands.infer_shards)")


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Model options shared by ``infer`` and ``track``."""
    p.add_argument("--model", default=None,
                   help="openpose-lightweight (default, bottom-up), blazepose-full (top-down; the default when "
                        "--detector is given), a run folder of posekit train, or a .safetensors checkpoint")
    p.add_argument("--detector", help="person detector of a top-down model: blazepose, ssd, openpose (its people's "
                                      "boxes; openpose@h368 sets the input height), gt, DETS.json or a "
                                      "union such as blazepose+ssd (default: blazepose+ssd for blazepose-full, ssd "
                                      "for trained models; openpose-lightweight takes none)")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch")
    p.add_argument("--device", default="cpu", help="torch device of a trained model (cpu, cuda, cuda:1)")
    p.add_argument("--batch-size", type=int, default=32, help="person crops per forward pass (trained models)")
    p.add_argument("--flip", action="store_true", help="flip test (openpose-lightweight and trained models)")
    p.add_argument("--accurate", action="store_true",
                   help="openpose-lightweight: flip test and input heights 368/256/512 averaged (about 6x slower); "
                        "BlazePose: also detect on overlapping tiles and merge duplicate poses (OKS-NMS), about 5x "
                        "slower, with the bundled calibration unless --calibration says otherwise")
    p.add_argument("--calibration", help="correct BlazePose's COCO-17 keypoints: a file from posekit calibrate, "
                                         "'coco' (bundled, fitted on 53 people of coco_mini train2017) or 'none'")
    p.add_argument("--score-threshold", type=float, default=None,
                   help="person detector threshold (default: the detector's own, 0.5)")
    p.add_argument("--max-people", type=int, default=20)


def _calibration(args) -> str | None:
    """The BlazePose calibration the flags ask for: ``--accurate`` applies the bundled one by default."""
    if args.calibration is None:
        return "coco" if args.accurate else None
    return None if args.calibration == "none" else args.calibration


def load_estimator(args, gt=None):
    """The estimator the model arguments describe."""
    from ..errors import ModelError
    from ..estimators import BOTTOM_UP, DEFAULT_MODEL, PRETRAINED, PRETRAINED_DETECTOR, load

    if args.model is None:  # a person detector asks for a top-down model: BlazePose behind it
        args.model = "blazepose-full" if args.detector else DEFAULT_MODEL
    if args.model in BOTTOM_UP:
        if args.calibration not in (None, "none"):
            raise ModelError("--calibration is BlazePose's; openpose-lightweight takes none")
        options = dict(max_people=args.max_people)
        return load(args.model, detector=args.detector, backend=args.backend, device=args.device, flip=args.flip,
                    accurate=args.accurate, **options)
    if args.model in PRETRAINED:
        if args.detector is None:
            args.detector = PRETRAINED_DETECTOR
        if args.device != "cpu":
            raise ModelError(f"{args.model} runs on the CPU (--device cpu); --device applies to trained models")
        options = dict(max_people=args.max_people, tiling=args.accurate, calibration=_calibration(args))
        if args.score_threshold is not None:
            options["score_threshold"] = args.score_threshold
        return load(args.model, detector=args.detector, backend=args.backend, gt=gt,
                    detector_threshold=args.score_threshold, **options)
    return load(args.model, detector=args.detector, backend=args.backend, device=args.device, flip=args.flip,
                gt=gt, detector_threshold=args.score_threshold, pose_nms=0.9 if args.accurate else None)


def _given_boxes_warning(estimator, image_id, key) -> str | None:
    from ..topdown.detectors import GivenBoxes

    det = getattr(estimator, "detector", None)
    parts = getattr(det, "detectors", [det])
    given = [d for d in parts if isinstance(d, GivenBoxes)]
    if given and not any(d.has(image_id, key) for d in given):
        return (f"{key}: {given[0].source} has no boxes for image_id {image_id}" +
                ("" if given[0].source == "gt" else "; pass --gt so the images get the ids the detections use"))
    return None


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..data.images import read_image
    from ..data import load_any_dataset
    from ..data.image_ids import FileNameIndex
    from ..data.inputs import expand_inputs
    from ..data.outputs import OutputFolder
    from ..data.results import results_to_records
    from ..errors import InputError, PosekitError
    from ..fileio import write_json
    from ..skeletons import get_skeleton

    from .infer_shards import barrier, merge_parts, mine, part_folder, run_workers, shard

    rank, world, torchrun = shard()
    if args.workers > 1 and world == 1:
        return _run_workers(args)
    if args.boxes and not args.detector:
        args.detector = args.boxes
    gt = load_any_dataset(args.gt) if args.gt else None
    skeleton = get_skeleton(args.skeleton) if args.skeleton else (gt.skeleton(gt.keypoint_category_ids()[0])
                                                                  if gt is not None else get_skeleton("coco17"))
    index = FileNameIndex(gt.images, args.gt) if gt is not None else None
    items, skipped = expand_inputs(args.inputs)
    images = [it for it in items if it.kind == "image"]
    videos = [it for it in items if it.kind != "image"]
    refiner = None
    if args.refine:  # a bad run folder fails before any output is made
        from ..topdown.posefix import Refined, load_posefix

        refiner = load_posefix(args.refine)
    if world > 1 and not args.resume:
        import shutil

        shutil.rmtree(part_folder(args.out, rank, world), ignore_errors=True)
    with OutputFolder(args.out if world == 1 else part_folder(args.out, rank, world), "infer",
                      resume=args.resume) as out:
        estimator = load_estimator(args, gt)
        if refiner is not None:
            estimator = Refined(estimator, refiner)
        done = {rec["path"]: rec for rec in out.done()}
        records, ids, failed, people, resumed, finished = [], {}, [], 0, 0, []
        for n, item in enumerate(tqdm(images, desc="infer" if world == 1 else f"infer (rank {rank} of {world})",
                                      unit="img", disable=not images, position=rank if world > 1 else None),
                                 start=1):
            if not mine(n - 1, rank, world):
                continue
            if item.path in done:
                rec = done[item.path]
                finished.append(rec)
                records += rec["records"]
                ids[item.path] = rec["image_id"]
                people += len(rec["records"])
                resumed += 1
                if rec.get("overlay"):
                    out.file(rec["overlay"])
                continue
            try:
                image_id = index.image_id(item.path) if index is not None else n
                notes: list[str] = []
                image = read_image(item.path, notes)
                warning = _given_boxes_warning(estimator, image_id, item.key)
                if warning:
                    notes.append(warning)
                result = estimator.predict(image, image_id=image_id, file_name=item.key)
                recs = results_to_records([result], view=skeleton)
                overlay = None
                if not args.no_overlays:
                    overlay = f"overlays/{Path(item.key).with_suffix('.png').as_posix()}"
                    _write_overlay(out.file(overlay), image, result, args, skeleton)
                if args.save_crops:
                    _save_crops(out, item.key, image, result)
                finished.append({"path": item.path, "image_id": image_id, "records": recs, "overlay": overlay})
                out.journal(finished[-1])
                records += recs
                ids[item.path] = image_id
                people += len(recs)
                if notes:
                    tqdm.write(f"{item.path}: note: {', '.join(notes)}", file=sys.stderr)
            except (InputError, PosekitError) as e:
                failed.append(str(e))
                tqdm.write(str(e), file=sys.stderr)
        if images:
            write_json(out.file("results.json"), records)
            write_json(out.file("image_ids.json"), ids, indent=True)
        if world > 1:
            write_json(out.file("inputs.json"), finished)
        for v, item in enumerate(videos):
            if not mine(v, rank, world):
                continue
            try:
                from .video_outputs import infer_video

                people += infer_video(estimator, item, out, args, skeleton)
            except InputError as e:
                failed.append(str(e))
                print(e, file=sys.stderr)
        write_json(out.file("info.json"), _info(args, skeleton), indent=True)
        out.commit()
    if torchrun:
        barrier()
        if rank == 0:
            merge_parts(args.out, world, [it.path for it in images], bool(images), args.resume)
    for line in skipped:
        print(f"posekit infer: skipped {line}", file=sys.stderr)
    if videos and not args.no_overlays:
        from ..data.video import codec_note

        print(f"posekit infer: {codec_note()}", file=sys.stderr)
    where = f" (rank {rank} of {world})" if world > 1 else ""
    mine_n = sum(mine(i, rank, world) for i in range(len(images))) + sum(mine(i, rank, world) for i in range(len(videos)))
    print(f"posekit infer{where}: {mine_n - len(failed)} of {mine_n} inputs done, {people} people; "
          f"output in {args.out}" + (f"; {resumed} resumed" if resumed else "") +
          (f"; {len(failed)} failed" if failed else "") +
          (f"; {len(skipped)} skipped" if skipped else ""), file=sys.stderr)
    for line in failed:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def _run_workers(args) -> int:
    """``--workers N``: the same command in N processes, one shard each, then their parts merged."""
    from ..data.inputs import expand_inputs
    from .infer_shards import merge_parts, run_workers

    argv, skip = [], False
    for a in args.argv:
        if skip:
            skip = False
        elif a == "--workers":
            skip = True
        elif not a.startswith("--workers="):
            argv.append(a)
    code = run_workers(argv, args.workers)
    items, _ = expand_inputs(args.inputs)
    images = [it.path for it in items if it.kind == "image"]
    people = merge_parts(args.out, args.workers, images, bool(images), args.resume)
    print(f"posekit infer: merged {args.workers} workers' parts into {args.out}, {people} people from images",
          file=sys.stderr)
    return code


def _info(args, skeleton) -> dict:
    info = {"model": args.model, "detector": args.detector, "skeleton": skeleton.name,
            "keypoint_names": list(skeleton.names), "limbs": [list(l) for l in skeleton.limbs],
            "coordinates": "image pixels, origin at the top-left corner of the top-left pixel"}
    if getattr(args, "refine", None):
        info["refine"] = f"PoseFix ({args.refine})"
    return info


def _write_overlay(path: Path, image, result, args, skeleton) -> None:
    import cv2

    from ..fileio import write_bytes
    from ..visualize import draw_poses

    drawn = draw_poses(image, result, args.keypoint_threshold, skeleton=skeleton, boxes=args.draw_boxes)
    ok, png = cv2.imencode(".png", cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    write_bytes(path, png.tobytes())


def _save_crops(out, key: str, image, result) -> None:
    import cv2

    from ..fileio import write_bytes

    h, w = image.shape[:2]
    stem = Path(key).with_suffix("").as_posix()
    for i, (x, y, bw, bh) in enumerate(result.boxes):
        x0, y0 = max(int(x), 0), max(int(y), 0)
        x1, y1 = min(int(round(x + bw)), w), min(int(round(y + bh)), h)
        if x1 <= x0 or y1 <= y0:
            continue
        ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_RGB2BGR))
        write_bytes(out.file(f"crops/{stem}_{i:02d}.jpg"), jpg.tobytes())
