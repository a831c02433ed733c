"""Checkpoints: weights as safetensors, everything else as JSON.

``NAME.safetensors`` holds the model weights, with the model's ``spec`` (how to rebuild it)
in the file's metadata, so a single file is a usable model. ``NAME.json`` holds the run
state (epoch, step, metrics, configuration). For exact resumption ``NAME.optim.safetensors``
holds the optimizer's tensors and the gradient scaler's state. Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..errors import ModelError
from ..fileio import atomic_write, read_json, write_json

__all__ = ["save_weights", "load_weights", "save_checkpoint", "load_checkpoint", "load_model"]


def _save(tensors: dict, path: Path, metadata: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)
    os.replace(tmp, path)


def save_weights(model: torch.nn.Module, path: str | os.PathLike, extra: dict | None = None) -> None:
    """Model weights plus ``{"spec": model.spec, **extra}`` (JSON strings) in the safetensors metadata."""
    meta = {"format": "pt", "posekit.spec": json.dumps(getattr(model, "spec", {}))}
    for k, v in (extra or {}).items():
        meta[f"posekit.{k}"] = json.dumps(v)
    _save(model.state_dict(), Path(path), meta)


def _read_metadata(path: str | os.PathLike) -> dict:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (OSError, ValueError, SafetensorError) as e:
        raise ModelError(f"{path}: not a safetensors file ({e})") from None
    return {k[len("posekit."):]: json.loads(v) for k, v in meta.items() if k.startswith("posekit.")}


def load_weights(model: torch.nn.Module, path: str | os.PathLike) -> None:
    try:
        state = load_file(str(path))
    except (OSError, ValueError, SafetensorError) as e:
        raise ModelError(f"{path}: cannot read weights ({e})") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelError(f"{path}: weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}")


def load_model(path: str | os.PathLike):
    """A model rebuilt from a weights file (or a run directory's ``best.safetensors``), in eval mode."""
    from ..zoo import build_from_spec

    p = Path(path)
    if p.is_dir():
        p = p / "best.safetensors" if (p / "best.safetensors").exists() else p / "last.safetensors"
    if not p.is_file():
        raise ModelError(f"{p}: no such checkpoint")
    spec = _read_metadata(p).get("spec")
    if not spec:
        raise ModelError(f"{p}: no posekit model description in the file's metadata")
    model = build_from_spec(spec)
    load_weights(model, p)
    return model.eval()


def _flatten_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, st in state["state"].items():
        for name, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{pid}.{name}"] = v
            else:
                scalars[f"{pid}.{name}"] = v
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def save_checkpoint(run_dir: str | os.PathLike, name: str, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None, info: dict, scaler=None) -> None:
    """``name.safetensors`` + ``name.json`` (+ ``name.optim.safetensors`` with the optimizer)."""
    d = Path(run_dir)
    save_weights(model, d / f"{name}.safetensors", {"info": {k: info[k] for k in ("epoch", "step") if k in info}})
    meta = dict(info)
    if optimizer is not None:
        tensors, meta["optimizer"] = _flatten_optimizer(optimizer)
        if scaler is not None and scaler.is_enabled():
            meta["scaler"] = {k: (v.item() if torch.is_tensor(v) else v) for k, v in scaler.state_dict().items()}
        _save(tensors, d / f"{name}.optim.safetensors", {"format": "pt"})
    write_json(d / f"{name}.json", meta, indent=True)


def load_checkpoint(run_dir: str | os.PathLike, name: str, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, scaler=None) -> dict:
    """Restore ``model`` (and ``optimizer``, ``scaler``) from ``name.*``; returns the JSON info."""
    d = Path(run_dir)
    load_weights(model, d / f"{name}.safetensors")
    meta = read_json(d / f"{name}.json")
    if optimizer is not None and "optimizer" in meta:
        tensors = load_file(str(d / f"{name}.optim.safetensors"))
        state: dict = {}
        for key, v in tensors.items():
            pid, field = key.split(".", 1)
            state.setdefault(int(pid), {})[field] = v
        for key, v in meta["optimizer"]["scalars"].items():
            pid, field = key.split(".", 1)
            state.setdefault(int(pid), {})[field] = v
        optimizer.load_state_dict({"state": state, "param_groups": meta["optimizer"]["param_groups"]})
        if scaler is not None and "scaler" in meta:
            scaler.load_state_dict(meta["scaler"])
    return meta
