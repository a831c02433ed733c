"""``posekit infer`` split across processes and machines: shards, parts and the merge.

The inputs (in ``infer``'s deterministic order: as given, folders walked in name order) are dealt
round-robin: input ``i`` (0-based, images and videos counted separately) goes to rank
``i % world``. Each rank writes a complete output folder of its own, ``OUT/.parts/rank-R-of-W/``
(journaled, atomic, resumable: :class:`~posekit.data.outputs.OutputFolder`), plus ``inputs.json``
(each finished input's record). Rank 0 then moves every part's files (overlays, video outputs)
into ``OUT``, writes the usual ``results.json`` and ``image_ids.json`` in the single-process order
(so the merged files are byte for byte those of one process), and removes ``.parts``.

Two ways to run it:

- ``torchrun --nnodes N --nproc-per-node P ... -m posekit infer INPUTS --out DIR``: the ranks come
  from torchrun's ``RANK`` / ``WORLD_SIZE``; they meet at a gloo barrier before rank 0 merges. Every
  node must see the same INPUTS and DIR paths (shared storage: NFS, a mounted bucket).
- ``posekit infer INPUTS --out DIR --workers N``: N local processes (each ``POSEKIT_SHARD=R/N``),
  merged by the parent when all have finished.

``--resume`` after a crash or a killed rank: each rank goes on with its part (same ``W``), then the
merge runs; nothing done is redone, nothing is written twice.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["shard", "part_folder", "mine", "run_workers", "barrier", "merge_parts", "PART_FILES"]

# what a part writes that the merge rebuilds rather than moves
PART_FILES = ("results.json", "image_ids.json", "inputs.json", "info.json")


def shard() -> tuple[int, int, bool]:
    """(rank, world size, under torchrun): from ``POSEKIT_SHARD=R/W`` (``--workers``), else
    torchrun's ``RANK`` / ``WORLD_SIZE``, else (0, 1)."""
    from ..errors import InputError

    given = os.environ.get("POSEKIT_SHARD")
    if given:
        try:
            rank, world = (int(v) for v in given.split("/"))
        except ValueError:
            raise InputError(f"POSEKIT_SHARD={given!r}: expected RANK/WORLD, e.g. 0/4") from None
        return rank, world, False
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, world > 1


def mine(index: int, rank: int, world: int) -> bool:
    """Whether input ``index`` (0-based) belongs to ``rank``."""
    return index % world == rank


def part_folder(out: str | os.PathLike, rank: int, world: int) -> Path:
    return Path(out) / ".parts" / f"rank-{rank}-of-{world}"


def barrier() -> None:
    """Wait for every torchrun rank (gloo; the ranks' work may take hours, so no short timeout)."""
    from datetime import timedelta

    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=timedelta(days=7))
    dist.barrier()


def run_workers(argv: list[str], workers: int) -> int:
    """``posekit infer`` with ``argv`` (without ``--workers``) in ``workers`` local processes; 0 if all
    succeeded, else the first failure's exit code. The caller merges."""
    env = dict(os.environ)
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    procs = []
    for rank in range(workers):
        env_r = {**env, "POSEKIT_SHARD": f"{rank}/{workers}"}
        procs.append(subprocess.Popen([sys.executable, "-m", "posekit", *argv], env=env_r))
    codes = [p.wait() for p in procs]
    return next((c for c in codes if c not in (0, 1)), max(codes))


def merge_parts(out: str | os.PathLike, world: int, order: list[str], has_images: bool, resume: bool) -> int:
    """Rank 0's merge of the ``world`` parts into ``out``; returns the number of people merged.

    ``order`` lists the image inputs' paths in single-process order. A part that is missing or was
    not finished is an :class:`~posekit.errors.OutputError` naming it (run again with ``--resume``)."""
    from ..data.outputs import OutputFolder
    from ..errors import OutputError
    from ..fileio import read_json, write_json

    parts = [part_folder(out, r, world) for r in range(world)]
    unfinished = [p for p in parts if not (p / ".posekit-infer.json").is_file() or not (p / "inputs.json").is_file()]
    if unfinished:
        raise OutputError(f"{unfinished[0]}: this rank's part is not finished; run the same command again with "
                          "--resume")
    by_path: dict[str, dict] = {}
    with OutputFolder(out, "infer", resume=resume) as final:
        info = None
        for p in parts:
            for rec in read_json(p / "inputs.json"):
                by_path[rec["path"]] = rec
            info = read_json(p / "info.json") if info is None else info
            for rel in read_json(p / ".posekit-infer.json").get("files", []):
                if rel in PART_FILES:
                    continue
                src, dst = p / rel, final.file(rel)
                if src.is_file():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
        done = [path for path in order if path in by_path]
        records = [r for path in done for r in by_path[path]["records"]]
        if has_images:
            write_json(final.file("results.json"), records)
            write_json(final.file("image_ids.json"), {path: by_path[path]["image_id"] for path in done}, indent=True)
        write_json(final.file("info.json"), info, indent=True)
        final.commit()
    shutil.rmtree(Path(out) / ".parts", ignore_errors=True)
    return len(records)
