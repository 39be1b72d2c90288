"""A long training run against the shipped model it continues (issue 13's long runs): the same
quality measures as benchmarks.generators (Frechet distance, KID, precision and recall in the
domain classifier's feature space, on the same real sets), and a 64-sample grid of each to look at.

    python -m benchmarks.long_run [--run runs/long/faces-dcgan-cont] [--shipped celeba-64] [--n 5000]

The run's checkpoint is exported (`latent-gan export`: its EMA generator) to a temporary model
folder first; nothing in assets/ changes. Writes benchmarks/results/long_run.{json,md,png}.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, machine, markdown_table, write_results
from benchmarks.generators import Judge
from training.modelfile import load_model
from training.pixels import to_uint8

DOMAIN_OF = {3: "faces", 1: "products"}  # by the model's channels


def grid(model, n: int = 64) -> np.ndarray:
    """(8 rows of n / 8) samples of seed 0, as one uint8 picture."""
    with torch.no_grad():
        images = to_uint8(model.sample(n, seed=0))
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, -1)
    side = int(np.sqrt(n))
    return np.concatenate([np.concatenate(list(images[r * side:(r + 1) * side]), 1) for r in range(side)], 0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", default="runs/long/faces-dcgan-cont", help="run folder with checkpoint.safetensors")
    p.add_argument("--shipped", default="celeba-64", help="the shipped model the run continues")
    p.add_argument("--n", type=int, default=5000, help="samples for the quality measures")
    a = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        done = subprocess.run([sys.executable, "-m", "training.cli", "export", a.run, "--out", str(out)],
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"export failed: {done.stderr.strip()}")
        step = done.stdout.strip().rsplit("step ", 1)[-1].rstrip(")")
        shipped, trained = load_model(a.shipped), load_model(out)
        judge = Judge(DOMAIN_OF[shipped.gan.channels], a.n)
        rows = []
        for label, model in ((f"{a.shipped} (shipped)", shipped), (f"{Path(a.run).name}, step {step}", trained)):
            quality = judge.quality(model.sample(a.n, seed=0))
            rows.append({"model": label, **quality})
            print(json.dumps(rows[-1]), flush=True)
        pictures = [grid(shipped), grid(trained)]
    gap = np.full((pictures[0].shape[0], 16, 3), 255, np.uint8)
    Image.fromarray(np.concatenate([pictures[0], gap, pictures[1]], 1)).save(RESULTS / "long_run.png")
    m = machine()
    md = (f"# A long run against the shipped model it continues\n\n`python -m benchmarks.long_run --run "
          f"{a.run} --shipped {a.shipped} --n {a.n}`: {a.n} samples (seed 0) of each, measured as "
          f"benchmarks.generators measures them (the domain classifier's feature space, against the "
          f"held-out set; ratio: Frechet distance / the real-vs-real floor).\n\n"
          + markdown_table(rows, [("model", "model"), ("frechet", "Frechet"), ("ratio", "x floor"),
                                  ("kid_x1000", "KID x1000"), ("precision", "precision"),
                                  ("recall", "recall")])
          + f"\n\n![64 samples, seed 0: shipped (left), the run (right)](long_run.png)\n\n"
          f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['date']}, commit {m['commit']}\n")
    write_results("long_run", {"machine": m, "run": a.run, "step": step, "rows": rows}, md)


if __name__ == "__main__":
    main()
