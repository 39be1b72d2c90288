"""The six GAN objectives compared: same architecture, same wall-clock budget, same evaluation.

    .venv/bin/python -m benchmarks.objectives [--minutes 3] [--n 5000] [--only hinge,lsgan]
                                              [--name objectives]

Each objective trains the shipped architecture (DCGAN, 32 px, width 64, batch 64, EMA generator)
on Fashion-MNIST for the same number of wall-clock minutes on this CPU, then is evaluated like the
shipped model (`latent-gan eval`) with n samples. The Wasserstein critics (wgan, wgan-gp) run
without spectral normalisation, as in their papers (clipping or the gradient penalty is their
Lipschitz constraint); the others keep the shipped spectral norm. Writes
benchmarks/results/NAME.{json,md} and NAME.png (samples of each); `--only` runs some objectives
(e.g. the leaders of a short run, for longer).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from training.classifier import load_classifier
from training.data import load_fashion_mnist
from training.evaluate import evaluate
from training.loop import TrainConfig, Trainer
from training.losses import OBJECTIVES
from training.modelfile import export_model, load_model
from training.networks import GANConfig


def train_for(loss: str, seconds: float, data, out: Path) -> tuple[Path, int]:
    """Train with objective `loss` for `seconds` of wall-clock time; export; (model folder, steps)."""
    gan = GANConfig(spectral_norm=loss not in ("wgan", "wgan-gp"))
    lr = 5e-5 if loss == "wgan" else 2e-4  # weight clipping wants a small step (Arjovsky et al.)
    cfg = TrainConfig(gan=gan, loss=loss, steps=10**9, lr_g=lr, lr_d=lr, sample_every=10**9,
                      checkpoint_every=10**9, device="cpu")
    trainer = Trainer(cfg, data, out / "run")
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.train_step()
    model = export_model(out / "model", gan, trainer.G_ema, trainer.D,
                         {"data": data.describe(), "training": {"steps": trainer.step, "loss": loss}})
    return model, trainer.step


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--only", help="comma-separated objectives (default: all six)")
    p.add_argument("--name", default="objectives", help="results file name in benchmarks/results")
    a = p.parse_args()
    objectives = a.only.split(",") if a.only else list(OBJECTIVES)
    unknown = sorted(set(objectives) - set(OBJECTIVES))
    if unknown:
        p.error(f"unknown objective {', '.join(unknown)}; choose from {', '.join(OBJECTIVES)}")
    train, test = load_fashion_mnist("train", 32), load_fashion_mnist("test", 32)
    classifier, _ = load_classifier()
    rows, samples = [], {}
    work = Path(tempfile.mkdtemp(prefix="objectives-"))
    for loss in objectives:
        folder, steps = train_for(loss, a.minutes * 60, train, work / loss)
        model = load_model(folder)
        numbers, arrays = evaluate(model, classifier, train, test, a.n)
        samples[loss] = arrays["fake"][:32]
        f, c, pr = numbers["frechet"], numbers["classes"], numbers["precision_recall"]["generated"]
        rows.append({"objective": loss, "steps": steps, "frechet": f["generated_vs_test"],
                     "ratio": f["ratio_to_floor"], "kid": 1000 * numbers["kid"]["generated_vs_test"],
                     "is": numbers["inception_score"]["generated"], "tv": c["total_variation"],
                     "min_share": 100 * c["min_share"], "max_share": 100 * c["max_share"],
                     "precision": pr["precision"], "recall": pr["recall"],
                     "memorised": 100 * numbers["memorisation"]["share"]})
        floor = f["real_vs_test"]
        print(rows[-1], flush=True)
    best = min(rows, key=lambda r: r["frechet"])
    m = machine()
    command = f"python -m benchmarks.objectives --minutes {a.minutes:g} --n {a.n}"
    command += f" --only {a.only}" if a.only else ""
    command += f" --name {a.name}" if a.name != "objectives" else ""
    md = (f"# GAN objectives compared, {a.minutes:g} minutes each on this CPU\n\n"
          f"Shipped architecture, Fashion-MNIST 32 px, batch 64, EMA generator; {a.n} samples each, "
          f"evaluated as in `latent-gan eval` (Frechet distance floor, real vs real: {floor:.3f}). "
          f"`{command}`\n\n"
          + markdown_table(rows, [("objective", "objective"), ("steps", "steps"),
                                  ("frechet", "Frechet"), ("ratio", "x floor"), ("kid", "KID x1000"),
                                  ("is", "IS analogue"), ("tv", "class TV"),
                                  ("min_share", "min class %"), ("max_share", "max class %"),
                                  ("precision", "precision"), ("recall", "recall"),
                                  ("memorised", "memorised %")])
          + f"\nBest by Frechet distance: **{best['objective']}**.\n\n![samples]({a.name}.png)\n\n"
            f"{footer(m)}")
    write_results(a.name, {"machine": m, "minutes": a.minutes, "n": a.n, "floor": floor,
                                 "rows": rows, "best": best["objective"]}, md)
    picture(samples, a.name)


def picture(samples: dict[str, torch.Tensor], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from training.images import grid_image

    fig, axes = plt.subplots(1, len(samples), figsize=(3 * len(samples), 1.9 * 2), dpi=100)
    for ax, (objective, x) in zip(np.atleast_1d(axes), samples.items()):
        ax.imshow(np.asarray(grid_image(x, nrow=8)), cmap="gray")
        ax.set_title(objective)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(RESULTS / f"{name}.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
