"""Does the editor tell a photo the product model cannot draw from one it can? The reconstruction's
LPIPS against the photo as the model sees it, after the app's hybrid inversion, on held-out product
photos and on scikit-image's photos that are not products.

    python -m benchmarks.poor_fit [--n 100] [--model fashion-mnist-32] [--name poor_fit]

A walkthrough opened scikit-image's cup of coffee and its cat with the product model: both framed as
"objects", edited into grey boots and square rims, and nothing said that the model knows clothes,
shoes and bags only. The editor now says so after the inversion when the model's picture of the
photo lies further than inversion.invert.POOR_FIT from it (QualityMeter.poor_fit). Photos: the first
`--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits), and every
scikit-image colour or grey photo below, framed as the app frames them (an object on a plain
background, else the whole image, as the app offers). Writes benchmarks/results/poor_fit.{json,md}.

`--model` another model (a folder: a model of a user's own photos): its held-out photos are the first
`--n` images of its test split, the others also three Fashion-MNIST test items as tinted product
photos, and the limit is the model's own (inversion.invert.poor_fit_limit: from the held-out images
its encoder recorded, `latent-edit train-encoder`).
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
from benchmarks.editing import fake_photo
from inversion.framing import DomainSpec, NoObjectError, to_model
from inversion.invert import Inverter, poor_fit_limit, reconstruction_lpips
from training.data import load_fashion_mnist, model_data, trained_on_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

OTHERS = ("coffee.png", "chelsea.png", "rocket.jpg", "camera.png", "astronaut.png", "motorcycle_left.png",
          "hubble_deep_field.jpg", "coins.png")  # scikit-image's photos of things that are not products


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--name", default="poor_fit")
    a = p.parse_args()
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    model = load_model(a.model)
    inverter = Inverter.for_model(model)
    spec = DomainSpec.for_model(model.config)
    limit = poor_fit_limit(model)
    products = trained_on_fashion_mnist(model.config)
    if products:
        _, _, xs = tinted_photos(model, a.n)
        held, what, framing = torch.cat(xs), "held-out product photos", "object"
    else:
        test = model_data(model.config, "test", model_folder=model.path)
        held = test.batch(slice(0, a.n))
        what, framing = "held-out images of its test split", spec.kind
    got = reconstruction_lpips(inverter, held)
    rows = [{"photos": f"{len(held)} {what}", "framed": framing, "median": float(np.median(got)),
             "p95": float(np.percentile(got, 95)), "max": float(got.max()),
             "flagged": float((got > limit).mean())}]
    folder = Path(skimage.__file__).parent / "data"
    others = [(name, np.asarray(Image.open(folder / name).convert("RGB"))) for name in OTHERS]
    if not products:
        test = load_fashion_mnist("test", 32)
        others += [(f"Fashion-MNIST test item {i} as a product photo",
                    fake_photo(test.images[i, 2:30, 2:30, 0].numpy(), (100, 110, 50))) for i in range(3)]
    for name, pixels in others:
        try:
            x, _ = to_model(pixels, model.gan.resolution, model.gan.channels, spec)
            framed = spec.kind
        except NoObjectError:
            x, _ = to_model(pixels, model.gan.resolution, model.gan.channels, spec, whole_image=True)
            framed = "whole image"
        one = float(reconstruction_lpips(inverter, x)[0])
        rows.append({"photos": name, "framed": framed, "median": one, "p95": None, "max": None,
                     "flagged": float(one > limit)})
        print(rows[-1], flush=True)
    m = machine()
    command = (f"python -m benchmarks.poor_fit --n {a.n}"
               + (f" --model {a.model}" if a.model != DEFAULT_MODEL else "")
               + (f" --name {a.name}" if a.name != "poor_fit" else ""))
    md = (f"# A photo the model cannot draw, told from one it can\n\n`{command}` "
          f"({time.perf_counter() - t0:.0f} s). Model {model.model_id}. LPIPS of the app's hybrid "
          f"inversion's picture against the photo as the model sees it; *flagged*: the share over "
          f"{limit} (inversion.invert.poor_fit_limit), where the editor says, after the inversion, that the "
          f"model draws the photo poorly. Held-out: the first {len(held)} "
          + ("Fashion-MNIST test images as tinted product photos" if products else
             "images of the model's test split (never trained on)")
          + "; the others: scikit-image's photos, framed as the app frames them"
          + ("" if products else ", and three Fashion-MNIST test items as tinted product photos") + ".\n\n"
          + markdown_table(rows, [("photos", "photos"), ("framed", "framed as"), ("median", "LPIPS (median)"),
                                  ("p95", "95th percentile"), ("max", "largest"), ("flagged", "flagged")])
          + "\n\n" + footer(m))
    write_results(a.name, {"machine": m, "model": model.model_id, "n": a.n, "limit": limit, "rows": rows,
                           "held_out": got.tolist()}, md)



if __name__ == "__main__":
    main()
