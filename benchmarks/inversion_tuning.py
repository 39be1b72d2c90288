"""Variants of the hybrid inversion's settings against the default and the baseline, side by side.

    .venv/bin/python -m benchmarks.inversion_tuning [--n 200] [--latency-n 5]

Each variant runs its full step budget (no early stopping) on the first n Fashion-MNIST test images,
100 at a time, for the median LPIPS; seconds per image are the median over latency-n single images
(with early stopping, as a user would run it). Writes benchmarks/results/inversion_tuning.{json,md}.
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from inversion.invert import BASELINE_CONFIG, DEFAULT_CONFIG, Inverter
from inversion.optimize import InvertConfig
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

VARIANTS = {
    "optimize 500 (baseline)": ("optimize", BASELINE_CONFIG),
    "hybrid default": ("hybrid", DEFAULT_CONFIG),
    "1 start, 75 steps, lr 0.1, ramp-down 0.5": (
        "hybrid", InvertConfig(steps=75, starts=1, lr=0.1, lr_rampdown=0.5)),
    "2 starts, 75 steps, lr 0.1, ramp-down 0.5": (
        "hybrid", InvertConfig(steps=75, starts=2, lr=0.1, lr_rampdown=0.5)),
    "1 start, 120 steps, lr 0.1, ramp-down 0.5": (
        "hybrid", InvertConfig(steps=120, starts=1, lr=0.1, lr_rampdown=0.5)),
    "1 start, 120 steps, lr 0.05, ramp-down 0.5": (
        "hybrid", InvertConfig(steps=120, starts=1, lr=0.05, lr_rampdown=0.5)),
    "1 start, 120 steps, lr 0.1, ramp-down 0.5, LPIPS x2": (
        "hybrid", InvertConfig(steps=120, starts=1, lr=0.1, lr_rampdown=0.5, w_lpips=2.0)),
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--latency-n", type=int, default=5)
    a = p.parse_args()
    torch.manual_seed(0)
    model = load_model(a.model)
    inv = Inverter.for_model(model)
    x = load_fashion_mnist("test", model.gan.resolution).batch(slice(0, a.n))
    rows = []
    for name, (method, cfg) in VARIANTS.items():
        lpips = []
        for i in range(0, len(x), 100):
            r = inv.invert(x[i:i + 100], method, replace(cfg, patience=10**9))
            with torch.no_grad():
                lpips.append(inv.lpips(r.preview, x[i:i + 100]))
        times = []
        for j in range(min(a.latency_n, len(x))):
            t0 = time.perf_counter()
            inv.invert(x[j:j + 1], method, cfg)
            times.append(time.perf_counter() - t0)
        rows.append({"variant": name, "lpips": float(torch.cat(lpips).median()),
                     "seconds": statistics.median(times)})
        print(rows[-1], flush=True)
    m = machine()
    md = (f"# Hybrid inversion settings tried\n\nModel {model.model_id}; first {a.n} test images; "
          f"median LPIPS at the full step budget, median seconds per image over {a.latency_n} "
          f"single images. `python -m benchmarks.inversion_tuning --n {a.n} --latency-n "
          f"{a.latency_n}`\n\n"
          + markdown_table(rows, [("variant", "variant"), ("lpips", "LPIPS"), ("seconds", "s/image")])
          + f"\n{footer(m)}")
    write_results("inversion_tuning", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows}, md)


if __name__ == "__main__":
    main()
