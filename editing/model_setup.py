"""`latent-edit train-encoder`, `vectors` and `face-setup`: the commands that make a model ready to
edit (its encoder, its attribute vectors, its face template), apart from the editing commands in
editing/cli.py, which parses their options and calls these.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from inversion.invert import POOR_FIT_MARGIN, InversionError
from training.data import DataError
from training.modelfile import load_model


def cmd_train_encoder(a: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from inversion.encoder import Encoder, EncoderTrainConfig, save_encoder, train_encoder
    from inversion.invert import Inverter
    from inversion.perceptual import LPIPS
    from training.data import model_data

    model = load_model(a.model)
    if a.iterative:
        return train_iterative(a, model)
    data = model_data(model.config, "train", a.data, root=a.data_root, model_folder=model.path)
    cfg = EncoderTrainConfig(**{k: v for k, v in (("steps", a.steps), ("batch_size", a.batch))
                                if v is not None}, seed=a.seed)
    enc = Encoder.from_discriminator(model.gan, model.discriminator)
    t0 = time.perf_counter()
    bar = tqdm(total=cfg.steps, unit="step", desc="encoder")
    lpips = LPIPS()
    for s in train_encoder(model, data, lpips, cfg, enc):
        bar.update(1)
        if s.step % 10 == 0:
            bar.set_postfix(loss=f"{s.loss:.4f}", kind=s.kind)
    bar.close()
    minutes = round((time.perf_counter() - t0) / 60, 1)
    # How closely the app's inversion draws held-out images with this encoder (an iterative encoder
    # trained for the old one is no longer used: none here either)
    fit = held_out_fit(model, a, Inverter(model, lpips, enc.eval()))
    save_encoder(model, enc, {"steps": cfg.steps, "batch_size": cfg.batch_size, "lr": cfg.lr,
                              "real_fraction": cfg.real_fraction, "w_latent": cfg.w_latent,
                              "w_pixel": cfg.w_pixel, "w_lpips": cfg.w_lpips, "seed": cfg.seed,
                              "data": data.describe(), "minutes": minutes,
                              **({} if fit is None else {"held_out": fit})})
    print(f"saved the encoder into {model.path}")
    if fit is not None:
        print(f"{fit['n']} held-out images drawn at LPIPS {fit['lpips_median']:.3f} (median), "
              f"{fit['lpips_p95']:.3f} (95th percentile): the editor says a photo further than "
              f"{POOR_FIT_MARGIN:g} times that is one the model draws poorly")
    if "refiner" in model.config.get("networks", {}):
        print(f"its iterative encoder was trained for the old encoder and is no longer used; train "
              f"it again with `latent-edit train-encoder --model {model.command_name} --iterative`")
    return 0


FIT_N = 64  # held-out images train-encoder inverts to learn how closely the model draws its kind of photo
OWN_CODES = 20_000  # the model's own codes a class slider's unit is measured on (editing.vectors.own_unit)
FIT_MIN = 8  # fewer held-out images than this say too little: nothing is recorded


def held_out_fit(model, a: argparse.Namespace, inverter) -> dict | None:
    """LPIPS of the app's hybrid inversion's pictures of the first FIT_N images of the model's test
    split (never trained on) against them: {"n", "lpips_median", "lpips_p95"}, which the editor's
    poor-fit note reads (inversion.invert.poor_fit_limit), by `inverter` (an inversion.invert.Inverter
    with the encoder just trained); None where there is no test split, and
    for a Fashion-MNIST model: its test images are not photos as the editor frames them (tinted
    items on a light background), and the product model's limit, POOR_FIT, was measured on those
    (benchmarks/poor_fit.py)."""
    import numpy as np

    from inversion.invert import reconstruction_lpips
    from training.data import model_data, trained_on_fashion_mnist

    if trained_on_fashion_mnist(model.config):
        return None
    try:
        test = model_data(model.config, "test", a.data, root=a.data_root, model_folder=model.path)
    except DataError:
        return None
    n = min(FIT_N, len(test))
    if n < FIT_MIN:
        return None
    print(f"inverting {n} held-out images as the editor does…", flush=True)
    got = reconstruction_lpips(inverter, test.batch(slice(0, n)))
    return {"n": n, "lpips_median": round(float(np.median(got)), 4),
            "lpips_p95": round(float(np.percentile(got, 95)), 4)}


def train_iterative(a: argparse.Namespace, model) -> int:
    """`train-encoder --iterative`: the iterative encoder on top of the model's encoder."""
    import time

    from tqdm import tqdm

    from inversion.encoder import load_encoder
    from inversion.perceptual import LPIPS
    from inversion.restyle import IterativeEncoder, RefinerTrainConfig, save_refiner, train_refiner
    from training.data import model_data

    encoder = load_encoder(model)
    if encoder is None:
        raise InversionError(f"{model.name} has no encoder to refine; run `latent-edit train-encoder "
                             f"--model {model.command_name}` first")
    data = model_data(model.config, "train", a.data, root=a.data_root, model_folder=model.path)
    given = {"steps": a.steps, "batch_size": a.batch, "iterations": a.iterations}
    cfg = RefinerTrainConfig(**{k: v for k, v in given.items() if v is not None}, seed=a.seed)
    net = IterativeEncoder.from_encoder(model.gan, encoder)
    t0 = time.perf_counter()
    bar = tqdm(total=cfg.steps, unit="step", desc="iterative encoder")
    for s in train_refiner(model, encoder, data, LPIPS(), cfg, net):
        bar.update(1)
        if s.step % 10 == 0:
            bar.set_postfix(loss=f"{s.loss:.4f}", kind=s.kind)
    bar.close()
    save_refiner(model, net, {**cfg.to_dict(), "data": data.describe(),
                              "minutes": round((time.perf_counter() - t0) / 60, 1)})
    print(f"saved the iterative encoder ({cfg.iterations} iterations) into {model.path}")
    return 0


def cmd_face_setup(a: argparse.Namespace) -> int:
    from inversion.faces import measure_template
    from training.data import model_data
    from training.fileio import write_json_atomic

    model = load_model(a.model)
    if model.gan.channels != 3:
        raise InversionError("face models are colour models; this one is grey")
    data = model_data(model.config, "train", a.data, model_folder=model.path)
    template = measure_template(data.images[:a.n].numpy())
    config = dict(model.config)
    config["domain"] = {"kind": "face", "landmarks": template["landmarks"],
                        "face_box": template["face_box"],
                        "measured": {"images": min(a.n, len(data)), "found": template["found"]}}
    write_json_atomic(model.path / "config.json", config)
    print(f"{model.name} is a face model now: landmarks measured on {template['found']:.0%} of "
          f"{min(a.n, len(data))} training faces; written to {model.path / 'config.json'}")
    return 0


def cmd_vectors(a: argparse.Namespace) -> int:
    from editing.vector_sets import (FACE_ATTRIBUTES, face_vectors, fashion_vectors,
                                     model_principal_directions, table_vectors)
    from editing.vectors import encode_all, save_vectors
    from inversion.encoder import load_encoder
    from inversion.restyle import first_guess, load_refiner
    from training.data import model_data
    from training.modelfile import ATTRIBUTES_FILE

    model = load_model(a.model)
    encoder = load_encoder(model)
    out = Path(a.out) if a.out else model.path / ATTRIBUTES_FILE
    try:
        data = model_data(model.config, "train", a.data, a.attributes, a.data_root, model.path)
    except DataError:
        if a.data or a.attributes:
            raise
        data = None  # images not at hand: directions need the generator only
    info = {"model_id": model.model_id, "method": a.method, "latent_space": model.latent_space}
    if data is not None and data.labels is not None:
        kind = "fashion"
    elif data is not None and data.attributes is not None:
        kind = "faces" if set(FACE_ATTRIBUTES) <= set(data.attribute_names) else "table"
    else:
        kind = "principal"
    if kind != "principal" and encoder is None:
        raise InversionError(f"{model.name} has no encoder; run `latent-edit train-encoder` first")
    if kind == "principal":
        vectors = model_principal_directions(model, a.directions)
        info.update(source="generator", codes="random", method="ganspace")
    else:
        refiner = load_refiner(model)
        codes = encode_all(lambda x: first_guess(model, encoder, refiner, x), data)
        info.update(source=data.name, codes="iterative encoder" if refiner else "encoder",
                    images=len(data))
        if kind == "fashion":
            vectors = fashion_vectors(codes, data, a.method, within_class=not a.across_classes,
                                      own=model.codes(OWN_CODES))
            info["measured"] = "across classes" if a.across_classes else "within class"
            info["class_unit"] = "the model's own codes"
        elif kind == "faces":
            vectors = face_vectors(codes, data.attributes, data.attribute_names, a.method)
        else:
            vectors = table_vectors(codes, data.attributes, data.attribute_names, a.method)
    save_vectors(out, vectors, info)
    print(f"wrote {len(vectors)} {kind} attribute vectors to {out}")
    return 0
