"""Training throughput: the top-down data pipeline alone, and full training steps.

Measures, side by side in one run (images per second, best of R timed rounds after warm-up):
  * the data pipeline (read JPEG, augment, affine crop, encode heatmaps) on real COCO images,
    in-process and through a DataLoader with W workers;
  * a full training step (forward, MSE loss, backward, Adam) of SimpleBaseline-R18 at 128x96
    and R50 at 256x192 on the CPU;
  * on CUDA (when present): SimpleBaseline-R50 at 256x192, batch 64, with AMP (bf16 or fp16).
It prints the pipeline-to-step ratio: above 1 the loader keeps up with the model.

    python bench/train_speed.py [--repeat 3] [--workers 2] [--gt GT.json --images DIR]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.data.coco import load_coco  # noqa: E402
from posekit.engine.config import TrainConfig  # noqa: E402
from posekit.engine.trainer import Trainer, seed_everything  # noqa: E402
from posekit.topdown.dataset import TopDownDataset, person_instances  # noqa: E402
from posekit.topdown.transforms import RandomAugment  # noqa: E402
from posekit.zoo import build_model  # noqa: E402

SHARED = ROOT / "data"  # the real data bundled with the repository


def best_rate(fn, n_items: int, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n_items / min(times)


def pipeline_rates(ds, n: int, workers: int, repeat: int) -> tuple[float, float]:
    from torch.utils.data import DataLoader

    def inline():
        for i in range(n):
            ds[i % len(ds)]

    def loader():
        idx = [[i % len(ds) for i in range(s, s + 16)] for s in range(0, n, 16)]
        for _ in DataLoader(ds, batch_sampler=idx, num_workers=workers):
            pass

    return best_rate(inline, n, repeat), best_rate(loader, n, repeat)


def step_rate(name: str, ds_instances, batch: int, steps: int, repeat: int, device: str = "cpu") -> float:
    seed_everything(0)
    model = build_model(name)
    ds = TopDownDataset(ds_instances, model.codec, model.skeleton, RandomAugment())
    items = [ds[i % len(ds)] for i in range(batch)]
    b = {k: torch.as_tensor(np.stack([it[k] for it in items])) for k in ("image", "target", "target_weight")}
    cfg = TrainConfig(batch_size=batch, device=device, workers=0, out="/tmp/posekit-bench-unused")
    trainer = Trainer(model, [None] * batch, cfg)

    def run():
        for s in range(steps):
            trainer.train_step(b, s)
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()

    return best_rate(run, steps * batch, repeat)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gt", default=str(SHARED / "coco_mini/annotations/person_keypoints_val2017.json"))
    p.add_argument("--images", default=str(SHARED / "coco_mini/images/val2017"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads"
          + (f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"))
    instances = person_instances(load_coco(args.gt), args.images, train=True)
    print(f"data: {len(instances)} people from {args.gt}")
    rows = []
    for name in ("simplebaseline-r18-128x96", "simplebaseline-r50-256x192"):
        model = build_model(name)
        ds = TopDownDataset(instances, model.codec, model.skeleton, RandomAugment())
        inline, loader = pipeline_rates(ds, 64, args.workers, args.repeat)
        batch = 16 if "r18" in name else 8
        step = step_rate(name, instances, batch, 3, args.repeat)
        rows.append((name, inline, loader, step, batch))
    print(f"\n{'model':<28}{'pipeline img/s':>15}{f'loader x{args.workers} img/s':>20}{'CPU step img/s':>16}"
          f"{'loader/step':>13}")
    for name, inline, loader, step, batch in rows:
        print(f"{name:<28}{inline:>15.1f}{loader:>20.1f}{step:>16.1f}{loader / step:>13.2f}   (batch {batch})")
    if torch.cuda.is_available():
        rate = step_rate("simplebaseline-r50-256x192", instances, 64, 10, args.repeat, device="cuda")
        print(f"\nCUDA {torch.cuda.get_device_name(0)}: SimpleBaseline-R50 256x192, batch 64, AMP: {rate:.0f} img/s")


if __name__ == "__main__":
    main()
