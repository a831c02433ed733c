"""``posekit synth``: generate annotated synthetic people (scenes, top-down crops or videos)."""
from __future__ import annotations

import argparse

from ..errors import InputError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, got {text!r}") from None
    if not (8 <= w <= 8192 and 8 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} out of range 8..8192")
    return w, h


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder: images/, annotations.json (COCO keypoints)")
    p.add_argument("--num-images", type=int, default=100, help="images (or crops) to generate (default 100)")
    p.add_argument("--size", type=_size, default=None,
                   help="WxH of each image (default 640x480; 192x256 with --crops)")
    p.add_argument("--max-people", type=int, default=4, help="at most this many people per image/video (default 4)")
    p.add_argument("--min-people", type=int, default=0, help="at least this many people per scene (default 0)")
    p.add_argument("--min-height", type=float, default=20.0, help="people at least this many pixels tall (default 20)")
    p.add_argument("--max-height", type=float, default=None,
                   help="people at most this many pixels tall (default 1.1 x the image height)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives byte-identical files")
    p.add_argument("--crops", action="store_true",
                   help="single-person top-down crops: the person centred in a 1.25-padded box")
    p.add_argument("--crowd-prob", type=float, default=0.1,
                   help="chance per scene of a dense group of small people annotated as one crowd region (0.1)")
    p.add_argument("--occluder-prob", type=float, default=None,
                   help="chance per image of objects occluding people (default 0.4; 0.2 with --crops)")
    p.add_argument("--segmentation", action="store_true", help="write polygon segmentations of each person")
    p.add_argument("--video", action="store_true",
                   help="videos: images/<vid>/<frame>.png, videos/<vid>.mp4, posetrack/<vid>.json, COCO with track_id")
    p.add_argument("--frames", type=int, default=50, help="frames per video (with --video, default 50)")
    p.add_argument("--videos", type=int, default=1, help="number of videos (with --video, default 1)")
    p.add_argument("--fps", type=float, default=25.0, help="frame rate of the mp4 (default 25)")
    p.add_argument("--degrade", default="",
                   help="with --video: comma-separated video degradations, any of blur (motion blur along each limb's "
                        "motion), defocus (varying over time), occlusion (brief full occlusions), camera (pan and "
                        "shake); what each did goes to degradations/<vid>.json")
    p.add_argument("--preview", action="store_true", help="also write preview.png: samples with ground truth drawn")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..data.synthetic import write_dataset, write_videos

    if args.num_images < 0 or args.frames < 1 or args.videos < 0 or args.max_people < 0:
        raise InputError("--num-images, --videos and --max-people must be >= 0 and --frames >= 1")
    if not 0 <= args.min_people <= max(args.max_people, 0) or args.min_height <= 0 \
            or (args.max_height is not None and args.max_height < args.min_height):
        raise InputError(f"--min-people must be between 0 and --max-people ({args.max_people}), "
                         "--min-height positive and at most --max-height")
    for name in ("crowd_prob", "occluder_prob"):
        value = getattr(args, name)
        if value is not None and not 0 <= value <= 1:
            raise InputError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
    if args.video and args.crops:
        raise InputError("--video and --crops cannot be combined")
    degrade: tuple[str, ...] = ()
    if args.degrade:
        from ..data.synthetic.video_degrade import parse_kinds

        if not args.video:
            raise InputError("--degrade needs --video")
        try:
            degrade = parse_kinds(args.degrade)
        except ValueError as e:
            raise InputError(f"--degrade: {e}") from None
    w, h = args.size or ((192, 256) if args.crops else (640, 480))
    if args.video:
        path = write_videos(args.out, args.videos, args.frames, w, h, max(1, args.max_people), args.seed,
                            args.fps, args.preview, not args.quiet, degrade)
        what = f"{args.videos} videos of {args.frames} frames"
    else:
        path = write_dataset(args.out, args.num_images, w, h, args.max_people, args.seed, args.crops,
                             args.segmentation, args.preview, not args.quiet, args.crowd_prob, args.occluder_prob,
                             args.min_people, args.min_height, args.max_height)
        what = f"{args.num_images} {'crops' if args.crops else 'images'}"
    print(f"wrote {what} ({w}x{h}) and {path}")
    return 0
