"""Imports point down (issue 11, section 6): the engine knows no method, topdown and compress
know no zoo. Checked twice: what importing a module pulls in, and every import statement in
the modules' source (lazy imports inside functions count too)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HIGHER = {  # module or package -> the packages above it that it must not import
    "posekit/engine": ("topdown", "bottomup", "compress", "video", "zoo", "estimators", "commands", "cli"),
    "posekit/topdown/training.py": ("zoo", "estimators", "commands", "cli", "video"),
    "posekit/compress/export.py": ("zoo", "estimators", "commands", "cli", "video"),
}


def _imports(path: Path) -> set[str]:
    """The posekit subpackages a source file imports (relative imports resolved)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[:-node.level]) + (node.module.split(".") if node.module else [])
            else:
                base = (node.module or "").split(".")
            if base[:1] == ["posekit"] and len(base) > 1:
                out.add(base[1])
            elif base[:1] == ["posekit"]:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("posekit."))
    return out


@pytest.mark.parametrize("where", sorted(HIGHER))
def test_no_import_statement_points_up(where):
    target = ROOT / where
    files = sorted(target.glob("*.py")) if target.is_dir() else [target]
    for f in files:
        bad = _imports(f) & set(HIGHER[where])
        assert not bad, f"{f.relative_to(ROOT)} imports posekit.{', posekit.'.join(sorted(bad))}"


def test_importing_the_engine_and_training_pulls_in_nothing_higher():
    code = ("import sys; import posekit.engine.trainer, posekit.engine.checkpoint, posekit.engine.config, "
            "posekit.engine.skipping, posekit.topdown.training, posekit.compress.export; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('posekit.')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = set(eval(out))
    assert not loaded & {"zoo", "bottomup", "video", "estimators", "commands", "cli"}, loaded
