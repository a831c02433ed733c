"""The survey's claim, measured: bottom-up cost barely grows with the number of people, top-down
cost grows linearly (Chen et al. 2023, section 2; Cao et al. 2017, Fig. 11).

Scenes of fixed size (1280 x 720) hold 1, 2, 5, 10 or 20 real people: the people annotated in
posekit's bundled COCO photos (./data/coco_mini val2017, the largest with most keypoints labelled),
cut out by their boxes and pasted, each scaled into its own 213 x 180 cell of a fixed 6 x 4 grid
over a blurred real photo, so only their number changes. Timed per scene (best of R runs):
  * bottom-up: Lightweight OpenPose (posekit's default, height 368), network + grouping;
  * top-down: BlazePose's landmark model on the given boxes (the per-person part alone), and
    BlazePose behind its own detector + the person SSD (posekit's top-down default);
  * how many people each finds.

    python bench/people_scaling.py [--repeat 3]

Writes bench/results/people_scaling.json and docs/people_scaling.png (ms per image against people).
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GOMP_SPINCOUNT", "20000")  # as the CLI
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COUNTS = (1, 2, 5, 10, 20)
W, H, COLS, ROWS = 1280, 720, 6, 4


def people_crops(n: int = 20) -> list[np.ndarray]:
    from posekit.data.images import read_image
    from posekit.fileio import read_json

    base = ROOT / "data/coco_mini"
    gt = read_json(base / "annotations/person_keypoints_val2017.json")
    files = {im["id"]: im["file_name"] for im in gt["images"]}
    anns = sorted((a for a in gt["annotations"] if not a["iscrowd"] and a["num_keypoints"] >= 10),
                  key=lambda a: -a["bbox"][2] * a["bbox"][3])
    crops = []
    for a in anns:
        img = read_image(base / "images/val2017" / files[a["image_id"]])
        x, y, w, h = (int(round(v)) for v in a["bbox"])
        crops.append(img[max(y, 0):y + h, max(x, 0):x + w])
    return [crops[i % len(crops)] for i in range(n)]


def scene(crops, count: int, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    img = cv2.GaussianBlur(cv2.resize(background, (W, H)), (0, 0), 8)
    cw, ch = W // COLS, H // ROWS
    boxes = []
    for i in range(count):
        c = crops[i]
        s = min((cw - 10) / c.shape[1], (ch - 10) / c.shape[0])
        c = cv2.resize(c, (max(1, int(c.shape[1] * s)), max(1, int(c.shape[0] * s))))
        x0 = (i % COLS) * cw + (cw - c.shape[1]) // 2
        y0 = (i // COLS) * ch + (ch - c.shape[0]) // 2
        img[y0:y0 + c.shape[0], x0:x0 + c.shape[1]] = c
        boxes.append([x0, y0, c.shape[1], c.shape[0]])
    return img, np.asarray(boxes, float)


def best_ms(fn, repeat: int) -> tuple[float, object]:
    out, best = None, float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best, out


def plot(rows, path: Path) -> None:
    """Lines of ms/image against people (one colour per method)."""
    from posekit.visualize import line_chart

    names = [k for k in rows[0] if k.endswith("_ms")]
    img = line_chart([r["people"] for r in rows], {n[:-3]: [r[n] for r in rows] for n in names},
                     "ms per image vs people in a 1280x720 scene (2 CPU cores)", "people")
    ok, png = cv2.imencode(".png", img)
    path.write_bytes(png.tobytes())


def main() -> int:
    import torch

    import posekit
    from posekit.data.images import read_image

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "bench/results/people_scaling.json"))
    p.add_argument("--plot", default=str(ROOT / "docs/people_scaling.png"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    crops = people_crops(max(COUNTS))
    background = read_image(ROOT / "data/mmpose_tests/coco/000000000785.jpg")
    bottom_up = posekit.load("openpose-lightweight")
    blazepose = posekit.load("blazepose-full")
    top_down = posekit.load("blazepose-full", detector="blazepose+ssd")
    img, boxes = scene(crops, 2, background)
    bottom_up.predict(img), blazepose.predict(img, boxes=boxes), top_down.predict(img)  # warm-up
    rows = []
    print(f"{'people':>6s} | {'OpenPose ms':>11s} {'found':>5s} | {'BlazePose on boxes ms':>21s} | "
          f"{'BlazePose+SSD ms':>16s} {'found':>5s}")
    for n in COUNTS:
        img, boxes = scene(crops, n, background)
        bu, r_bu = best_ms(lambda: bottom_up.predict(img), args.repeat)
        boxed, _ = best_ms(lambda: blazepose.predict(img, boxes=boxes), args.repeat)
        td, r_td = best_ms(lambda: top_down.predict(img), args.repeat)
        rows.append({"people": n, "openpose-lightweight (bottom-up)_ms": bu,
                     "blazepose on given boxes (top-down)_ms": boxed, "blazepose + ssd (top-down)_ms": td,
                     "openpose_found": len(r_bu), "blazepose_ssd_found": len(r_td)})
        print(f"{n:6d} | {bu:11.0f} {len(r_bu):5d} | {boxed:21.0f} | {td:16.0f} {len(r_td):5d}", flush=True)
    first, last = rows[0], rows[-1]
    for k in (k for k in first if k.endswith("_ms")):
        print(f"{k[:-3]:40s} 20 people / 1 person: {last[k] / first[k]:5.1f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=2))
    plot(rows, Path(args.plot))
    print(f"written {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
