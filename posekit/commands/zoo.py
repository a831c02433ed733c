"""``posekit zoo list [--json]``: every preset with its survey section, paper, input size, size and
cost measured here, the published COCO AP with its source, and what posekit's learning test reached."""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list",))
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    p.add_argument("--section", help="only presets whose survey section contains this text (e.g. regression)")


def zoo_rows(section: str | None = None, progress: bool = False) -> list[dict]:
    """One row per preset; parameters and GFLOPs (multiply-adds) measured on the meta device.

    Counting takes about a second per preset, so the counts are cached (``zoo_counts.json`` in
    posekit's cache folder) under a digest of the model code: editing a backbone, head, codec or
    preset recounts. The input is printed height x width, as the presets' names are.
    """
    from ..errors import ModelError
    from ..zoo import PRESETS

    presets = [p for p in PRESETS.values() if not section or section.lower() in p.section.lower()]
    if not presets:
        sections = sorted({p.section for p in PRESETS.values()})
        raise ModelError(f"no preset's survey section contains {section!r}; the sections are: {'; '.join(sections)}")
    counts = _counts(presets, progress)
    rows = []
    for p in presets:
        params, macs = counts[p.name]
        w, h = p.input_size
        rows.append({"name": p.name, "section": p.section, "paper": p.paper,
                     "input": f"{h}x{w}", "params_m": round(params / 1e6, 2),
                     "gflops": round(macs / 1e9, 2), "published": p.published, "learned": p.learned})
    return rows


def _code_digest() -> str:
    """A digest of the sources that decide a preset's size and cost."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("models", "zoo", "codecs", "topdown/estimator.py"):
        for f in sorted((root / sub).rglob("*.py")) if (root / sub).is_dir() else [root / sub]:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _counts(presets, progress: bool) -> dict[str, tuple[int, int]]:
    """(parameters, MACs) of each preset, from the cache where its code is unchanged."""
    from tqdm import tqdm

    from ..fileio import read_json, write_json
    from ..pretrained.weights import cache_dir

    path = cache_dir() / "zoo_counts.json"
    digest = _code_digest()
    try:
        cached = read_json(path) if path.is_file() else {}
    except Exception:  # noqa: BLE001 - a damaged cache is recounted, never trusted
        cached = {}
    table = cached.get(digest, {}) if isinstance(cached, dict) else {}
    todo = [p for p in presets if not (isinstance(table.get(p.name), list) and len(table[p.name]) == 2)]
    if todo:
        from ..models.complexity import measure_builder

        for p in tqdm(todo, desc="counting parameters and GFLOPs (once)", unit="preset", disable=not progress):
            table[p.name] = list(measure_builder(p.build, p.input_size))
        try:
            write_json(path, {digest: table}, indent=True)
        except OSError:
            pass  # a read-only cache only costs the next run the counting
    return {p.name: tuple(table[p.name]) for p in presets}


def run(args: argparse.Namespace) -> int:
    import json

    import sys

    rows = zoo_rows(args.section, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    head = f"{'preset':34} {'section':27} {'input':>7} {'params':>8} {'GFLOPs':>7} {'pub. AP':>7} {'synth PCK@0.1':>13}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ap = r["published"].get("coco_val_ap")
        pck = r["learned"].get("pck@0.1")
        print(f"{r['name']:34} {r['section']:27} {r['input']:>7} {r['params_m']:>7.2f}M {r['gflops']:>7.2f} "
              f"{'' if ap is None else f'{ap:.1f}':>7} {'' if pck is None else f'{pck:.3f}':>13}")
    print("\nGFLOPs: multiply-adds per crop, counted here. pub. AP: published COCO val2017 AP (the paper or MMPose's model zoo; "
          "`--json` names each source). synth PCK@0.1: posekit's own learning test on synthetic people.")
    return 0
