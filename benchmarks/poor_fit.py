"""Does the editor tell a photo the product model cannot draw from one it can? The reconstruction's
LPIPS against the photo as the model sees it, after the app's hybrid inversion, on held-out product
photos and on scikit-image's photos that are not products.

    python -m benchmarks.poor_fit [--n 100]

A walkthrough opened scikit-image's cup of coffee and its cat with the product model: both framed as
"objects", edited into grey boots and square rims, and nothing said that the model knows clothes,
shoes and bags only. The editor now says so after the inversion when the model's picture of the
photo lies further than editor.quality.POOR_FIT from it (QualityMeter.poor_fit). Photos: the first
`--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits), and every
scikit-image colour or grey photo below, framed as the app frames them (an object on a plain
background, else the whole image, as the app offers). Writes benchmarks/results/poor_fit.{json,md}.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import skimage
import torch
from PIL import Image

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.product_edits import tinted_photos
from editor.quality import POOR_FIT
from inversion.framing import DomainSpec, NoObjectError, to_model
from inversion.invert import Inverter
from training.modelfile import load_model

OTHERS = ("coffee.png", "chelsea.png", "rocket.jpg", "camera.png", "astronaut.png", "motorcycle_left.png",
          "hubble_deep_field.jpg", "coins.png")  # scikit-image's photos of things that are not products


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100)
    a = p.parse_args()
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    model = load_model("fashion-mnist-32")
    inverter = Inverter.for_model(model)
    spec = DomainSpec.for_model(model.config)
    _, _, xs = tinted_photos(model, a.n)
    products = reconstruction_lpips(inverter, torch.cat(xs))
    rows = [{"photos": f"{a.n} held-out product photos", "framed": "object",
             "median": float(np.median(products)),
             "p95": float(np.percentile(products, 95)), "max": float(products.max()),
             "flagged": float((products > POOR_FIT).mean())}]
    folder = Path(skimage.__file__).parent / "data"
    for name in OTHERS:
        pixels = np.asarray(Image.open(folder / name).convert("RGB"))
        try:
            x, _ = to_model(pixels, model.gan.resolution, model.gan.channels, spec)
            framed = "object"
        except NoObjectError:
            x, _ = to_model(pixels, model.gan.resolution, model.gan.channels, spec, whole_image=True)
            framed = "whole image"
        got = float(reconstruction_lpips(inverter, x)[0])
        rows.append({"photos": name, "framed": framed, "median": got, "p95": None, "max": None,
                     "flagged": float(got > POOR_FIT)})
        print(rows[-1], flush=True)
    m = machine()
    md = (f"# A photo the product model cannot draw, told from one it can\n\n`python -m benchmarks.poor_fit "
          f"--n {a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}. LPIPS of the app's hybrid "
          f"inversion's picture against the photo as the model sees it; *flagged*: the share over "
          f"POOR_FIT = {POOR_FIT} (editor.quality), where the editor says, after the inversion, that the "
          f"model draws the photo poorly. Held-out products: the first {a.n} Fashion-MNIST test images as "
          f"tinted product photos; the others: scikit-image's photos, framed as the app frames them.\n\n"
          + markdown_table(rows, [("photos", "photos"), ("framed", "framed as"), ("median", "LPIPS (median)"),
                                  ("p95", "95th percentile"), ("max", "largest"), ("flagged", "flagged")])
          + "\n\n" + footer(m))
    write_results("poor_fit", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows,
                               "products": products.tolist()}, md)


def reconstruction_lpips(inverter: Inverter, x: torch.Tensor) -> np.ndarray:
    """(N,) LPIPS of the hybrid inversion's pictures of `x` (N, C, R, R) against `x`."""
    z = inverter.invert(x).z
    with torch.no_grad():
        return inverter.lpips(inverter.model.decode(z), x).numpy().reshape(-1)


if __name__ == "__main__":
    main()
