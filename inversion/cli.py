"""`latent-edit`: invert photos and train the encoder, without the GUI.

    latent-edit invert PHOTO --model NAME --out code.npz --preview recon.png
    latent-edit train-encoder --model NAME --steps 3000

Thin: parse, build a config, call one function.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from inversion.domain import NoObjectError
from inversion.invert import (DEFAULT_CONFIG, METHODS, InversionError, Inverter, config_with,
                              photo_to_model, save_code)
from inversion.photo import PhotoError, load_photo
from training.data import DataError
from training.images import grid_image, save_png
from training.modelfile import DEFAULT_MODEL, ModelFormatError, load_model


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latent-edit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    i = sub.add_parser("invert", help="find the latent code of a photo")
    i.add_argument("photo")
    i.add_argument("--model", default=DEFAULT_MODEL, help="model name in assets/models/ or a folder")
    i.add_argument("--out", required=True, help="code file to write (.npz)")
    i.add_argument("--preview", help="PNG of G(z) in the model's domain")
    i.add_argument("--preview-scale", type=int, default=8, help="integer upscaling of the preview")
    i.add_argument("--method", default="hybrid", choices=METHODS)
    i.add_argument("--steps", type=int, help=f"optimisation steps (default {DEFAULT_CONFIG.steps})")
    i.add_argument("--starts", type=int, help=f"starts per image (default {DEFAULT_CONFIG.starts})")
    i.add_argument("--lpips-weight", type=float, help=f"default {DEFAULT_CONFIG.w_lpips}")
    i.add_argument("--prior-weight", type=float, help=f"default {DEFAULT_CONFIG.w_prior}")
    i.add_argument("--whole-image", action="store_true",
                   help="use the whole image instead of looking for an object")
    i.add_argument("--quiet", action="store_true")
    e = sub.add_parser("train-encoder", help="train the model's encoder (generator frozen)")
    e.add_argument("--model", default=DEFAULT_MODEL)
    e.add_argument("--steps", type=int, default=3000)
    e.add_argument("--batch", type=int, default=64)
    e.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files")
    e.add_argument("--seed", type=int, default=0)
    return parser


def cmd_invert(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    model = load_model(a.model)
    photo = load_photo(a.photo)
    try:
        x, mapping = photo_to_model(model, photo, a.whole_image)
    except NoObjectError as err:
        print(f"error: {photo.path.name}: {err}. Run again with --whole-image to use the whole "
              f"image.", file=sys.stderr)
        return 2
    cfg = config_with(DEFAULT_CONFIG, steps=a.steps, starts=a.starts, w_lpips=a.lpips_weight,
                      w_prior=a.prior_weight)
    inverter = Inverter.for_model(model)
    bar = tqdm(total=cfg.steps if a.method != "encoder" else 1, unit="step", disable=a.quiet,
               desc=f"{a.method} {photo.path.name}")
    last = None
    for last in inverter.run(x, a.method, cfg):
        bar.update(max(1, last.step) - bar.n)
        bar.set_postfix(loss=f"{last.loss[0].item():.4f}")
    bar.close()
    save_code(a.out, last.z[0], mapping, model, photo.path.resolve(),
              {"method": a.method, "steps": last.step, "loss": last.loss[0].item()})
    if a.preview:
        img = grid_image(last.preview, nrow=1, padding=0)
        r = model.gan.resolution * a.preview_scale
        from PIL import Image

        save_png(img.resize((r, r), Image.Resampling.LANCZOS), a.preview)
    print(f"{photo.path.name}: {a.method} inversion in {last.step} steps, loss "
          f"{last.loss[0].item():.4f}; code in {a.out}" + (f", preview in {a.preview}" if a.preview else ""))
    return 0


def cmd_train_encoder(a: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from inversion.encoder import EncoderTrainConfig, save_encoder, train_encoder
    from inversion.perceptual import LPIPS
    from training.data import load_fashion_mnist

    model = load_model(a.model)
    data_name = model.config.get("data", {}).get("name", "")
    if not data_name.startswith("fashion-mnist"):
        raise DataError(f"train-encoder knows Fashion-MNIST models only for now; {model.name} was "
                        f"trained on {data_name or 'unknown data'}")
    data = load_fashion_mnist("train", model.gan.resolution, a.data_root)
    cfg = EncoderTrainConfig(steps=a.steps, batch_size=a.batch, seed=a.seed)
    from inversion.encoder import Encoder

    enc = Encoder.from_discriminator(model.gan, model.discriminator)
    t0 = time.perf_counter()
    bar = tqdm(total=cfg.steps, unit="step", desc="encoder")
    for s in train_encoder(model, data, LPIPS(), cfg, enc):
        bar.update(1)
        if s.step % 10 == 0:
            bar.set_postfix(loss=f"{s.loss:.4f}", kind=s.kind)
    bar.close()
    save_encoder(model, enc, {"steps": cfg.steps, "batch_size": cfg.batch_size, "lr": cfg.lr,
                              "real_fraction": cfg.real_fraction, "w_latent": cfg.w_latent,
                              "w_pixel": cfg.w_pixel, "w_lpips": cfg.w_lpips, "seed": cfg.seed,
                              "data": data.describe(),
                              "minutes": round((time.perf_counter() - t0) / 60, 1)})
    print(f"saved the encoder into {model.path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        return {"invert": cmd_invert, "train-encoder": cmd_train_encoder}[a.command](a)
    except (PhotoError, ModelFormatError, InversionError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
