"""The ``posekit`` command line.

Each verb lives in its own module under :mod:`posekit.commands` exposing
``add_arguments(parser)`` and ``run(args) -> int``; only the verb being run is
imported, so ``posekit eval`` never pays for torch. User errors
(:class:`posekit.errors.PosekitError`) and operating-system errors (a missing or unwritable
path) become one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import PosekitError

# verb -> (module under posekit.commands, one-line help). The one table of verbs.
VERBS: dict[str, tuple[str, str]] = {
    "infer": ("infer", "poses of every person in images, folders, videos or a webcam (BlazePose, offline)"),
    "calibrate": ("calibrate", "fit BlazePose's COCO-17 keypoints to a dataset's annotation convention"),
    "track": ("track", "track and smooth every person's pose through a video (ids, overlay, tracks.json)"),
    "weights": ("weights", "import pretrained weights from local files into the cache (weights import blazepose)"),
    "eval": ("eval", "COCO keypoint AP/AR (pycocotools-exact) and PCK of a results file or a model"),
    "train": ("train", "train a model preset on COCO-format keypoint data (single process or torchrun)"),
    "adapt": ("adapt", "adapt a trained model to a new domain from unlabelled images (AdaBN, mean teacher)"),
    "distill": ("distill", "train a smaller preset under a trained teacher (Fast Pose Distillation, FPD)"),
    "train-refiner": ("train_refiner", "train a tracklet refiner on synthetic tracks (posekit track --refine-tracks)"),
    "train-posefix": ("train_posefix", "train a PoseFix pose refiner on synthetic people (posekit infer --refine)"),
    "validate": ("validate", "check a dataset or results file and list every problem in it"),
    "eval-track": ("eval_track", "PoseTrack-style MOTA, ID switches and per-frame AP of a tracks file"),
    "zoo": ("zoo", "list the model presets: survey section, paper, input, parameters, GFLOPs, published AP"),
    "export": ("export", "export a checkpoint or preset to ONNX and check it under onnxruntime"),
    "quantize": ("quantize", "int8-quantize an exported ONNX model (static, QDQ) on calibration images or crops"),
    "synth": ("synth", "generate annotated synthetic people: COCO images, top-down crops or videos"),
    "corrupt": ("corrupt", "apply a corruption (exposure, noise, blur, occlusion, JPEG) at severity 1-5"),
    "robustness": ("robustness", "AP of any model under every corruption and severity: mAP_c, relative robustness"),
    "serve": ("serve", "an HTTP API (FastAPI/uvicorn) and a web page: poses of uploaded images and videos"),
}


def _parser(verb: str | None) -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="posekit", description="2D human pose estimation: infer, track, train, evaluate, export.")
    parser.add_argument("--version", action="version", version=f"posekit {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", title="verbs")
    for name, (module, help_) in VERBS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if name == verb:
            importlib.import_module(f"posekit.commands.{module}").add_arguments(p)
    return parser


def _one_line(error: Exception) -> str:
    """The message on one line: a nested error's own lines are joined, never printed as a block."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def main(argv: list[str] | None = None) -> int:
    import os

    # torch's OpenMP threads spin ~300,000 times before they sleep: when other processes keep the
    # cores busy, two threads fighting them made BlazePose ~15x slower (408 ms per image against
    # 28 ms idle, 2-core box). A short spin keeps the idle speed (29 ms) and a quarter of the loss
    # (105 ms); OMP_WAIT_POLICY=PASSIVE gives 48 ms busy but 54 ms idle. Set before torch loads;
    # the user's own settings win.
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = next((a for a in argv if not a.startswith("-")), None)
    parser = _parser(verb if verb in VERBS else None)
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given (infer --workers runs it again in each worker)
    if args.verb is None:
        parser.print_help()
        return 0
    command = importlib.import_module(f"posekit.commands.{VERBS[args.verb][0]}")
    try:
        return int(command.run(args) or 0)
    except PosekitError as e:
        print(f"posekit {args.verb}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like (an OSError: caught first)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # an output location that cannot be written: read-only, a file as parent, disk full
        where = f"{e.filename}: " if e.filename else ""
        print(f"posekit {args.verb}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posekit {args.verb}: interrupted", file=sys.stderr)
        return 130
