"""``posekit adapt``: adapt a trained top-down model to a new domain from unlabelled images.

    posekit adapt --model runs/hg2 --target-images night/ --out runs/hg2-night                # AdaBN
    posekit adapt --model runs/hg2 --target-images night/ --out runs/hg2-night-mt \\
        --method mean-teacher --source train.json --source-images imgs/ --steps 300

``adabn`` (Li et al. 2017, :mod:`posekit.adaptation.adabn`) re-estimates every BatchNorm's
statistics on the target people and trains nothing. ``mean-teacher`` (:mod:`posekit.adaptation.mean_teacher`)
then self-trains on the target under a moving-average teacher's confident pseudo-labels, the
labelled ``--source`` data still supervised, and re-estimates the statistics again. The target
people are found by ``--detector`` (default the shipped person SSD; or a COCO detections JSON), or
each image is one person with ``--crops``. Writes ``OUT/best.safetensors`` (the adapted model, a
checkpoint every verb takes: ``posekit infer --model OUT``) and ``OUT/adapt.json``. Images that
cannot be read are listed at the end and left out.
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="RUN_or_CKPT",
                   help="the trained top-down model: a posekit train run folder or a .safetensors file")
    p.add_argument("--target-images", required=True, help="folder of unlabelled images of the target domain")
    p.add_argument("--out", required=True, help="folder to write the adapted model to")
    p.add_argument("--method", choices=("adabn", "mean-teacher"), default="adabn")
    p.add_argument("--crops", action="store_true", help="each target image is one person's crop (no detector)")
    p.add_argument("--detector", default="ssd", help="finds the target people: ssd (default) or a detections .json")
    p.add_argument("--min-score", type=float, default=0.5, help="detector score a target person needs (default 0.5)")
    p.add_argument("--source", help="COCO keypoints of the labelled source data (mean-teacher)")
    p.add_argument("--source-images", help="folder of the source images (mean-teacher)")
    p.add_argument("--steps", type=int, default=300, help="self-training steps (mean-teacher; default 300)")
    p.add_argument("--lr", type=float, default=1e-3, help="self-training learning rate (default 1e-3, the setting of docs/training.md)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threshold", type=float, default=0.5,
                   help="heatmap peak a teacher keypoint needs to become a pseudo-label (default 0.5)")
    p.add_argument("--decay", type=float, default=0.99, help="the teacher's moving-average decay (default 0.99)")
    p.add_argument("--seed", type=int, default=0)


def target_people(args: argparse.Namespace, num_keypoints: int) -> tuple[list, list[str]]:
    """PersonInstances of the target images (no labels) and the problems met, one line each."""
    import numpy as np
    from tqdm import tqdm

    from ..data.inputs import expand_inputs
    from ..errors import InputError
    from ..topdown.dataset import PersonInstance, read_image

    detector = None
    if not args.crops:  # before the images: a bad detections file fails at once
        from ..estimators import make_detector
        detector = make_detector(args.detector)
    items, skipped = expand_inputs([args.target_images])
    images = [it for it in items if it.kind == "image"]
    if not images:
        raise InputError(f"{args.target_images}: no image found")
    people, problems = [], [f"{s}: not an image" for s in skipped]
    zeros_kp, zeros_v = np.zeros((num_keypoints, 2)), np.zeros(num_keypoints, np.int64)
    for i, item in enumerate(tqdm(images, desc="target people", unit="img")):
        try:
            image = read_image(item.path)
        except Exception as e:  # noqa: BLE001 - a bad file is reported and left out
            problems.append(f"{item.path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            continue
        h, w = image.shape[:2]
        if detector is None:
            boxes = np.array([[w / 2 - w / 2.5, h / 2 - h / 2.5, w / 1.25, h / 1.25]])
        else:
            boxes, scores = detector(image, image_id=i, file_name=item.key)
            boxes = boxes[np.asarray(scores) >= args.min_score]
        people += [PersonInstance(i, b, zeros_kp, zeros_v, image_path=item.path) for b in boxes]
    return people, problems


def run(args: argparse.Namespace) -> int:
    import torch

    from ..adaptation import adapt_batchnorm, crop_batches, self_train
    from ..data.outputs import OutputFolder
    from ..engine.checkpoint import save_weights
    from ..engine.config import TrainConfig
    from ..engine.cpu import flush_denormals
    from ..errors import DataError, ModelError
    from ..fileio import write_json
    from ..topdown.transforms import RandomAugment
    from ..zoo import load_model

    model = load_model(args.model)
    if not hasattr(model, "predict_crops"):
        raise ModelError(f"{args.model}: posekit adapt adapts top-down models; this one is "
                         f"{type(model).__name__}")
    if args.method == "mean-teacher" and not (args.source and args.source_images):
        raise DataError("mean-teacher needs the labelled source data: --source and --source-images",
                        args.source, None, "source")
    source = None
    if args.method == "mean-teacher":  # read before any work: a bad file fails at once
        from ..topdown.dataset import person_instances
        from ..topdown.training import check_image_paths, load_keypoint_file

        coco = load_keypoint_file(args.source, None, args.source_images)
        check_image_paths(coco, args.source_images, args.source)
        source = person_instances(coco, args.source_images, train=True)
    people, problems = target_people(args, model.skeleton.num_keypoints)
    if not people:
        raise DataError("no target person found (try --crops, or a lower --min-score)", args.target_images, None,
                        "images")
    info = {"method": args.method, "model": str(args.model), "target_people": len(people)}
    with OutputFolder(args.out, "adapt") as out:
        with flush_denormals(True), torch.no_grad():
            adapt_batchnorm(model, crop_batches(people, model))
        if args.method == "mean-teacher":
            cfg = TrainConfig(out=str(out.path / "self-training"), epochs=-(-args.steps * args.batch_size // len(people)),
                              max_steps=args.steps, batch_size=args.batch_size, lr=args.lr, schedule="cosine",
                              warmup_steps=0, workers=0, seed=args.seed)
            summary = self_train(model, source, people, cfg, RandomAugment(), threshold=args.threshold,
                                 decay=args.decay)
            info.update(steps=summary["steps"], pseudo_fraction=summary["pseudo_fraction"], source_people=len(source))
        save_weights(model.eval(), out.file("best.safetensors"), {"info": info})
        write_json(out.file("adapt.json"), dict(info, problems=problems), indent=True)
        out.commit()
    for line in problems:
        print(f"posekit adapt: skipped {line}", file=sys.stderr)
    print(f"posekit adapt: {args.method} on {len(people)} target people; model in {args.out}/best.safetensors",
          file=sys.stderr)
    return 0
