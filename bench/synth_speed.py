"""How fast posekit makes synthetic people, against the goals of issue 3 (on 2 CPU cores):
>= 200 single-person 256x256 crops/s and >= 30 multi-person 640x480 scenes/s.

Prints, per workload, images per second in memory (what training uses through ``make_crops``),
with PNG encoding added (what ``posekit synth`` writes), and with 2 processes, next to the goal.

    PYTHONPATH=. python bench/synth_speed.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from posekit.data.synthetic.dataset import encode_png
from posekit.data.synthetic.scene import make_crop, make_scene

WORKLOADS = {
    "crop 256x256 (1 person)": (lambda rng: make_crop(rng, 256, 256), 200.0),
    "scene 640x480 (0-6 people)": (lambda rng: make_scene(rng, 640, 480, 6), 30.0),
}


def _rate(name: str, seconds: float, png: bool, offset: int = 0) -> float:
    make = WORKLOADS[name][0]
    n, start = 0, time.perf_counter()
    while True:
        scene = make(np.random.default_rng([123, offset + n]))
        if png:
            encode_png(scene.image)
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def _worker(args):
    name, seconds, offset = args
    return _rate(name, seconds, False, offset)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per figure")
    args = ap.parse_args()
    print(f"cpu cores visible: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"{'workload':28s} {'in memory':>10s} {'+ PNG':>8s} {'2 procs':>8s} {'goal':>6s} {'ratio':>6s}")
    with ProcessPoolExecutor(2) as pool:
        for name, (_, goal) in WORKLOADS.items():
            _rate(name, 0.3, False)  # warm up
            mem = _rate(name, args.seconds, False)
            png = _rate(name, args.seconds, True)
            par = sum(pool.map(_worker, [(name, args.seconds, 10**6), (name, args.seconds, 2 * 10**6)]))
            print(f"{name:28s} {mem:8.0f}/s {png:6.0f}/s {par:6.0f}/s {goal:6.0f} {mem / goal:5.1f}x")


if __name__ == "__main__":
    main()
