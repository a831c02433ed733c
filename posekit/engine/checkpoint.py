"""Checkpoints: weights as safetensors, everything else as JSON, each checkpoint one unit.

A run directory holds::

    last.json                        the commit record: run state + the checkpoint's folder + SHA-256 of its files
    checkpoints/step-00000150/       model.safetensors, optimizer.safetensors (optimizer tensors)
    best.safetensors                 the best model, a single self-contained file

A checkpoint's folder is written under a temporary name and renamed when complete; ``last.json``
is then replaced atomically, and only then are older folders removed. Whatever instant a run is
killed at, ``last.json`` names a complete folder whose checksums it holds, and
:func:`load_checkpoint` refuses, in one line, a folder that does not match them.

A weights file carries the model's ``spec`` (how to rebuild it) and its run state in the
safetensors metadata, so one file is a usable model; rebuilding needs a ``build(spec)``
function from the caller (``posekit.zoo.build_from_spec``): the engine knows no model.
Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..errors import ModelError
from ..fileio import read_json, sha256_file, write_json

__all__ = ["save_weights", "load_weights", "weights_info", "save_checkpoint", "load_checkpoint", "save_best",
           "best_score", "load_model", "remove_stale", "CHECKPOINTS"]

CHECKPOINTS = "checkpoints"
_rename = os.replace  # the folder's commit-ready rename (a name of its own, so tests can kill a run there)


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


def weights_info(path: str | os.PathLike) -> dict:
    """The ``posekit.*`` metadata of a weights file (``spec``, ``info``, ...), decoded."""
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


def _last_model_file(run_dir: Path) -> Path:
    record = _read_record(run_dir)
    return run_dir / record["checkpoint"] / "model.safetensors"


def load_model(path: str | os.PathLike, build: Callable[[dict], torch.nn.Module]):
    """A model rebuilt by ``build(spec)`` from a weights file or a run directory (its
    ``best.safetensors``, else its last checkpoint), in eval mode."""
    p = Path(path)
    if p.is_dir():
        p = p / "best.safetensors" if (p / "best.safetensors").exists() else _last_model_file(p)
    if not p.is_file():
        raise ModelError(f"{p}: no such checkpoint")
    spec = weights_info(p).get("spec")
    if not spec:
        raise ModelError(f"{p}: no posekit model description in the file's metadata")
    model = build(spec)
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


def remove_stale(run_dir: str | os.PathLike) -> None:
    """Remove checkpoint folders that ``last.json`` does not name (temporary ones of a killed
    write, superseded ones of a kill before their removal)."""
    d = Path(run_dir) / CHECKPOINTS
    if not d.is_dir():
        return
    keep = None
    if (Path(run_dir) / "last.json").exists():
        try:
            keep = Path(read_json(Path(run_dir) / "last.json").get("checkpoint", "")).name
        except Exception:  # an unreadable record keeps everything: load_checkpoint will say why
            return
    for sub in d.iterdir():
        if sub.name != keep:
            shutil.rmtree(sub, ignore_errors=True)


def save_checkpoint(run_dir: str | os.PathLike, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    info: dict, scaler=None) -> Path:
    """Write the checkpoint of step ``info["step"]`` as one unit and commit it in ``last.json``."""
    d = Path(run_dir)
    name = f"step-{int(info['step']):08d}"
    tmp, final = d / CHECKPOINTS / f".tmp-{name}", d / CHECKPOINTS / name
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_weights(model, tmp / "model.safetensors", {"info": {k: info[k] for k in ("epoch", "step") if k in info}})
    record = dict(info)
    tensors, record["optimizer"] = _flatten_optimizer(optimizer)
    if scaler is not None and scaler.is_enabled():
        record["scaler"] = {k: (v.item() if torch.is_tensor(v) else v) for k, v in scaler.state_dict().items()}
    _save(tensors, tmp / "optimizer.safetensors", {"format": "pt"})
    record["files"] = {f: sha256_file(tmp / f) for f in ("model.safetensors", "optimizer.safetensors")}
    shutil.rmtree(final, ignore_errors=True)  # a folder of the same step left by a killed run
    _rename(tmp, final)
    record["checkpoint"] = f"{CHECKPOINTS}/{name}"
    write_json(d / "last.json", record, indent=True)  # the commit
    remove_stale(d)
    return final


def _read_record(run_dir: Path) -> dict:
    path = run_dir / "last.json"
    record = read_json(path)
    if not isinstance(record, dict) or "checkpoint" not in record or "files" not in record:
        raise ModelError(f"{path}: not a checkpoint record of this posekit (no checkpoint folder and checksums); "
                         f"start the run again without --resume")
    return record


def load_checkpoint(run_dir: str | os.PathLike, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scaler=None) -> dict:
    """Restore ``model`` (and ``optimizer``, ``scaler``) from the checkpoint ``last.json`` names,
    after checking its files against their checksums; returns the run state."""
    d = Path(run_dir)
    record = _read_record(d)
    folder = d / record["checkpoint"]
    for name, digest in record["files"].items():
        f = folder / name
        if not f.is_file():
            raise ModelError(f"{d / 'last.json'}: checkpoint file {f} is missing; the checkpoint is damaged "
                             f"(start again without --resume)")
        if sha256_file(f) != digest:
            raise ModelError(f"{d / 'last.json'}: checkpoint file {f} does not match its SHA-256; the checkpoint is "
                             f"damaged (start again without --resume)")
    load_weights(model, folder / "model.safetensors")
    if optimizer is not None:
        tensors = load_file(str(folder / "optimizer.safetensors"))
        state: dict = {}
        for key, v in tensors.items():
            pid, field = key.split(".", 1)
            state.setdefault(int(pid), {})[field] = v
        for key, v in record["optimizer"]["scalars"].items():
            pid, field = key.split(".", 1)
            state.setdefault(int(pid), {})[field] = v
        optimizer.load_state_dict({"state": state, "param_groups": record["optimizer"]["param_groups"]})
        if scaler is not None and "scaler" in record:
            scaler.load_state_dict(record["scaler"])
    return record


def save_best(run_dir: str | os.PathLike, model: torch.nn.Module, info: dict) -> None:
    """``best.safetensors``: the model with its score (``info["score"]``, None without validation)
    and step in the file itself, so the file and the score it claims never disagree."""
    save_weights(model, Path(run_dir) / "best.safetensors", {"info": info})


def best_score(run_dir: str | os.PathLike) -> float | None:
    """The score ``best.safetensors`` was saved with (None: no file, or no validation)."""
    p = Path(run_dir) / "best.safetensors"
    if not p.exists():
        return None
    return weights_info(p).get("info", {}).get("score")
