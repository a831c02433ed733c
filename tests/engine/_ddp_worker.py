"""One rank of the DDP gradient test (launched by torchrun from test_ddp.py).

Computes one training step of the engine on this rank's slice of the global batch and,
on rank 0, writes the synchronised gradients and updated weights to OUT (safetensors).
"""
import sys

import numpy as np
import torch
from safetensors.torch import save_file

from posekit.data.coco import load_coco
from posekit.engine.config import TrainConfig
from posekit.engine.trainer import Trainer, epoch_batches, seed_everything
from posekit.topdown.dataset import TopDownDataset, person_instances
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import simplebaseline


def one_step(gt, images, out, world_batch=8):
    seed_everything(0)
    model = simplebaseline(18, input_size=(64, 96))
    people = person_instances(load_coco(gt), images, train=True)
    ds = TopDownDataset(people, model.codec, model.skeleton, RandomAugment(), seed=0)
    trainer = Trainer(model, ds, TrainConfig(batch_size=world_batch, lr=1e-3, warmup_steps=0, workers=0, out=out))
    # BatchNorm normalises with per-rank batch statistics under DDP on CPU (no SyncBatchNorm kernel),
    # so the comparison freezes BN statistics: then the two computations are mathematically equal.
    trainer.model.eval()
    idx = epoch_batches(len(ds), world_batch, 0, 0, trainer.rank, trainer.world)[0]
    items = [ds[i] for i in idx]
    batch = {k: torch.as_tensor(np.stack([it[k] for it in items])) for k in ("image", "target", "target_weight")}
    loss = trainer.train_step(batch, 0)
    grads = {f"grad.{n}": p.grad for n, p in trainer.model.named_parameters() if p.grad is not None}
    weights = {f"weight.{n}": p.detach() for n, p in trainer.model.named_parameters()}
    return loss, grads, weights, (trainer.rank, trainer.world, len(idx))


if __name__ == "__main__":
    gt, images, out = sys.argv[1:4]
    loss, grads, weights, (rank, world, n) = one_step(gt, images, out)
    torch.distributed.barrier()
    if rank == 0:
        save_file({k: v.contiguous() for k, v in {**grads, **weights}.items()}, f"{out}/rank0.safetensors", metadata={"world": str(world), "batch": str(n)})
    torch.distributed.destroy_process_group()
