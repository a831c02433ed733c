"""``posekit infer`` split across processes: ``--workers 2`` and two torchrun ranks (gloo, CPU) give
byte-identical merged outputs to one process, and a run killed mid-way (SIGKILL to every rank)
then ``--resume`` completes with nothing lost or duplicated (the same bytes again)."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = sorted((ROOT / "data" / "mmpose_tests" / "coco").glob("*.jpg"))


def _env() -> dict:
    # one thread everywhere: the same arithmetic in every process, so the same float bits
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _infer(*args, torchrun: int = 0, port: int = 0) -> subprocess.CompletedProcess:
    head = [sys.executable, "-m", "posekit"]
    if torchrun:
        head = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(torchrun),
                "--master-port", str(port), "-m", "posekit"]
    return subprocess.run([*head, "infer", *map(str, args)], capture_output=True, text=True, env=_env(), cwd=ROOT)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _kill_all(marker: str) -> None:
    """SIGKILL every process whose command line holds ``marker``, until none is left."""
    for _ in range(50):
        pids = []
        for d in Path("/proc").iterdir():
            try:
                if d.name.isdigit() and marker.encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                continue
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Eight real photos (the four bundled COCO images, twice under other names) and one process's outputs."""
    d = tmp_path_factory.mktemp("shards")
    (d / "images").mkdir()
    for copy in range(2):
        for p in IMAGES:
            shutil.copy(p, d / "images" / f"{copy}_{p.name}")
    proc = _infer(d / "images", "--out", d / "single")
    assert proc.returncode == 0, proc.stderr
    return d, _files(d / "single")


def test_two_local_workers_merge_to_the_bytes_of_one_process(folder):
    d, single = folder
    proc = _infer(d / "images", "--out", d / "workers", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 workers' parts" in proc.stderr
    assert "(rank 0 of 2): 4 of 4 inputs done" in proc.stderr and "(rank 1 of 2): 4 of 4 inputs done" in proc.stderr
    assert _files(d / "workers") == single
    assert len(single["results.json"]) > 100 and any(k.startswith("overlays/") for k in single)


def test_two_torchrun_ranks_merge_to_the_bytes_of_one_process(folder):
    d, single = folder
    proc = _infer(d / "images", "--out", d / "torchrun", torchrun=2, port=_free_port())
    assert proc.returncode == 0, proc.stderr
    assert _files(d / "torchrun") == single


def test_ranks_killed_mid_run_then_resumed_lose_and_repeat_nothing(folder):
    d, single = folder
    out = d / "killed"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port",
           str(_free_port()), "-m", "posekit", "infer", str(d / "images"), "--out", str(out)]
    proc = subprocess.Popen(cmd, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journals = lambda: [p for p in (out / ".parts").glob("rank-*/.infer.journal.jsonl")]  # noqa: E731
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.read_bytes().count(b"\n") >= 1 for p in journals()):
        time.sleep(0.05)
    _kill_all(str(out))  # torchrun's agent and every rank (torchrun starts the ranks in sessions of their own)
    proc.wait()
    done_before = sum(p.read_bytes().count(b"\n") for p in journals())
    assert 1 <= done_before < len(IMAGES) * 2, "the kill must land mid-run"
    assert not (out / "results.json").exists()
    resumed = _infer(d / "images", "--out", out, "--resume", torchrun=2, port=_free_port())
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stderr, resumed.stderr[-3000:]
    assert _files(out) == single
