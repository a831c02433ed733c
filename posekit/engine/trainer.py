"""The training loop: one process, or one process per device under ``torchrun`` (DDP).

Adam/AdamW with warm-up and step/cosine decay, gradient clipping, automatic mixed
precision on CUDA (bf16 where supported, else fp16 with loss scaling) and, asked for, bf16 on
the CPU, a step limit and a wall-clock budget, checkpoints (:mod:`.checkpoint`) at every epoch's
end, every ``save_every`` steps and on SIGINT/SIGTERM, the best validation score's model, and
exact resumption: data order and augmentation are functions of (seed, epoch, index), the
schedule is a function of the step, and the optimizer state is saved, so a resumed run
repeats the uninterrupted run's losses, and the logs drop what the resumed run redoes.

The model contract: ``model(batch["image"])`` is the network output and
``model.loss(output, batch)`` a scalar; no other batch key is read here. Batches are made
by ``collate_fn`` (torch's default collation when None), so a method whose samples hold a
variable number of people brings its own. A sample that could not be read may be replaced
by its dataset with another, marking ``"skipped": index`` (-1 when none); the run reports
each one at its end (``dataset.describe(index)`` names it).
"""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .checkpoint import best_score, load_checkpoint, remove_stale, save_best, save_checkpoint
from .config import TrainConfig, plain_config
from .cpu import flush_denormals
from .curves import append_csv, plot_curves, truncate_csv
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


def _ignore_sigint(_worker: int) -> None:
    """Data-loading workers leave Ctrl-C to the main process, which saves and stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


class Trainer:
    """Trains ``model`` on ``train_set`` as ``cfg`` says; ``validate(model) -> {name: value}`` scores it.

    The best checkpoint is the one with the highest ``metric_key`` (e.g. ``"AP"`` or ``"PCK@0.1"``).
    ``collate_fn`` turns a list of samples into a batch (torch's default collation when None).
    """

    def __init__(self, model: nn.Module, train_set, cfg: TrainConfig,
                 validate: Callable[[nn.Module], dict] | None = None, metric_key: str = "AP",
                 collate_fn: Callable | None = None):
        self.cfg, self.train_set, self.validate, self.metric_key = cfg, train_set, validate, metric_key
        self.collate_fn = collate_fn
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
        if cfg.max_steps:
            self.total_steps = min(self.total_steps, cfg.max_steps)
        self.signal: int | None = None
        self.skipped: set[int] = set()
        self._reserve = 0.0  # seconds the longest validation + checkpoint took: kept free in the budget
        self._step_time = [0.0, 0]  # seconds of training steps, and their number

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
        workers = self.cfg.workers
        return DataLoader(self.train_set, batch_sampler=batches, num_workers=workers,
                          collate_fn=self.collate_fn, worker_init_fn=_ignore_sigint if workers else None,
                          pin_memory=self.device.type == "cuda"), len(batches)

    def train_step(self, batch: dict, step: int) -> float:
        """One optimisation step; returns the (rank-local) loss."""
        lr = self.lr_at(step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if "skipped" in batch:
            self.skipped.update(int(i) for i in np.asarray(batch["skipped"]).reshape(-1) if i >= 0)
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

    def _should_stop(self, start: float) -> tuple[bool, bool]:
        """(out of time, signalled), agreed by every rank. Out of time: what is left of the budget
        would not hold one more step and the longest validation and checkpoint seen so far (none
        is known before the first validation, whose time the budget cannot foresee)."""
        budget = self.cfg.max_minutes * 60
        step_time = self._step_time[0] / max(self._step_time[1], 1)
        late = budget > 0 and time.monotonic() - start + step_time + self._reserve >= budget
        flags = [float(late), float(self.signal is not None)]
        if self.world > 1:  # every rank must stop at the same step
            t = torch.tensor(flags, device=self.device)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            flags = t.tolist()
        return bool(flags[0]), bool(flags[1])

    def _resume(self) -> tuple[int, int, int, float | None]:
        """(epoch, batches done in it, global step, best score) to start from; trims the logs
        to the checkpoint's step and restores the epoch's losses so far (``self._losses``)."""
        self._losses: list[float] = []
        if not (self.cfg.resume and (self.out / "last.json").exists()):
            if self.rank == 0:  # a fresh start owns the logs: none of an earlier (or killed) run stays
                for log in ("steps.csv", "log.csv"):
                    truncate_csv(self.out / log, 0)
            return 0, 0, 0, None
        info = load_checkpoint(self.out, self.model, self.optimizer, self.scaler)
        step = int(info["step"])
        for log in ("steps.csv", "log.csv"):
            truncate_csv(self.out / log, step)
        best = best_score(self.out) if self.validate is not None else None
        if info.get("epoch_complete", True):
            return info["epoch"] + 1, 0, step, best
        self._losses = list(info.get("epoch_losses", []))
        return info["epoch"], info["batches_done"], step, best

    def _on_signal(self, signum, _frame) -> None:
        if self.signal is not None and signum == signal.SIGINT:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.signal = signum
        tqdm.write(f"{signal.Signals(signum).name}: saving a checkpoint at the end of this step, then stopping")

    def fit(self) -> dict:
        """Train; returns a summary (steps, epochs, minutes, best score, last metrics, why it stopped)."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                handlers[s] = signal.signal(s, self._on_signal)
        try:
            # tiny initial weights (std 0.001) decay into denormal floats, which slow x86 CPUs ~20-fold
            with flush_denormals(self.device.type == "cpu"):
                return self._fit()
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)

    def _save(self, epoch: int, step: int, done: int, best: float | None, metrics: dict, start: float,
              complete: bool = True, losses: list | None = None) -> dict:
        """The ``last`` checkpoint; ``complete=False`` leaves the epoch's end (validation, log row) to the resumed run."""
        info = {"epoch": epoch, "step": step, "epoch_complete": complete and done == self.steps_per_epoch,
                "batches_done": done,
                "best": best, "metric": self.metric_key, "metrics": metrics,
                "minutes": (time.monotonic() - start) / 60, "config": plain_config(self.cfg),
                "epoch_losses": list(losses or [])}
        save_checkpoint(self.out, self.model, self.optimizer, info, self.scaler)
        return info

    def _fit(self) -> dict:
        cfg, main = self.cfg, self.rank == 0
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
        epoch, skip, step, best = self._resume()
        if main:
            remove_stale(self.out)
        start = time.monotonic()
        metrics: dict = {}
        late = signalled = False
        while epoch < cfg.epochs and step < self.total_steps and not (late or signalled):
            if step > 0:
                late, signalled = self._should_stop(start)
                if late or signalled:  # the last epoch's end has validated and saved already
                    break
            self.model.train()
            loader, n = self._loader(epoch, skip)
            bar = tqdm(loader, total=n, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not main, leave=False)
            losses, done = self._losses, skip
            self._losses = []
            for batch in bar:
                t_step = time.monotonic()
                loss = self.train_step(batch, step)
                self._step_time = [self._step_time[0] + time.monotonic() - t_step, self._step_time[1] + 1]
                losses.append(loss)
                step, done = step + 1, done + 1
                if main and step % cfg.log_every == 0:
                    append_csv(self.out / "steps.csv", {"step": step, "epoch": epoch, "loss": f"{loss:.6g}",
                                                        "lr": f"{self.lr_at(step - 1):.6g}"})
                bar.set_postfix(loss=f"{loss:.3g}", lr=f"{self.lr_at(step - 1):.2g}")
                late, signalled = self._should_stop(start)
                if late or signalled or step >= self.total_steps:
                    break
                if main and cfg.save_every and step % cfg.save_every == 0 and done < self.steps_per_epoch:
                    self._save(epoch, step, done, best, {}, start, losses=losses)
            bar.close()
            if signalled:  # save where it stands and stop at once: the resumed run validates
                if main:
                    self._save(epoch, step, done, best, {}, start, complete=False, losses=losses)
                break
            t0 = time.monotonic()
            metrics = {}
            last_epoch = epoch + 1 == cfg.epochs or late or step >= self.total_steps
            if self.validate is not None and ((epoch + 1) % cfg.val_every == 0 or last_epoch):
                if main:
                    self.model.eval()
                    metrics = self.validate(self.model)
                    self.model.train()
            if main:
                best = self._end_epoch(epoch, step, done, best, metrics, losses, start)
            if self.world > 1:
                torch.distributed.barrier()
            self._reserve = max(self._reserve, time.monotonic() - t0)
            skip = 0
            epoch += 1
        return {"steps": step, "total_steps": self.total_steps, "steps_per_epoch": self.steps_per_epoch,
                "epochs": step / self.steps_per_epoch, "epochs_planned": cfg.epochs,
                "minutes": (time.monotonic() - start) / 60, "best": best, "metric": self.metric_key,
                "metrics": metrics, "stopped_by_budget": late,
                "signal": signal.Signals(self.signal).name if signalled else None,
                "skipped": [self._describe(i) for i in sorted(self.skipped)]}

    def _describe(self, index: int) -> str:
        describe = getattr(self.train_set, "describe", None)
        return describe(index) if describe is not None else f"training sample {index}"

    def _end_epoch(self, epoch, step, done, best, metrics, losses, start) -> float | None:
        """Best model, log row, then the checkpoint that commits them (a kill before the commit
        redoes the epoch: the resumed run trims the log and rewrites the same best model)."""
        score = metrics.get(self.metric_key)
        improved = score is not None and (best is None or score > best)
        best = score if improved else best
        if improved or self.validate is None:
            save_best(self.out, self.model, {"epoch": epoch, "step": step, "score": score, "metric": self.metric_key})
        minutes = (time.monotonic() - start) / 60
        append_csv(self.out / "log.csv", {"epoch": epoch + 1, "step": step, "lr": f"{self.lr_at(step - 1):.6g}",
                                          "loss": f"{np.mean(losses):.6g}" if losses else "",
                                          "minutes": f"{minutes:.3f}",
                                          **{k: f"{v:.6g}" for k, v in metrics.items()}})
        self._save(epoch, step, done, best, metrics, start, losses=losses)
        plot_curves(self.out, self.metric_key)
        tqdm.write(f"epoch {epoch + 1}: loss {np.mean(losses) if losses else float('nan'):.4g}"
                   + "".join(f", {k} {v:.4g}" for k, v in metrics.items()))
        return best
