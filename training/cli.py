"""`latent-gan`: train a GAN, export it to the model format, draw samples.

    latent-gan train --data fashion-mnist --loss lsgan --res 32 --steps 20000 --out runs/NAME
    latent-gan train --resume runs/NAME
    latent-gan export runs/NAME --out assets/models/NAME
    latent-gan sample --model assets/models/NAME --n 64 --seed 0 --out grid.png
    latent-gan train-classifier --out assets/classifiers/fashion-mnist
    latent-gan eval --model NAME --n 10000 --out benchmarks/results/eval-NAME

Thin: parse, build a config, call one function. Works under `torchrun --nproc_per_node=N`.
"""
from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.checkpoint import holds_run, latest_checkpoint, module_state
from training.augment import check_augment
from training.data import load_dataset, recorded_paths
from training.errors import OptionError
from training.fileio import atomic_path
from training.images import grid_image, save_png
from training.losses import OBJECTIVES
from training.architectures import build_discriminator, build_generator
from training.modelfile import export_model, load_model
from training.networks import DISCRIMINATORS, GENERATORS, GANConfig
from training.options import check_range, replace_given, run_command

if TYPE_CHECKING:
    from training.loop import TrainConfig


def add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="fashion-mnist",
                   help='"fashion-mnist" or a folder / .zip of JPEG, PNG or WebP images')
    p.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files "
                   "(default /usr/share/datasets/fashion-mnist)")
    p.add_argument("--attributes", help="attribute table for an image folder (CSV or CelebA txt)")
    p.add_argument("--test-fraction", type=float, default=0.1, help="image folders: the last "
                   "share of the sorted files is the test split, never trained on (default 0.1)")
    p.add_argument("--loss", default="hinge", choices=sorted(OBJECTIVES))
    p.add_argument("--res", type=int, default=32, choices=(32, 64, 128), help="resolution")
    p.add_argument("--channels", type=int, default=None, choices=(1, 3),
                   help="1 grey, 3 colour (default: 1 for fashion-mnist, else 3)")
    p.add_argument("--latent", type=int, default=128, help="latent size")
    p.add_argument("--width", type=int, default=64, help="network width")
    p.add_argument("--no-spectral-norm", action="store_true")
    p.add_argument("--generator", default="dcgan", choices=GENERATORS,
                   help="dcgan (z -> image) or style (StyleGAN2-like, z -> w -> image; edits in w)")
    p.add_argument("--discriminator", default="dcgan", choices=DISCRIMINATORS,
                   help="dcgan, projected (frozen ImageNet AlexNet features + small trained heads), "
                   "or dcgan+projected (both, each trained by its own loss: vision-aided GAN)")
    p.add_argument("--projected-weight", type=float, default=1.0, help="dcgan+projected: weight "
                   "of the projected discriminator's losses, the DCGAN one's being 1 (default 1)")
    p.add_argument("--teacher", metavar="MODEL", help="a trained model (folder or shipped name) whose "
                   "generator this one also learns to imitate, code for code (knowledge distillation: "
                   "e.g. a narrower, faster generator from a wider one); a z model of the same size")
    p.add_argument("--teacher-weight", type=float, default=None, help="--teacher: weight of the mean "
                   "absolute difference to the teacher's picture of the same code (default 10; with "
                   "--resume, a new weight; --teacher with --resume: the same teacher's new place)")
    p.add_argument("--mapping-layers", type=int, default=4, help="style generator: layers z -> w")
    p.add_argument("--feature-size", type=int, default=0, help="projected discriminator: side "
                   "images are resized to before AlexNet (default max(64, resolution))")
    p.add_argument("--steps", type=int, default=None,
                   help="generator updates (default 10000; with --resume, a new target)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr-g", type=float, default=None,
                   help="generator learning rate (default 2e-4; with --resume, a new rate)")
    p.add_argument("--lr-d", type=float, default=None,
                   help="discriminator learning rate (default 2e-4; with --resume, a new rate)")
    p.add_argument("--ema", type=float, default=None,
                   help="EMA decay of generator weights (default 0.999; with --resume, a new decay)")
    p.add_argument("--augment", default=None, help="DiffAugment policy, e.g. translation,cutout,color "
                   "(default none; with a projected discriminator translation,cutout,color); "
                   "--augment '' turns it off")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample-every", type=int, default=None,
                   help="steps between sample grids (default 500; with --resume, a new interval)")
    p.add_argument("--checkpoint-every", type=int, default=None,
                   help="steps between checkpoints (default 1000; with --resume, a new interval)")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast on CUDA")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latent-gan", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a GAN (Ctrl-C saves a checkpoint)")
    add_train_args(t)
    t.add_argument("--out", help="run folder, e.g. runs/NAME")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder; --steps may "
                   "raise its target")
    t.add_argument("--from-model", metavar="MODEL", help="a new run (--out) that goes on training an "
                   "exported model (a folder or a shipped name; its recipe's options, e.g. --loss, "
                   "given again): its generator as both G and G_ema, its discriminator, its step; the "
                   "optimisers start afresh")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("export", help="write a run's EMA generator and discriminator as a model")
    e.add_argument("run", help="run folder holding checkpoint.safetensors")
    e.add_argument("--out", required=True, help="model folder, e.g. assets/models/NAME")
    s = sub.add_parser("sample", help="draw samples from a model (deterministic for a seed)")
    s.add_argument("--model", required=True, help="model folder")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help=".png for a grid, .npy for a uint8 array")
    c = sub.add_parser("train-classifier", help="train the Fashion-MNIST domain classifier used by eval")
    c.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files")
    c.add_argument("--epochs", type=int, default=10)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", default="assets/classifiers/fashion-mnist")
    v = sub.add_parser("eval", help="Frechet/kernel distances, IS analogue, classes, precision/"
                       "recall and memorisation of a model's samples")
    v.add_argument("--model", required=True, help="model name in assets/models/ or a folder")
    v.add_argument("--n", type=int, default=10_000, help="samples to draw")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--classifier", default=None, help="classifier folder "
                   "(default assets/classifiers/fashion-mnist)")
    v.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files")
    v.add_argument("--data", help="folder or .zip of the model's images, for models not trained "
                   "on Fashion-MNIST (features: ImageNet AlexNet)")
    v.add_argument("--test-fraction", type=float, default=0.1,
                   help="with --data: the last share of the (sorted) images is the test set")
    v.add_argument("--out", help="report folder (default benchmarks/results/eval-MODEL)")
    return parser


def train_config_from_args(a: argparse.Namespace) -> "TrainConfig":
    from training.loop import TrainConfig, with_teacher

    channels = a.channels or (1 if a.data == "fashion-mnist" else 3)
    gan = GANConfig(resolution=a.res, channels=channels, latent_dim=a.latent, width=a.width,
                    spectral_norm=not a.no_spectral_norm, generator=a.generator,
                    discriminator=a.discriminator, mapping_layers=a.mapping_layers,
                    feature_size=a.feature_size)
    policy = a.augment
    if policy is None:  # Projected GAN always trains with DiffAugment
        policy = "translation,cutout,color" if "projected" in a.discriminator.split("+") else ""
    augment = tuple(s for s in policy.split(",") if s)
    cfg = TrainConfig(gan=gan, data=a.data, data_root=a.data_root, attributes=a.attributes,
                      test_fraction=a.test_fraction, loss=a.loss, steps=a.steps or 10_000,
                      batch_size=a.batch, projected_weight=a.projected_weight, augment=augment,
                      seed=a.seed, sample_every=a.sample_every or 500,
                      checkpoint_every=a.checkpoint_every or 1000, amp=a.amp, device=a.device)
    cfg = replace_given(cfg, lr_g=a.lr_g, lr_d=a.lr_d, ema_decay=a.ema,  # else TrainConfig's defaults
                        teacher_weight=a.teacher_weight)
    return with_teacher(cfg, a.teacher) if a.teacher else cfg


def cmd_train(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from training.from_model import check_from_model, start_from_model
    from training.loop import Trainer, init_distributed, leave_distributed, pick_device, resumed_config

    if a.resume:
        cfg = resumed_config(a.resume, steps=a.steps, sample_every=a.sample_every,
                             checkpoint_every=a.checkpoint_every, lr_g=a.lr_g, lr_d=a.lr_d,
                             ema_decay=a.ema, teacher=a.teacher, teacher_weight=a.teacher_weight)
        out = Path(a.resume)
    elif a.out:
        cfg, out = train_config_from_args(a), Path(a.out)
        if a.from_model and a.steps is None:
            print("error: --from-model: give --steps, the run's new target beyond the model's "
                  "own steps", file=sys.stderr)
            return 2
        source = check_from_model(cfg, a.from_model) if a.from_model else None
        if holds_run(out):
            print(f"error: {out} already holds a run; continue it with --resume {out} "
                  f"or choose another --out", file=sys.stderr)
            return 2
    else:
        print("error: give --out runs/NAME for a new run or --resume runs/NAME", file=sys.stderr)
        return 2
    dist_info = init_distributed(pick_device(cfg.device))
    data = load_dataset(cfg.data, cfg.gan.resolution, cfg.gan.channels, "train", cfg.data_root,
                        cfg.attributes, cfg.test_fraction)
    if data.skipped and dist_info.main:
        print(f"skipped {len(data.skipped)} unreadable files, e.g. {data.skipped[0]}", file=sys.stderr)
    trainer = Trainer(cfg, data, out, resume=bool(a.resume), dist_info=dist_info)
    if a.from_model:
        start_from_model(trainer, source)
    if a.resume and trainer.step >= cfg.steps and (a.lr_g, a.lr_d, a.ema) != (None, None, None):
        print(f"error: {out} has reached its {cfg.steps} steps: new learning rates or EMA decay "
              f"take effect only on further steps; give --steps above {trainer.step}", file=sys.stderr)
        return 2
    bar = tqdm(total=cfg.steps, initial=trainer.step, unit="step", dynamic_ncols=True,
               disable=a.quiet or not dist_info.main, desc=out.name)
    try:
        with Termination(dist_info.world) as terminated:
            for s in trainer.steps():
                bar.update(1)
                if s.step % 10 == 0:
                    bar.set_postfix(d=f"{s.d_loss:.3f}", g=f"{s.g_loss:.3f}",
                                    img_s=f"{bar.format_dict['rate'] * cfg.batch_size:.0f}"
                                    if bar.format_dict.get("rate") else "-")
                if terminated.stop_now():  # every rank after the same step: they leave together
                    status = stopped(trainer, bar, dist_info, out, 143)
                    leave_distributed()
                    return status
    except KeyboardInterrupt:
        return stopped(trainer, bar, dist_info, out, 130)
    bar.close()
    leave_distributed()
    if dist_info.main:
        print(f"done: {trainer.step} steps in {trainer.seconds / 60:.1f} min; samples in "
              f"{out / 'samples.png'}; export with `latent-gan export {out} --out assets/models/NAME`")
    return 0


def stopped(trainer, bar, dist_info, out: Path, status: int) -> int:
    """A training stopped by Ctrl-C (130) or SIGTERM (143): its checkpoint saved, and said so."""
    bar.close()
    trainer.save()
    if dist_info.main:
        print(f"\ninterrupted at step {trainer.step}: checkpoint saved; continue with "
              f"`latent-gan train --resume {out}`", file=sys.stderr)
    return status


class Termination:
    """SIGTERM (`kill PID`; torchrun and service managers stop programs so) noted, for a training to
    stop between two steps as Ctrl-C stops it, its checkpoint saved. A run started in the background
    by a script ignores Ctrl-C's SIGINT, and SIGTERM used to end it where it stood, losing the steps
    since the last checkpoint (session 23). Under torchrun every rank stops after the same step."""

    def __init__(self, world: int):
        self.world, self.asked, self._before = world, False, None

    def __enter__(self) -> "Termination":
        if threading.current_thread() is threading.main_thread():  # only the main thread may
            self._before = signal.signal(signal.SIGTERM, self._note)
        return self

    def __exit__(self, *exc) -> None:
        if self._before is not None:
            signal.signal(signal.SIGTERM, self._before)

    def _note(self, signum, frame) -> None:
        self.asked = True

    def stop_now(self) -> bool:
        """Whether this rank (any rank, under torchrun) was asked to stop: asked after a step."""
        if self.world == 1:
            return self.asked
        import torch
        import torch.distributed as dist

        flag = torch.tensor([float(self.asked)])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())


def cmd_export(a: argparse.Namespace) -> int:
    _, tensors, meta = latest_checkpoint(a.run)
    from training.loop import TrainConfig

    cfg = TrainConfig.from_dict(meta["train_config"])
    G, D = build_generator(cfg.gan), build_discriminator(cfg.gan)
    G.load_state_dict(module_state(tensors, "generator_ema"), strict=True)
    D.load_state_dict(module_state(tensors, "discriminator"), strict=True)
    info = {"data": meta["data"], "training": {
        "steps": meta["step"], "loss": cfg.loss, "batch_size": cfg.batch_size,
        "augment": list(cfg.augment), "seed": cfg.seed, "minutes": round(meta["seconds"] / 60, 1),
        "generator_weights": "exponential moving average", "run": Path(a.run).name}}
    if meta.get("started_from"):  # a run seeded with --from-model: which model it continues
        info["training"]["started_from"] = meta["started_from"]
    if cfg.teacher:  # distilled: which generator it learnt to imitate, and how much
        info["training"].update(teacher=cfg.teacher, teacher_weight=cfg.teacher_weight,
                                teacher_sha256=cfg.teacher_sha256)
    if cfg.data != "fashion-mnist":  # where `latent-edit` finds the images again
        info["training"].update(recorded_paths("data_source", cfg.data, a.out),
                                test_fraction=cfg.test_fraction, attributes_source=None)
        if cfg.attributes:
            info["training"].update(recorded_paths("attributes_source", cfg.attributes, a.out))
    out = export_model(a.out, cfg.gan, G, D, info)
    print(f"exported {out} (step {meta['step']})")
    return 0


def cmd_sample(a: argparse.Namespace) -> int:
    model = load_model(a.model)
    x = model.sample(a.n, a.seed)
    out = Path(a.out)
    if out.suffix.lower() == ".npy":
        from training.pixels import to_uint8

        with atomic_path(out) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, to_uint8(x, squeeze_grey=True))
    else:
        save_png(grid_image(x, nrow=max(1, int(math.ceil(math.sqrt(a.n))))), out)
    print(f"wrote {a.n} samples of {model.model_id} (seed {a.seed}) to {out}")
    return 0


def cmd_train_classifier(a: argparse.Namespace) -> int:
    from training.classifier import (Classifier, ClassifierConfig, ClassifierTrainConfig,
                                     save_classifier, train_classifier)
    from training.data import load_fashion_mnist

    train, test = (load_fashion_mnist(s, 32, a.data_root) for s in ("train", "test"))
    cfg = ClassifierTrainConfig(epochs=a.epochs, seed=a.seed)
    net = Classifier(ClassifierConfig())
    result = None
    for result in train_classifier(net, train, test, cfg):
        print(f"epoch {result.epoch}/{cfg.epochs}: loss {result.train_loss:.4f}, test accuracy "
              f"{result.test_accuracy:.4f} ({result.seconds:.0f} s)", flush=True)
    save_classifier(a.out, net.eval(), {"data": train.describe(), "training": {
        "epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr, "seed": cfg.seed},
        "test_accuracy": result.test_accuracy})
    print(f"saved {a.out} (test accuracy {result.test_accuracy:.4f})")
    return 0


def cmd_eval(a: argparse.Namespace) -> int:
    from training.classifier import CLASSIFIERS_DIR, load_classifier
    from training.data import load_fashion_mnist
    from training.evaluate import evaluate, write_report

    model = load_model(a.model)
    data_name = model.config.get("data", {}).get("name", "")
    if data_name.startswith("fashion-mnist") and not a.data:
        source, _ = load_classifier(a.classifier or CLASSIFIERS_DIR / "fashion-mnist")
        train, test = (load_fashion_mnist(s, model.gan.resolution, a.data_root)
                       for s in ("train", "test"))
    else:
        from training.data import load_image_folder
        from training.features import AlexNetFeatures

        if not a.data:
            raise OptionError(f"{model.name} was trained on {data_name or 'unknown data'}: give its "
                             f"images with --data FOLDER_OR_ZIP")
        train, test = (load_image_folder(a.data, model.gan.resolution, model.gan.channels,
                                         split=s, test_fraction=a.test_fraction)
                       for s in ("train", "test"))
        source = AlexNetFeatures()
    numbers, arrays = evaluate(model, source, train, test, a.n, a.seed)
    out = Path(a.out or f"benchmarks/results/eval-{model.name}")
    command = f"latent-gan eval --model {a.model} --n {a.n} --seed {a.seed}" + (
        f" --data {a.data}" if a.data else "")
    write_report(out, numbers, arrays, command)
    f = numbers["frechet"]
    classes = (f"; classes {100 * numbers['classes']['min_share']:.1f}%-"
               f"{100 * numbers['classes']['max_share']:.1f}%" if "classes" in numbers else "")
    print(f"Frechet distance {f['generated_vs_test']:.3f} (floor {f['real_vs_test']:.3f}, "
          f"{f['ratio_to_floor']:.1f}x){classes}; memorised "
          f"{100 * numbers['memorisation']['share']:.2f}%; report in {out / 'report.md'}")
    return 0


def check_options(a: argparse.Namespace) -> None:
    """Refuse out-of-range options before any data or model is loaded."""
    if a.command == "train":
        if a.from_model and a.resume:
            raise OptionError("--from-model starts a new run (--out); --resume continues one: "
                              "give one of them")
        for option, value in (("--steps", a.steps), ("--batch", a.batch), ("--latent", a.latent),
                              ("--width", a.width), ("--sample-every", a.sample_every),
                              ("--checkpoint-every", a.checkpoint_every)):
            check_range(option, value, 1)
        check_range("--lr-g", a.lr_g, 0.0)
        check_range("--lr-d", a.lr_d, 0.0)
        check_range("--ema", a.ema, 0.0, 1.0)
        check_range("--projected-weight", a.projected_weight, 0.0)
        check_range("--teacher-weight", a.teacher_weight, 0.0)
        if a.teacher and a.generator == "style":
            raise OptionError("--teacher: a style generator cannot learn from a teacher here (its codes "
                              "are w, the teacher's z); train a dcgan generator")
        check_range("--test-fraction", a.test_fraction, 0.0, 0.99)
        check_augment(tuple(s for s in (a.augment or "").split(",") if s))
    elif a.command == "sample":
        check_range("--n", a.n, 1)
    elif a.command == "train-classifier":
        check_range("--epochs", a.epochs, 1)
    elif a.command == "eval":
        check_range("--n", a.n, 2)
        check_range("--test-fraction", a.test_fraction, 0.01, 0.99)


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), {"train": cmd_train, "export": cmd_export, "sample": cmd_sample,
                                        "train-classifier": cmd_train_classifier, "eval": cmd_eval},
                       check_options, argv)


if __name__ == "__main__":
    sys.exit(main())
