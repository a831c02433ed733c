"""Speed of the readable BlazePose modules against the layer-by-layer GraphNet (torch, CPU).

Landmark network without segmentation: GraphNet.keep_outputs([0, 1, 3]) (landmarks, flag,
heatmap: what the 2D pipeline reads) against BlazePoseLandmark(segmentation=False) (which also
computes the 117 world values: one 2x2 convolution on a 2x2 map). Detector: both whole.
Runs alternate between the two so that load on a shared machine hits both alike; prints the
median and best time per call and the ratio readable / GraphNet, for 1 and 2 threads.

    python bench/blazepose_modules_speed.py [--repeat 30] [--batch 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import torch

    from posekit.pretrained.weights import load_graph_net, load_readable_net

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    cases = [("landmark_full (2D outputs)", 256, load_graph_net("landmark_full").keep_outputs([0, 1, 3]),
              load_readable_net("landmark_full", segmentation=False)),
             ("detector", 224, load_graph_net("detector"), load_readable_net("detector"))]
    print(f"batch {args.batch}, {args.repeat} calls each, torch {torch.__version__}")
    print(f"{'network':28s} {'threads':>7s} {'GraphNet ms':>12s} {'readable ms':>12s} {'ratio':>6s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for label, size, graph, readable in cases:
            x = torch.rand(args.batch, size, size, 3)
            times = {"graph": [], "readable": []}
            with torch.inference_mode():
                for net in (graph, readable):
                    for _ in range(3):
                        net(x)  # warm-up
                for _ in range(args.repeat):
                    for key, net in (("graph", graph), ("readable", readable)):
                        t0 = time.perf_counter()
                        net(x)
                        times[key].append(time.perf_counter() - t0)
            g, r = (statistics.median(times[k]) * 1e3 for k in ("graph", "readable"))
            gb, rb = (min(times[k]) * 1e3 for k in ("graph", "readable"))
            print(f"{label:28s} {threads:7d} {g:7.1f} ({gb:4.1f}) {r:6.1f} ({rb:4.1f}) {r / g:6.2f}")
    print("median (best) per call; ratio of medians")


if __name__ == "__main__":
    main()
