"""Inversion quality against time on held-out Fashion-MNIST test images, all methods in one run.

    .venv/bin/python -m benchmarks.inversion [--n 1000] [--latency-n 20] [--batch 100]

Methods: encoder only; optimisation only as in the StyleGAN2 projector (mean code, LPIPS + pixel,
500 Adam steps, lr ramp up and down); hybrid (encoder, then optimisation) at 25, 50, 100 and 200
steps, read off one 200-step run (the hybrid's constant learning rate makes a run of N steps the
first N steps of a longer one); and the default hybrid (with early stopping).
Quality (median LPIPS, PSNR, SSIM against the target) on all n images, optimised in batches (each
image's optimisation is independent of the others'); time per image measured on single images,
one at a time, as a user inverts a photo. In-domain recovery: PSNR of G(z*) against G(z) for n
random codes, default hybrid budget. Writes benchmarks/results/inversion.{json,md,png}.
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from inversion.invert import BASELINE_CONFIG, DEFAULT_CONFIG, Inverter
from inversion.optimize import optimize, starting_codes
from inversion.quality import psnr, ssim
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

SWEEP = (25, 50, 100, 200)


def quality(inv: Inverter, x_hat: torch.Tensor, x: torch.Tensor) -> dict[str, np.ndarray]:
    with torch.no_grad():
        return {"lpips": inv.lpips(x_hat, x).numpy(), "psnr": psnr(x_hat, x).numpy(),
                "ssim": ssim(x_hat, x).numpy()}


def batched_runs(inv: Inverter, x: torch.Tensor, batch: int) -> dict[str, dict]:
    """Quality of every method on all images of x, optimising `batch` images at a time."""
    G = inv.model.generator
    sweep_cfg = replace(DEFAULT_CONFIG, steps=max(SWEEP), patience=10**9)
    out: dict[str, list] = {}
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        results = {"encoder": inv.invert(xb, "encoder").preview}
        for s in optimize(G, xb, starting_codes(inv.guess(xb), sweep_cfg), inv.lpips, sweep_cfg):
            if s.step in SWEEP:
                results[f"hybrid {s.step}"] = s.preview
        results["optimize 500 (baseline)"] = inv.invert(xb, "optimize", BASELINE_CONFIG).preview
        for name, x_hat in results.items():
            out.setdefault(name, []).append(quality(inv, x_hat, xb))
        print(f"  batch {i // batch + 1}/{(len(x) + batch - 1) // batch} done", flush=True)
    return {name: {k: np.concatenate([q[k] for q in qs]) for k in qs[0]} for name, qs in out.items()}


def latency(inv: Inverter, x: torch.Tensor) -> dict[str, list[float]]:
    """Seconds per image for each method, one image at a time."""
    times: dict[str, list[float]] = {}
    runs = [("encoder", "encoder", DEFAULT_CONFIG)]
    runs += [(f"hybrid {n}", "hybrid", replace(DEFAULT_CONFIG, steps=n, patience=10**9)) for n in SWEEP]
    runs += [("hybrid default", "hybrid", DEFAULT_CONFIG),
             ("optimize 500 (baseline)", "optimize", BASELINE_CONFIG)]
    for j in range(len(x)):
        for name, method, cfg in runs:
            if name.startswith("optimize") and j >= max(3, len(x) // 4):
                continue  # the slow baseline: a quarter of the images is plenty for its time
            t0 = time.perf_counter()
            inv.invert(x[j:j + 1], method, cfg)
            times.setdefault(name, []).append(time.perf_counter() - t0)
    return times


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--latency-n", type=int, default=20)
    a = p.parse_args()
    torch.manual_seed(0)
    model = load_model(a.model)
    inv = Inverter.for_model(model)
    test = load_fashion_mnist("test", model.gan.resolution)
    x = test.batch(slice(0, a.n))
    t0 = time.perf_counter()
    times = latency(inv, x[:a.latency_n])
    print(f"latency done in {time.perf_counter() - t0:.0f} s", flush=True)
    default_quality = {}
    for j in range(a.latency_n):  # the default hybrid with its early stopping, image by image
        r = inv.invert(x[j:j + 1], "hybrid", DEFAULT_CONFIG)
        for k, v in quality(inv, r.preview, x[j:j + 1]).items():
            default_quality.setdefault(k, []).append(v[0])
    qual = batched_runs(inv, x, a.batch)
    print(f"quality done in {time.perf_counter() - t0:.0f} s", flush=True)
    # In-domain recovery: invert G(z) for random z with the default hybrid budget.
    z = torch.randn(a.n, model.gan.latent_dim, generator=torch.Generator().manual_seed(123))
    rec_cfg = replace(DEFAULT_CONFIG, patience=10**9)
    recovered = []
    with torch.no_grad():
        gz = torch.cat([model.generator(zb) for zb in z.split(a.batch)])
    for i in range(0, a.n, a.batch):
        r = inv.invert(gz[i:i + a.batch], "hybrid", rec_cfg)
        recovered.append(psnr(r.preview, gz[i:i + a.batch]))
    recovered = torch.cat(recovered).numpy()

    base_lpips = float(np.median(qual["optimize 500 (baseline)"]["lpips"]))
    base_time = statistics.median(times["optimize 500 (baseline)"])
    rows = []
    for name in ["encoder", *[f"hybrid {n}" for n in SWEEP], "hybrid default", "optimize 500 (baseline)"]:
        q = qual.get(name, default_quality)
        t = statistics.median(times[name])
        rows.append({"method": name, "images": len(q["lpips"]), "lpips": float(np.median(q["lpips"])),
                     "psnr": float(np.median(q["psnr"])), "ssim": float(np.median(q["ssim"])),
                     "seconds": t, "time_vs_baseline": t / base_time,
                     "reaches_baseline_lpips": bool(np.median(q["lpips"]) <= base_lpips)})
    m = machine()
    cfg_text = (f"default hybrid: {DEFAULT_CONFIG.starts} starts, up to {DEFAULT_CONFIG.steps} steps, "
                f"lr {DEFAULT_CONFIG.lr}, early stop after {DEFAULT_CONFIG.patience} steps under "
                f"{DEFAULT_CONFIG.min_improvement:.1%} improvement")
    md = (f"# Inversion on held-out Fashion-MNIST test images\n\nModel {model.model_id}; first "
          f"{a.n} test images (never seen by the GAN or the encoder). Quality: medians over the "
          f"images; time: median seconds per image, one image at a time, on this CPU "
          f"({torch.get_num_threads()} threads). 'hybrid default' is measured image by image on "
          f"the first {a.latency_n} images. {cfg_text}.\n\n"
          f"`python -m benchmarks.inversion --n {a.n} --latency-n {a.latency_n}`\n\n"
          + markdown_table(rows, [("method", "method"), ("images", "images"), ("lpips", "LPIPS"),
                                  ("psnr", "PSNR dB"), ("ssim", "SSIM"), ("seconds", "s/image"),
                                  ("time_vs_baseline", "time vs baseline"),
                                  ("reaches_baseline_lpips", "LPIPS <= baseline")])
          + f"\nIn-domain recovery (default hybrid budget, {a.n} random z): median PSNR of G(z*) vs "
            f"G(z) **{np.median(recovered):.1f} dB** (10th percentile {np.quantile(recovered, 0.1):.1f}, "
            f"share at least 30 dB {np.mean(recovered >= 30):.1%}).\n\n![quality vs time](inversion.png)\n\n"
            f"{footer(m)}")
    write_results("inversion", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows,
                                "in_domain_psnr_median": float(np.median(recovered)),
                                "in_domain_psnr_p10": float(np.quantile(recovered, 0.1)),
                                "default_config": DEFAULT_CONFIG.__dict__}, md)
    plot(rows)


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    markers = "osD^vP*Xhp"
    for i, r in enumerate(rows):  # a legend, not labels at the points: close points hid each other
        ax.scatter(r["seconds"], r["lpips"], s=36, marker=markers[i % len(markers)], label=r["method"])
    ax.legend(fontsize=8, loc="upper right")
    ax.set_xscale("log")
    ax.set_xlabel("seconds per image (log)")
    ax.set_ylabel("median LPIPS (lower is better)")
    ax.set_title("Inversion quality against time")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "inversion.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
