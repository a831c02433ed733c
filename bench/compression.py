"""The accuracy-efficiency table of model compression (survey section 1.4), measured on one machine.

For each CPU-sized preset (trained here from scratch on synthetic people, a fixed seed and number of
steps, as the zoo's learning proof does) and each of its deployed files (ONNX fp32, int8 QDQ with the
head in float, int8 with the head quantized too, fp16):
  * parameters and GFLOPs (posekit's counter: one multiply-add = one FLOP, as the HRNet tables);
  * ms per crop, batch 1: torch, and onnxruntime for each file, the median of ``--runs`` runs, all
    runtimes in this one process, ``--threads`` threads;
  * PCK@0.1 and OKS AP on the same held-out synthetic crops, decoded in float by the model's codec.
Paper-size presets (``--big``) are timed only (random weights; their cost does not depend on them),
in torch and onnxruntime fp32 and int8, to compare light networks with HRNet-W32 at 256x192.
A distilled student (``--students RUN_DIR ...``, from ``posekit distill``) gets the same rows.

    python bench/compression.py                                  # the default presets, 300 steps
    python bench/compression.py --presets simplebaseline-r18-128x96 --steps 100 --big hrnet-w32-256x192

Writes bench/results/compression.json and a Markdown table (bench/results/compression.md).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CPU_PRESETS = ["simplebaseline-r18-128x96", "hrnet-w16-128x96", "litehrnet-18-128x96", "mobilenetv2-128x96",
           "shufflenetv2-128x96"]
BIG_PRESETS = ["hrnet-w32-256x192", "simplebaseline-r50-256x192", "litehrnet-18-256x192", "litehrnet-30-256x192",
       "mobilenetv2-256x192", "shufflenetv2-256x192"]


def _median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def _session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _onnx_scores(session, model, held_out, score_records) -> dict:
    """Held-out scores of a deployed file: onnxruntime outputs, decoded in float by the model's codec."""
    from posekit.topdown.dataset import TopDownDataset
    from posekit.topdown.transforms import apply_affine, invert_affine

    ds = TopDownDataset(held_out, model.codec, model.skeleton, augment=None, encode=False)
    k = model.skeleton.num_keypoints
    kp, ks = np.zeros((len(ds), k, 2)), np.zeros((len(ds), k))
    for start in range(0, len(ds), 32):
        items = [ds[i] for i in range(start, min(start + 32, len(ds)))]
        x = np.stack([it["image"] for it in items]).astype(np.float32)
        outs = session.run(None, {"image": x})
        c, s = model.codec.decode(outs[0] if len(outs) == 1 else tuple(outs))
        for j, it in enumerate(items):
            kp[it["index"]] = apply_affine(c[j:j + 1], invert_affine(np.asarray(it["matrix"])[None]))[0]
            ks[it["index"]] = s[j]
    return score_records(kp, ks)


def _deploy(model, out: Path, calibration: list, sample: np.ndarray) -> dict[str, Path]:
    from posekit.compress.export import export_onnx
    from posekit.compress.quantize import convert_fp16, quantize_int8

    files = {"onnx fp32": out / "fp32.onnx", "onnx int8": out / "int8.onnx", "onnx int8 (head too)":
             out / "int8_head.onnx", "onnx fp16": out / "fp16.onnx"}
    export_onnx(model, files["onnx fp32"])
    quantize_int8(files["onnx fp32"], files["onnx int8"], calibration, source_name="synthetic crops")
    quantize_int8(files["onnx fp32"], files["onnx int8 (head too)"], calibration, include_head=True,
                  source_name="synthetic crops")
    convert_fp16(files["onnx fp32"], files["onnx fp16"], sample)
    return files


def _timings(model, files: dict[str, Path], sample: np.ndarray, runs: int, threads: int) -> dict:
    import torch

    from posekit.engine.cpu import flush_denormals

    x = torch.from_numpy(sample)
    with torch.no_grad(), flush_denormals(True):
        rows = {"torch fp32": _median_ms(lambda: model(x), runs)}
    for name, path in files.items():
        s = _session(path, threads)
        rows[name] = _median_ms(lambda: s.run(None, {"image": sample}), runs)
    return rows


def trained_rows(preset: str, args, train, held_out, tmp: Path) -> list[dict]:
    from posekit.zoo import load_model
    from posekit.zoo.learning_proof import learn_synthetic

    run_dir = tmp / preset
    learned = learn_synthetic(preset, args.steps, train, held_out, seed=args.seed, out=str(run_dir))
    return _rows(preset, load_model(run_dir).eval(), args, train, held_out, tmp, learned.get("steps"))


def student_rows(run_dir: str, args, train, held_out, tmp: Path) -> list[dict]:
    from posekit.zoo import load_model

    return _rows(f"distilled {Path(run_dir).name}", load_model(run_dir).eval(), args, train, held_out, tmp, None)


def _rows(name, model, args, train, held_out, tmp, steps) -> list[dict]:
    from posekit.models.complexity import count_macs, count_parameters
    from posekit.topdown.dataset import TopDownDataset
    from posekit.zoo.learning_proof import held_out_scorer, score_predictions

    params, macs = count_parameters(model), count_macs(model, model.input_size)
    ds = TopDownDataset(train[:args.calibration], model.codec, model.skeleton, augment=None, encode=False)
    calibration = [ds[i]["image"][None].astype(np.float32) for i in range(len(ds))]
    sample = calibration[0]
    files = _deploy(model, tmp / f"{name.replace('/', '_')}-files", calibration, sample)
    times = _timings(model, files, sample, args.runs, args.threads)
    torch_scores = held_out_scorer(held_out, model.skeleton)(model)
    rows = []
    for runtime, ms in times.items():
        scores = torch_scores if runtime == "torch fp32" else _onnx_scores(
            _session(files[runtime], args.threads), model, held_out,
            lambda kp, ks: score_predictions(kp, ks, held_out, model.skeleton))
        rows.append({"model": name, "runtime": runtime, "params_m": params / 1e6, "gflops": macs / 1e9,
                     "ms_per_crop": ms, "PCK@0.1": scores["PCK@0.1"], "AP": scores["AP"],
                     "file_mb": files[runtime].stat().st_size / 1e6 if runtime in files else None, "steps": steps})
    return rows


def big_rows(preset: str, args, tmp: Path) -> list[dict]:
    import torch

    from posekit.compress.export import export_onnx
    from posekit.compress.quantize import quantize_int8
    from posekit.models.complexity import count_macs, count_parameters
    from posekit.zoo import PRESETS, build_model
    from posekit.zoo.learning_proof import synthetic_instances

    torch.manual_seed(0)
    model = build_model(preset).eval()
    w, h = model.input_size
    from posekit.topdown.dataset import TopDownDataset

    crops = synthetic_instances(8, (w, h), 5)
    ds = TopDownDataset(crops, model.codec, model.skeleton, augment=None, encode=False)
    calibration = [ds[i]["image"][None].astype(np.float32) for i in range(len(ds))]
    sample = calibration[0]
    fp32, int8 = tmp / f"{preset}.onnx", tmp / f"{preset}.int8.onnx"
    export_onnx(model, fp32)
    quantize_int8(fp32, int8, calibration, source_name="synthetic crops")
    x = torch.from_numpy(sample)
    from posekit.engine.cpu import flush_denormals

    with torch.no_grad(), flush_denormals(True):
        times = {"torch fp32": _median_ms(lambda: model(x), args.runs)}
    for name, path in (("onnx fp32", fp32), ("onnx int8", int8)):
        s = _session(path, args.threads)
        times[name] = _median_ms(lambda: s.run(None, {"image": sample}), args.runs)
    published = PRESETS[preset].published
    return [{"model": preset, "runtime": rt, "params_m": count_parameters(model) / 1e6,
             "gflops": count_macs(model, (w, h)) / 1e9, "ms_per_crop": ms, "published_ap": published.get("coco_val_ap"),
             "published_params_m": published.get("params_m"), "published_gflops": published.get("gflops")}
            for rt, ms in times.items()]


def table(rows: list[dict]) -> str:
    lines = ["| model | runtime | params (M) | GFLOPs | ms/crop | PCK@0.1 | AP | file MB |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pck = f"{r['PCK@0.1']:.3f}" if r.get("PCK@0.1") is not None else "-"
        ap = f"{r['AP']:.3f}" if r.get("AP") is not None else "-"
        mb = f"{r['file_mb']:.2f}" if r.get("file_mb") else "-"
        lines.append(f"| {r['model']} | {r['runtime']} | {r['params_m']:.2f} | {r['gflops']:.3f} | "
                     f"{r['ms_per_crop']:.2f} | {pck} | {ap} | {mb} |")
    return "\n".join(lines)


def ratios(rows: list[dict]) -> list[str]:
    """The issue's goals, as measured: int8 against fp32 under onnxruntime, and light networks against HRNet-W32."""
    out = []
    by = {(r["model"], r["runtime"]): r for r in rows}
    for (m, rt), r in by.items():
        if rt == "onnx int8" and (m, "onnx fp32") in by:
            f = by[(m, "onnx fp32")]
            drop = f"{f['PCK@0.1'] - r['PCK@0.1']:+.4f}" if r.get("PCK@0.1") is not None else "-"
            out.append(f"{m}: int8 {f['ms_per_crop'] / r['ms_per_crop']:.2f}x faster than fp32 (onnxruntime); "
                       f"PCK@0.1 drop {drop}")
    ref = {rt: by[("hrnet-w32-256x192", rt)]["ms_per_crop"] for rt in ("torch fp32", "onnx fp32", "onnx int8")
           if ("hrnet-w32-256x192", rt) in by}
    for (m, rt), r in by.items():
        if m != "hrnet-w32-256x192" and rt in ref and m.endswith("256x192"):
            out.append(f"{m} ({rt}): {ref[rt] / r['ms_per_crop']:.2f}x faster per crop than hrnet-w32-256x192")
    return out


def main() -> int:
    import torch

    from posekit.zoo import PRESETS
    from posekit.zoo.learning_proof import synthetic_instances

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--presets", nargs="*", default=CPU_PRESETS)
    p.add_argument("--big", nargs="*", default=BIG_PRESETS)
    p.add_argument("--students", nargs="*", default=[], help="run folders of posekit distill")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train", type=int, default=512)
    p.add_argument("--held-out", type=int, default=256)
    p.add_argument("--calibration", type=int, default=64)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "bench/results/compression.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    missing = [n for n in args.presets + args.big if n not in PRESETS]
    if missing:
        print(f"skipping presets this checkout does not have: {', '.join(missing)}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="posekit-compression-") as tmp:
        tmp = Path(tmp)
        sizes = {}
        for name in [n for n in args.presets if n in PRESETS]:
            size = PRESETS[name].input_size
            if size not in sizes:
                sizes[size] = (synthetic_instances(args.train, size, args.seed),
                               synthetic_instances(args.held_out, size, 10_000 + args.seed))
            rows += trained_rows(name, args, *sizes[size], tmp)
            print(table([r for r in rows if r["model"] == name]), flush=True)
        for run_dir in args.students:
            from posekit.zoo import load_model

            size = load_model(run_dir).input_size
            train, held_out = synthetic_instances(args.train, size, args.seed), \
                synthetic_instances(args.held_out, size, 10_000 + args.seed)
            rows += student_rows(run_dir, args, train, held_out, tmp)
        for name in [n for n in args.big if n in PRESETS]:
            rows += big_rows(name, args, tmp)
            print(table([r for r in rows if r["model"] == name]), flush=True)
    notes = ratios(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    settings.update(machine=f"{os.cpu_count()} cores", load=os.getloadavg()[0])
    out.write_text(json.dumps({"settings": settings, "rows": rows, "ratios": notes}, indent=1))
    out.with_suffix(".md").write_text(table(rows) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    print(table(rows))
    print("\n".join(notes))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
