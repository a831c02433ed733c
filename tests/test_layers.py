"""Imports point down the layers (DEVELOPERS' layer table): a module imports only from its own
layer or lower ones, lazy imports inside functions included.

Two checks: a static one over every module's source (every ``import`` and ``from`` statement the
AST holds, wherever it sits), and a dynamic one that imports each part of posekit alone in a
fresh interpreter and looks at ``sys.modules``.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "posekit"

# low -> high; a part named here that does not exist yet is covered as soon as it appears
LAYERS: list[tuple[str, ...]] = [
    ("errors", "fileio", "skeletons", "structures", "oks", "geometry"),
    ("data", "visualize"),
    ("evaluation",),
    ("codecs", "models", "postprocess", "pretrained"),
    ("engine",),
    ("topdown", "bottomup", "compress", "adaptation"),
    ("video",),
    ("zoo",),
    ("estimators",),
    ("commands", "serve", "cli", "__main__"),
]
LAYER = {part: i for i, parts in enumerate(LAYERS) for part in parts}

# Known upward imports, each owned by a fix in progress. Empty this list as they land; an edge
# listed here that no longer exists fails test_known_list_is_current, so the list cannot go stale.
KNOWN: set[tuple[str, str]] = set()  # upward imports still allowed: none left


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str | None:
    """The layer-table part of ``posekit.X.Y``: ``X`` (None for the package root itself)."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else None


def imports_of(path: Path) -> set[str]:
    """Every posekit module named by an import statement anywhere in the file (absolute names)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                names = [".".join(base + ([node.module] if node.module else []))]
                if not node.module:  # from . import x, y: each may be a module
                    names = [f"{names[0]}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        out.update(n for n in names if n == "posekit" or n.startswith("posekit."))
    return out


def upward_edges() -> set[tuple[str, str]]:
    edges = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        src = module_name(path)
        low = part_of(src)
        if low is None:
            continue
        for dst in imports_of(path):
            high = part_of(dst)
            if high is None or high not in LAYER or low not in LAYER:
                continue
            if LAYER[high] > LAYER[low]:
                edges.add((src, _trim(dst)))
    return edges


def _trim(dst: str) -> str:
    """``from ..zoo import PRESETS`` names posekit.zoo.PRESETS; keep the part that is a module."""
    bits = dst.split(".")
    while len(bits) > 2 and not ((ROOT.joinpath(*bits).with_suffix(".py")).exists() or ROOT.joinpath(*bits).is_dir()):
        bits.pop()
    return ".".join(bits)


def test_every_part_is_in_the_layer_table():
    parts = {part_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {None}
    assert parts <= set(LAYER), f"add {sorted(parts - set(LAYER))} to the layer table"


def test_static_imports_point_down():
    bad = sorted(upward_edges() - KNOWN)
    assert not bad, "imports that point up the layers:\n" + "\n".join(f"  {a} -> {b}" for a, b in bad)


def test_known_list_is_current():
    stale = sorted(KNOWN - upward_edges())
    assert not stale, f"fixed upward imports still listed in KNOWN (remove them): {stale}"


def test_static_check_sees_lazy_imports(tmp_path):
    """The checker itself: a relative import inside a function body is found and resolved."""
    f = PACKAGE / "data" / "mpii.py"
    assert "posekit.oks" in imports_of(f)  # head_boxes imports it inside the function
    assert not any(d.startswith("posekit.evaluation") for d in imports_of(f))


def _groups() -> list[str]:
    """Each part that exists: a base module, or a subpackage with all of its modules."""
    return sorted(part for part in LAYER if part not in ("cli", "__main__", "commands")
                  and ((PACKAGE / part).is_dir() or (PACKAGE / f"{part}.py").exists()))


_PROBE = """
import importlib, json, pkgutil, sys
name = sys.argv[1]
mod = importlib.import_module(name)
if hasattr(mod, "__path__"):
    for info in pkgutil.walk_packages(mod.__path__, name + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m == "posekit" or m.startswith("posekit."))))
"""


@pytest.mark.parametrize("part", _groups())
def test_importing_a_part_alone_loads_no_higher_layer(part):
    proc = subprocess.run([sys.executable, "-c", _PROBE, f"posekit.{part}"], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    excused = {part_of(dst) for src, dst in KNOWN if part_of(src) == part}
    higher = sorted(m for m in loaded if part_of(m) in LAYER and LAYER[part_of(m)] > LAYER[part]
                    and part_of(m) not in excused)
    assert not higher, f"importing posekit.{part} loads higher layers: {higher}"
