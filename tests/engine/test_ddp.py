"""DDP: two CPU ranks (gloo, launched by torchrun) produce the gradients of single-process training."""
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from _ddp_worker import one_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_two_cpu_ranks_match_single_process(coco_handful, tmp_path):
    gt, images = coco_handful
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                           "--master-port", "29517", str(Path(__file__).parent / "_ddp_worker.py"),
                           str(gt), str(images), str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ddp = load_file(str(tmp_path / "rank0.safetensors"))
    with safe_open(str(tmp_path / "rank0.safetensors"), "pt") as f:
        assert f.metadata() == {"world": "2", "batch": "4"}   # each rank saw half of the batch
    _, grads, weights, (_, world, n) = one_step(gt, images, str(tmp_path / "single"))
    assert (world, n) == (1, 8)
    assert len(grads) > 50
    for name, g in grads.items():
        d = ddp[name]
        assert torch.allclose(d, g, rtol=1e-4, atol=1e-6 * g.abs().max().item() + 1e-12), name
    for name, w in weights.items():
        assert torch.allclose(ddp[name], w, rtol=1e-4, atol=1e-6), name
    assert not torch.equal(ddp["grad.head.final.weight"], torch.zeros_like(grads["grad.head.final.weight"]))
