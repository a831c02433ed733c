"""The training loop: one process, or one process per device under ``torchrun`` (DDP).

Adam/AdamW with warm-up and step/cosine decay, gradient clipping, automatic mixed
precision on CUDA (bf16 where supported, else fp16 with loss scaling) and, asked for, bf16 on
the CPU, a wall-clock
budget, checkpoints every epoch (``last``) and at the best validation score (``best``),
and exact resumption: data order and augmentation are functions of (seed, epoch, index),
the schedule is a function of the step, and the optimizer state is saved, so a resumed
run repeats the uninterrupted run's losses.
"""
from __future__ import annotations

import math
import os
import random
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .cpu import flush_denormals
from .curves import append_csv, plot_curves
from .schedule import learning_rate

__all__ = ["Trainer", "seed_everything", "epoch_batches", "distributed_context"]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_batches(n: int, batch_size: int, epoch: int, seed: int, rank: int = 0, world: int = 1) -> list[list[int]]:
    """This rank's batches of one epoch: a seeded permutation, cut into full global batches,
    each split into ``world`` equal slices (the last incomplete batch is dropped)."""
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    per_rank = batch_size // world
    out = []
    for s in range(0, n - batch_size + 1, batch_size):
        out.append(perm[s + rank * per_rank: s + (rank + 1) * per_rank].tolist())
    return out


def distributed_context() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) when not launched by it."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


class Trainer:
    """Trains ``model`` on ``train_set`` as ``cfg`` says; ``validate(model) -> {name: value}`` scores it.

    The best checkpoint is the one with the highest ``metric_key`` (e.g. ``"AP"`` or ``"PCK@0.1"``).
    """

    def __init__(self, model: nn.Module, train_set, cfg: TrainConfig,
                 validate: Callable[[nn.Module], dict] | None = None, metric_key: str = "AP"):
        self.cfg, self.train_set, self.validate, self.metric_key = cfg, train_set, validate, metric_key
        self.rank, self.world, local = distributed_context()
        cuda = torch.cuda.is_available() and cfg.device != "cpu"
        if cfg.device == "cuda" and not torch.cuda.is_available():
            from ..errors import InputError
            raise InputError("--device cuda asked for, but torch sees no CUDA device")
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if cuda else "gloo")
        self.model = model.to(self.device)
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        model.to(memory_format=self.memory_format)
        self.net = model
        if self.world > 1:
            if cuda and cfg.sync_bn:  # batch statistics over all GPUs (SyncBatchNorm has no CPU kernel)
                self.model = model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            self.net = nn.parallel.DistributedDataParallel(model, device_ids=[local] if cuda else None)
        opt = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        self.optimizer = opt(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.amp)
        if cuda and cfg.amp == "auto":
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if not cuda and self.amp_dtype == torch.float16:
            from ..errors import InputError
            raise InputError("--amp fp16 needs CUDA; on a CPU use --amp bf16 (fast on CPUs with AVX512-BF16/AMX)")
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.out = Path(cfg.out)
        self.steps_per_epoch = len(train_set) // cfg.batch_size
        if self.steps_per_epoch == 0:
            from ..errors import DataError
            raise DataError(f"{len(train_set)} training samples is fewer than one batch of {cfg.batch_size}")
        self.total_steps = self.steps_per_epoch * cfg.epochs

    def lr_at(self, step: int) -> float:
        c = self.cfg
        return learning_rate(step, self.steps_per_epoch, self.total_steps, c.lr, c.schedule, c.milestones,
                             c.gamma, c.warmup_steps, c.warmup_ratio, c.min_lr)

    def _loader(self, epoch: int, skip: int):
        from torch.utils.data import DataLoader

        if hasattr(self.train_set, "set_epoch"):
            self.train_set.set_epoch(epoch)
        batches = epoch_batches(len(self.train_set), self.cfg.batch_size, epoch, self.cfg.seed, self.rank,
                                self.world)[skip:]
        return DataLoader(self.train_set, batch_sampler=batches, num_workers=self.cfg.workers,
                          pin_memory=self.device.type == "cuda"), len(batches)

    def train_step(self, batch: dict, step: int) -> float:
        """One optimisation step; returns the (rank-local) loss."""
        lr = self.lr_at(step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        batch = _to_device(batch, self.device)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
            output = self.net(batch["image"].contiguous(memory_format=self.memory_format))
        loss = self.model.loss(output, batch)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.cfg.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return float(loss.detach())

    def _out_of_time(self, start: float) -> bool:
        stop = self.cfg.max_minutes > 0 and time.monotonic() - start > self.cfg.max_minutes * 60
        if self.world > 1:  # every rank must stop at the same step
            flag = torch.tensor([float(stop)], device=self.device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            stop = bool(flag.item())
        return stop

    def _resume(self) -> tuple[int, int, int, float]:
        """(epoch, batches done in it, global step, best score) to start from."""
        if not (self.cfg.resume and (self.out / "last.json").exists()):
            return 0, 0, 0, -math.inf
        info = load_checkpoint(self.out, "last", self.model, self.optimizer, self.scaler)
        if info.get("epoch_complete", True):
            return info["epoch"] + 1, 0, info["step"], info.get("best", -math.inf)
        return info["epoch"], info["batches_done"], info["step"], info.get("best", -math.inf)

    def fit(self) -> dict:
        """Train; returns a summary (epochs, steps, minutes, best score, last metrics)."""
        # tiny initial weights (std 0.001) decay into denormal floats, which slow x86 CPUs ~20-fold
        with flush_denormals(self.device.type == "cpu"):
            return self._fit()

    def _fit(self) -> dict:
        cfg, main = self.cfg, self.rank == 0
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
        epoch, skip, step, best = self._resume()
        start = time.monotonic()
        metrics: dict = {}
        stopped = False
        while epoch < cfg.epochs and not stopped:
            self.model.train()
            loader, n = self._loader(epoch, skip)
            bar = tqdm(loader, total=n, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not main, leave=False)
            losses, done = [], skip
            for batch in bar:
                loss = self.train_step(batch, step)
                losses.append(loss)
                step, done = step + 1, done + 1
                if main and step % cfg.log_every == 0:
                    append_csv(self.out / "steps.csv", {"step": step, "epoch": epoch, "loss": f"{loss:.6g}",
                                                        "lr": f"{self.lr_at(step - 1):.6g}"})
                bar.set_postfix(loss=f"{loss:.3g}", lr=f"{self.lr_at(step - 1):.2g}")
                if self._out_of_time(start):
                    stopped = True
                    break
            bar.close()
            complete = done == self.steps_per_epoch
            metrics = {}
            last_epoch = (epoch + 1 == cfg.epochs) or stopped
            if self.validate is not None and ((epoch + 1) % cfg.val_every == 0 or last_epoch):
                if main:
                    self.model.eval()
                    metrics = self.validate(self.model)
                    self.model.train()
            if main:
                score = metrics.get(self.metric_key)
                improved = score is not None and score > best
                best = score if improved else best
                info = {"epoch": epoch, "step": step, "epoch_complete": complete, "batches_done": done,
                        "best": best, "metric": self.metric_key, "metrics": metrics,
                        "minutes": (time.monotonic() - start) / 60, "config": _plain(cfg)}
                save_checkpoint(self.out, "last", self.model, self.optimizer, info, self.scaler)
                if improved or (self.validate is None):
                    save_checkpoint(self.out, "best", self.model, None, info)
                append_csv(self.out / "log.csv", {"epoch": epoch + 1, "step": step, "lr": f"{self.lr_at(step - 1):.6g}",
                                                  "loss": f"{np.mean(losses):.6g}" if losses else "",
                                                  "minutes": f"{info['minutes']:.3f}",
                                                  **{k: f"{v:.6g}" for k, v in metrics.items()}})
                plot_curves(self.out, self.metric_key)
                tqdm.write(f"epoch {epoch + 1}: loss {np.mean(losses) if losses else float('nan'):.4g}"
                           + "".join(f", {k} {v:.4g}" for k, v in metrics.items()))
            if self.world > 1:
                torch.distributed.barrier()
            skip = 0
            epoch += 1
        return {"epochs": epoch, "steps": step, "minutes": (time.monotonic() - start) / 60,
                "best": best, "metric": self.metric_key, "metrics": metrics, "stopped_by_budget": stopped}


def _plain(cfg: TrainConfig) -> dict:
    import dataclasses

    d = dataclasses.asdict(cfg)
    d["milestones"] = list(d["milestones"])
    return d
