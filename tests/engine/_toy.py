"""A toy trainable model and dataset for the engine's own tests: milliseconds a step, no pose."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Toy(nn.Module):
    """(N, 3, 8, 8) -> (N, 2): a convolution, BatchNorm, pooling, a linear layer; MSE to ``target``."""

    spec = {"builder": "toy"}

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))

    def forward(self, x):
        return self.net(x)

    def loss(self, output, batch):
        return ((output.float() - batch["target"]) ** 2).mean()


class ToyData:
    """Items of (seed, epoch, index): an image and a target that depends on it; ``bad`` indices raise."""

    def __init__(self, n: int = 16, seed: int = 0, bad: tuple[int, ...] = ()):
        self.n, self.seed, self.epoch, self.bad = n, seed, 0, set(bad)

    def __len__(self):
        return self.n

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __getitem__(self, i):
        from posekit.errors import DataError

        if i in self.bad:
            raise DataError("cannot read image (missing or not an image)", f"img{i}.jpg")
        rng = np.random.default_rng([self.seed, i])
        image = rng.standard_normal((3, 8, 8)).astype(np.float32)
        noise = np.random.default_rng([self.seed, self.epoch, i]).standard_normal(2).astype(np.float32) * 0.01
        return {"image": image, "target": np.array([image.mean(), image[0].std()], np.float32) + noise, "index": i}


def validator(n: int = 8):
    """``validate(model) -> {"score": -MSE}`` on fixed items: higher is better."""
    data = ToyData(n, seed=99)

    def validate(model):
        batch = [data[i] for i in range(n)]
        x = torch.from_numpy(np.stack([b["image"] for b in batch]))
        t = torch.from_numpy(np.stack([b["target"] for b in batch]))
        with torch.no_grad():
            return {"score": -float(((model(x) - t) ** 2).mean())}

    return validate
