"""The PoseFix proof, measured (issue 16, section 6): does one refiner raise the AP of different
models' outputs? Per seed: PoseFix (posekit.topdown.posefix) is trained from scratch on 2000
synthetic crops with simulated estimator errors on their true poses (posekit.zoo.learning_posefix;
it never sees a base model), and two different base models are trained briefly on the same crops
(posekit.zoo.learning_proof's recipe): a heatmap model (SimpleBaseline-R18) and a regression model
(DeepPose-R18). Each base model's poses of 300 held-out crops are scored (OKS AP, PCK@0.1, PCK@0.2)
before and after refinement. A control: the refiner given the mean training pose for every crop
(no base model at all), which shows how much of a refined pose the refiner reads from the image on
its own. Three seeds, one torch thread; a gain counts when it is larger than the spread (max - min
over the seeds, the larger of the two rows'). Writes the JSON after every seed.

    python bench/posefix_synthetic.py [--size 64x128] [--base-steps 300] [--refiner-steps 600]
        [--seeds 0 1 2] [--out bench/results/posefix_synthetic.json]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from posekit.fileio import write_json  # noqa: E402
from posekit.topdown.inference import predict_instances  # noqa: E402
from posekit.topdown.posefix import PoseFixConfig  # noqa: E402
from posekit.zoo.learning_posefix import POSEFIX_ERRORS, refine_instances, train_posefix  # noqa: E402
from posekit.zoo.learning_proof import score_predictions, synthetic_instances, train_synthetic  # noqa: E402
from posekit.zoo.seed_summary import summarise_seeds  # noqa: E402

KEYS = ("AP", "PCK@0.1", "PCK@0.2")
BASES = ("simplebaseline-r18-128x96", "deeppose-r18-128x96")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="64x128", help="crop W x H (base models and refiner)")
    ap.add_argument("--base-steps", type=int, default=300)
    ap.add_argument("--refiner-steps", type=int, default=600)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--train", type=int, default=2000, help="training crops")
    ap.add_argument("--out", default=str(ROOT / "bench/results/posefix_synthetic.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    command = ("python bench/posefix_synthetic.py " + " ".join(sys.argv[1:])).strip()
    runs: list[dict] = []

    def report() -> dict:
        summary = {base: summarise_seeds(runs, "method", (base, f"{base} + posefix"), base, KEYS)
                   for base in BASES + ("mean pose",)}
        write_json(args.out, {"command": command, "size": list(size), "base_steps": args.base_steps,
                              "refiner_steps": args.refiner_steps, "train_crops": args.train, "held_out_crops": 300,
                              "bases": list(BASES), "errors": POSEFIX_ERRORS.__dict__,
                              "machine": f"{platform.machine()}, 1 torch thread", "runs": runs,
                              "summary": summary}, indent=True)
        return summary

    for seed in args.seeds:
        train = synthetic_instances(args.train, size, seed=100 + seed)
        held = synthetic_instances(300, size, seed=5000 + seed)
        t0 = time.monotonic()
        refiner, _ = train_posefix(train, args.refiner_steps, seed, PoseFixConfig(input_size=size), log_every=10**6)
        minutes = (time.monotonic() - t0) / 60
        inputs = {}
        for base in BASES:
            model, _ = train_synthetic(base, args.base_steps, train, seed, model_args={"input_size": size},
                                       log_every=10**6)
            inputs[base] = predict_instances(model, held, 64, flip=False, progress=False)
        kp = np.stack([p.keypoints for p in train])
        vis = np.stack([p.visible for p in train])[..., None] > 0
        mean = (kp * vis).sum(0) / np.maximum(vis.sum(0), 1)
        inputs["mean pose"] = (np.broadcast_to(mean, (len(held),) + mean.shape).copy(), np.ones((len(held), 17)))
        for base, (kp, ks) in inputs.items():
            for method, (k, s) in ((base, (kp, ks)), (f"{base} + posefix", refine_instances(refiner, held, kp))):
                row = {"method": method, "seed": seed, **score_predictions(k, s, held, refiner.skeleton)}
                if method.endswith("posefix"):
                    row["refiner_minutes"] = round(minutes, 2)
                runs.append(row)
                print(f"seed {seed} {method:<36} " + "  ".join(f"{k} {row[k]:.4f}" for k in KEYS), flush=True)
        summary = report()
    for base in BASES + ("mean pose",):
        s = summary[base][f"{base} + posefix"]
        print(f"{base}: posefix gain " + ", ".join(f"{k} {s['gain_' + k]:+.4f} (spread {s['spread_' + k]:.4f}, "
                                                  f"{'beyond' if s['beats_base_' + k] else 'within'})" for k in KEYS))


if __name__ == "__main__":
    main()
