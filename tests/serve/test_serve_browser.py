"""The web page in a real browser: headless Chromium (Debian's package) driven by Playwright loads
``/`` from a real ``posekit serve``, uploads a real photo, waits for the overlay, and checks that the
keypoints drawn on the canvas and listed in the table are the ones in the server's JSON.

Slow and outside the default suite: it needs ``pip install playwright`` and ``apt-get install
chromium`` (CI has neither). ``pytest -m slow tests/serve/test_serve_browser.py``.
"""
from __future__ import annotations

import importlib.util
import shutil

import pytest

from tests.conftest import ROOT

PHOTO = ROOT / "data" / "mmpose_tests" / "coco" / "000000196141.jpg"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _bench():
    spec = importlib.util.spec_from_file_location("serve_load", ROOT / "bench" / "serve_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.slow
def test_the_page_draws_the_servers_keypoints(tmp_path):
    import httpx
    from playwright.sync_api import sync_playwright

    bench = _bench()
    proc, url = bench.start_server("--torch-threads", "1", env={"TMPDIR": str(tmp_path)})
    try:
        answer = httpx.post(url + "/v1/pose", content=PHOTO.read_bytes(), timeout=60).json()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")
            page.set_input_files("#file", str(PHOTO))
            page.wait_for_function("document.getElementById('status').textContent.includes('people')",
                                   timeout=60_000)
            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
            colours = page.evaluate("COLOURS")
            size = page.evaluate("[canvas.width, canvas.height]")
            rows = page.evaluate("[...document.querySelectorAll('#keypoints tbody tr')].map("
                                 "r => [...r.cells].map(c => c.textContent))")
            threshold = float(page.evaluate("document.getElementById('threshold').value"))
            probes = []
            for i, person in enumerate(answer["people"]):
                for (x, y), s in zip(person["keypoints"], person["scores"]):
                    if s >= threshold:
                        probes.append((i, x, y))
            pixels = page.evaluate("(pts) => pts.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x), "
                                   "Math.round(y), 1, 1).data).slice(0, 3))", [[x, y] for _, x, y in probes])
            browser.close()
    finally:
        bench.stop_server(proc)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert size == [answer["width"], answer["height"]] and len(answer["people"]) >= 2
    # the table: one row per person, every keypoint's coordinates as the JSON has them
    assert len(rows) == len(answer["people"])
    for row, person in zip(rows, answer["people"]):
        assert len(row) == 2 + len(person["keypoints"])
        for cell, (x, y), s in zip(row[2:], person["keypoints"], person["scores"]):
            cx, rest = cell.split(", ")
            cy, cs = rest.rstrip(")").split(" (")
            assert abs(float(cx) - x) <= 0.5 + 1e-9 and abs(float(cy) - y) <= 0.5 + 1e-9 and abs(float(cs) - s) <= 0.005 + 1e-9
    # the canvas: at each confident keypoint the dot of a person's colour (a later person's limb may cross it)
    palette = [_hex(c) for c in colours]
    on_dot = [any(max(abs(a - b) for a, b in zip(px, c)) <= 8 for c in palette) for px in pixels]
    own = [max(abs(a - b) for a, b in zip(px, palette[i % len(palette)])) <= 8
           for (i, _, _), px in zip(probes, pixels)]
    assert len(probes) >= 10 and sum(on_dot) >= 0.95 * len(probes) and sum(own) >= 0.8 * len(probes)
