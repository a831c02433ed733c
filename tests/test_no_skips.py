"""No test skips itself on a missing posekit module or a declared dependency: a broken import
is a failure, never a skip that hides it (pytest.importorskip is for optional references only)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    names = {re.split(r"[<>=\[; ]", d.strip().strip('",'))[0].lower() for d in deps.splitlines() if d.strip()}
    # import names of the distributions whose names differ
    alias = {"opencv-python-headless": "cv2", "pillow": "PIL", "pyyaml": "yaml"}
    return {alias.get(n, n) for n in names if n} | {"torch", "onnxruntime", "motmetrics", "pycocotools"}


def test_no_importorskip_of_posekit_or_its_dependencies():
    declared = _declared()
    bad = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "importorskip"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                name = str(node.args[0].value)
                if name.split(".")[0] in declared | {"posekit"}:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} importorskip({name!r})")
    assert not bad, "\n".join(bad)
