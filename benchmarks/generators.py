"""Generators compared in the same CPU time (issue 13): today's DCGAN with its best objective, the
same generator with the projected discriminator, the style generator with the projected
discriminator, and the DCGAN generator with the vision-aided pair of discriminators (DCGAN +
projected, each with its own loss), on products (Fashion-MNIST, 32 px grey) and faces (CelebA
subset, 64 px colour). Variant names are GENERATOR+DISCRIMINATOR.

Each variant trains for the same CPU time in this process (one at a time; the budget is counted in
the process's CPU seconds, `--minutes` x the 2 threads, so work elsewhere on the machine slows a
variant's wall clock but takes nothing from its budget), is exported like a shipped model, and is
measured on the same footing:
- Frechet distance, KID, precision and recall in a classifier's feature space: the Fashion-MNIST
  domain classifier for products, the CelebA attribute classifier (faces averaged to 32 px) for
  faces; the real-vs-real floor beside them; class shares for products;
- measured-attribute slider correlation: vectors from the variant's own samples (products: the
  four measured attributes, labelled within each class; faces: five attributes by the attribute
  classifier's median split), then sliders -2..+2 on other samples, correlation pooled over images
  and values between the slider value and the measured change, in the model's own latent space
  (z, or w for the style generator);
- a sample grid per variant, looked at.

    python -m benchmarks.generators --minutes 8 --n 5000

The run folders stay in runs/generators/ with a large step target, so the winner's run goes on as
the long run with `latent-gan train --resume runs/generators/DOMAIN-VARIANT`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from editing.measure import MEASURED, measure
from editing.vectors import make_vector, median_split, within_class_vector
from training.classifier import CLASSIFIERS_DIR, at_classifier_side, load_classifier
from training.cli import main as latent_gan
from training.data import ImageSet, load_dataset
from training.fileio import write_json_atomic
from training.images import grid_image
from training.loop import TrainConfig, Trainer
from training.metrics import class_shares, frechet_distance, kernel_distance, precision_recall
from training.modelfile import load_model
from training.networks import GANConfig

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"  # ../shared beside the repo
PROJECTED_AUGMENT = ("translation", "cutout", "color")  # Projected GAN always trains with DiffAugment
DOMAINS = {  # what today's shipped model of each domain was trained with
    "products": dict(data="fashion-mnist", attributes=None, resolution=32, channels=1, width=64,
                     loss="lsgan", augment=()),
    "faces": dict(data=str(FACES / "celeba10k-64.zip"), attributes=str(FACES / "celeba10k-attributes.csv"),
                  resolution=64, channels=3, width=48, loss="hinge",
                  augment=("translation", "color", "cutout")),
}
VARIANTS = {  # name: (generator, discriminator, loss or None for the domain's, augment or None)
    "dcgan": ("dcgan", "dcgan", None, None),
    "dcgan+projected": ("dcgan", "projected", "hinge", PROJECTED_AUGMENT),
    "style+projected": ("style", "projected", "hinge", PROJECTED_AUGMENT),
    # Vision-aided GAN: DCGAN G, the DCGAN D kept and the projected D added, each with the
    # domain's loss on its own logit (--discriminator dcgan+projected)
    "dcgan+vision-aided": ("dcgan", "dcgan+projected", None, PROJECTED_AUGMENT),
}
FACE_SLIDERS = ("Smiling", "Male", "Young", "Eyeglasses", "Bangs")
SLIDER_VALUES = (-2.0, -1.0, 0.0, 1.0, 2.0)


def train_config(domain: str, variant: str) -> TrainConfig:
    d = DOMAINS[domain]
    g, disc, loss, augment = VARIANTS[variant]
    gan = GANConfig(resolution=d["resolution"], channels=d["channels"], width=d["width"],
                    generator=g, discriminator=disc)
    return TrainConfig(gan=gan, data=d["data"], attributes=d["attributes"], loss=loss or d["loss"],
                       augment=augment if augment is not None else d["augment"], steps=1_000_000,
                       sample_every=250, checkpoint_every=250)


def train_for(cfg: TrainConfig, data: ImageSet, out: Path, cpu_minutes: float) -> dict:
    """Train (or go on training) until `cpu_minutes` of this process's CPU time are spent on it
    (kept in budget.json beside the checkpoint); export the model."""
    trainer = Trainer(cfg, data, out, resume=(out / "checkpoint.safetensors").is_file())
    spent_file = out / "budget.json"
    spent = json.loads(spent_file.read_text())["cpu_seconds"] if spent_file.is_file() else 0.0
    budget = cpu_minutes * 60
    if spent < budget:
        start, done = time.process_time(), spent
        for _ in trainer.steps():
            done = spent + time.process_time() - start
            if done >= budget:
                break
        trainer.save()
        trainer.write_samples()
        write_json_atomic(spent_file, {"cpu_seconds": done, "step": trainer.step})
        spent = done
    assert latent_gan(["export", str(out), "--out", str(out / "model")]) == 0
    return {"steps": trainer.step, "cpu_minutes": spent / 60, "minutes": trainer.seconds / 60,
            "s_per_step": trainer.seconds / max(trainer.step, 1)}


def halve(x: torch.Tensor) -> torch.Tensor:
    """Model images (N, 3, 64, 64) in [-1, 1] -> 32 px, as the attribute classifier reads faces."""
    return at_classifier_side(x, x.shape[-1] // 2)


class Judge:
    """The feature space, the real sets and the slider measure of one domain."""

    def __init__(self, domain: str, n: int):
        d = DOMAINS[domain]
        self.domain = domain
        path = CLASSIFIERS_DIR / ("fashion-mnist" if domain == "products" else "celeba-64-attributes")
        self.net, config = load_classifier(path)
        self.prepare = (lambda x: x) if domain == "products" else halve
        train, test = (load_dataset(d["data"], d["resolution"], d["channels"], s,
                                    attributes=d["attributes"]) for s in ("train", "test"))
        rng = np.random.default_rng(0)
        self.test = self.features(test.batch(slice(0, len(test))))
        pick = torch.as_tensor(rng.choice(len(train), min(n, len(train)), replace=False))
        self.real = self.features(train.batch(pick))
        self.attribute_columns = [config["attributes"].index(a) for a in FACE_SLIDERS] \
            if domain == "faces" else []

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> np.ndarray:
        return torch.cat([self.net.features(self.prepare(b)) for b in x.split(500)]).numpy()

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.net(self.prepare(b)) for b in x.split(500)])

    def quality(self, fake_x: torch.Tensor) -> dict:
        fake = self.features(fake_x)
        floor = frechet_distance(self.real, self.test)
        fd = frechet_distance(fake, self.test)
        kid, kid_se = kernel_distance(fake, self.test)
        precision, recall = precision_recall(self.test, fake, 3)
        out = {"frechet": fd, "floor": floor, "ratio": fd / max(floor, 1e-12), "kid_x1000": 1000 * kid,
               "kid_se_x1000": 1000 * kid_se, "precision": precision, "recall": recall}
        if self.domain == "products":
            shares = class_shares(self.logits(fake_x).argmax(1).numpy(), 10)
            out.update(class_min=float(shares.min()), class_max=float(shares.max()))
        return out

    @torch.no_grad()
    def measured(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each slider's measured attribute of images x: the four measured attributes of products,
        the attribute classifier's logits for faces."""
        if self.domain == "products":
            return measure(x)
        logits = self.logits(x)
        return {name: logits[:, c] for name, c in zip(FACE_SLIDERS, self.attribute_columns)}

    @torch.no_grad()
    def sliders(self, model, n_fit: int = 2000, n_test: int = 300) -> dict:
        """Pooled correlation between slider value and measured change, per attribute."""
        codes = model.codes(n_fit, seed=1)
        x = torch.cat([model.decode(c) for c in codes.split(500)])
        values = self.measured(x)
        if self.domain == "products":
            classes = self.logits(x).argmax(1)
            vectors = {k: within_class_vector(k, codes, values[k], classes) for k in MEASURED}
        else:
            vectors = {k: make_vector(k, codes, median_split(values[k])) for k in FACE_SLIDERS}
        z0 = model.codes(n_test, seed=2)
        base = self.measured(model.decode(z0))
        out = {}
        for k, v in vectors.items():
            a_all, deltas = [], []
            for a in SLIDER_VALUES:
                moved = self.measured(model.decode(z0 + a * v.spread * v.unit))[k]
                a_all.append(np.full(len(z0), a))
                deltas.append((moved - base[k]).numpy())
            target = np.concatenate(deltas)
            out[k] = float(np.corrcoef(np.concatenate(a_all), target)[0, 1]) if target.std() > 0 else 0.0
        out["pooled_mean"] = float(np.mean(list(out.values())))
        return out


def sample_strip(model, n: int = 16, side: int = 64) -> np.ndarray:
    """n samples (seed 0) in a row, each shown `side` pixels wide (nearest-neighbour enlarged)."""
    x = model.sample(n, seed=0)
    x = F.interpolate(x, size=(side, side), mode="nearest")
    return np.asarray(grid_image(x, nrow=n).convert("RGB"))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=8.0,
                   help="training minutes per variant, as CPU time over the 2 threads")
    p.add_argument("--n", type=int, default=5000, help="samples for the quality measures")
    p.add_argument("--domains", default="products,faces")
    p.add_argument("--only", default=",".join(VARIANTS), help="variants, comma-separated")
    p.add_argument("--runs", default="runs/generators", help="folder of the run folders")
    p.add_argument("--name", default="generators", help="results name in benchmarks/results/")
    a = p.parse_args()
    domains = [d for d in a.domains.split(",") if d]
    if "faces" in domains and not (FACES / "celeba10k-64.zip").is_file():
        raise SystemExit(f"the face comparison needs {FACES} (CelebA subset in ../shared)")
    torch.set_num_threads(2)
    rows, results, strips = [], {}, []
    for domain in domains:
        judge = None
        for variant in a.only.split(","):
            cfg = train_config(domain, variant)
            data = load_dataset(cfg.data, cfg.gan.resolution, cfg.gan.channels, "train",
                                attributes=cfg.attributes)
            out = Path(a.runs) / f"{domain}-{variant}"
            t0 = time.perf_counter()
            run = train_for(cfg, data, out, a.minutes * torch.get_num_threads())
            print(f"{domain} {variant}: {run['steps']} steps in {run['cpu_minutes']:.1f} CPU min "
                  f"({run['minutes']:.1f} min)", flush=True)
            judge = judge or Judge(domain, a.n)
            model = load_model(out / "model")
            quality = judge.quality(model.sample(a.n, seed=0))
            sliders = judge.sliders(model)
            grid_image(model.sample(64, seed=0), nrow=8).save(RESULTS / f"{a.name}-{domain}-{variant}.png")
            strips.append((f"{domain} {variant}", sample_strip(model)))
            row = {"domain": domain, "variant": variant, "loss": cfg.loss,
                   "augment": ",".join(cfg.augment) or "-", **run, **quality,
                   "slider_correlation": sliders["pooled_mean"],
                   "wall_minutes": (time.perf_counter() - t0) / 60}
            rows.append(row)
            results[f"{domain}/{variant}"] = {"config": cfg.to_dict(), "run": run, "quality": quality,
                                              "sliders": sliders}
            print(row, flush=True)
    strip = np.concatenate([s for _, s in strips], axis=0)
    Image.fromarray(strip).save(RESULTS / f"{a.name}.png")
    m = machine()
    command = " ".join(["python -m benchmarks.generators", f"--minutes {a.minutes:g}", f"--n {a.n}"]
                       + [f"--{k} {v}" for k, v in (("domains", a.domains), ("only", a.only),
                                                    ("name", a.name))
                          if v != p.get_default(k)])
    md = (f"# Generators in the same CPU time\n\n`{command}`: each variant trained for {a.minutes:g} "
          f"minutes of CPU time over 2 threads ({2 * a.minutes:g} CPU minutes; a run folder's "
          f"budget.json lets a later call continue it to a larger budget) in one process, one after "
          f"another, then {a.n} samples measured in the domain's classifier feature "
          f"space (products: the Fashion-MNIST classifier; faces: the CelebA attribute classifier on "
          f"faces averaged to 32 px). Ratio: Frechet distance / the real-vs-real floor. Slider "
          f"correlation: mean over the attributes of the pooled correlation between slider value "
          f"(-2..+2) and measured change (products: brightness, area, height, width within class; "
          f"faces: {', '.join(FACE_SLIDERS)} by the attribute classifier), in the model's own latent "
          f"space.\n\n"
          + markdown_table(rows, [("domain", "domain"), ("variant", "variant"), ("loss", "loss"),
                                  ("steps", "steps"), ("cpu_minutes", "CPU min"),
                                  ("minutes", "wall min"),
                                  ("frechet", "Frechet"), ("ratio", "x floor"),
                                  ("kid_x1000", "KID x1000"), ("precision", "precision"),
                                  ("recall", "recall"), ("class_min", "class min"),
                                  ("class_max", "class max"),
                                  ("slider_correlation", "slider correlation")])
          + "\n## Sliders, per attribute\n\n"
          + "\n".join(f"- {k}: " + ", ".join(f"{a} {v:.3f}" for a, v in r["sliders"].items())
                      for k, r in results.items())
          + f"\n\n![16 samples of each variant, seed 0]({a.name}.png)\n\n"
          + "Rows, top to bottom: " + "; ".join(name for name, _ in strips) + ".\n\n"
          + f"{footer(m)}")
    write_results(a.name, {"machine": m, "minutes": a.minutes, "n": a.n, "results": results}, md)


if __name__ == "__main__":
    main()
