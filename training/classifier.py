"""A domain classifier for Fashion-MNIST: the evaluation's stand-in for the Inception network.

A small VGG-style CNN on 32x32 grey images in [-1, 1]. `features()` gives the 128-d penultimate
layer used for Frechet/kernel distances and precision/recall; `forward()` gives class logits used
for the Inception-Score analogue and the class histogram. Stored in the model format under
assets/classifiers/.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from training.data import ImageSet
from training.modelfile import (ASSETS_DIR, ModelFormatError, read_config, read_network,
                                refuse_pickle, write_model_folder)

CLASSIFIERS_DIR = ASSETS_DIR / "classifiers"


@dataclass(frozen=True)
class ClassifierConfig:
    resolution: int = 32  # input side in pixels
    channels: int = 1  # input channels
    n_classes: int = 10
    width: int = 24  # channels of the first block; doubled, then doubled again
    feature_dim: int = 128  # size of the penultimate layer (the evaluation's feature space)


class Classifier(nn.Module):
    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.width

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True)]

        self.trunk = nn.Sequential(
            *block(cfg.channels, w), *block(w, w), nn.MaxPool2d(2),  # R/2
            *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),  # R/4
            *block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(2), nn.Flatten(),  # (B, 16w)
            nn.Dropout(0.1), nn.Linear(16 * w, cfg.feature_dim), nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(cfg.feature_dim, cfg.n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)  # (B, feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, n_classes) logits


@dataclass(frozen=True)
class ClassifierTrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    train_loss: float
    test_accuracy: float
    seconds: float


def shift_augment(x: torch.Tensor, g: torch.Generator, pad: int = 2) -> torch.Tensor:
    """Random shifts of up to `pad` pixels and random horizontal flips (clothes are symmetric)."""
    b, _, h, w = x.shape
    flip = torch.rand(b, generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (pad, pad, pad, pad), value=-1.0)
    dy, dx = torch.randint(0, 2 * pad + 1, (2,), generator=g).tolist()
    return padded[:, :, dy:dy + h, dx:dx + w]


@torch.no_grad()
def predict(net: Classifier, data: ImageSet, batch: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (N, K), features (N, F)) for every image of `data`."""
    net.eval()
    logits, feats = [], []
    for i in range(0, len(data), batch):
        f = net.features(data.batch(slice(i, i + batch)))
        feats.append(f)
        logits.append(net.head(f))
    return torch.cat(logits), torch.cat(feats)


def accuracy(net: Classifier, data: ImageSet) -> float:
    logits, _ = predict(net, data)
    return (logits.argmax(1) == data.labels).float().mean().item()


def _fit(net: Classifier, train: ImageSet, cfg: ClassifierTrainConfig, loss_fn, evaluate
         ) -> Iterator[EpochResult]:
    """Adam with a one-cycle schedule, shifted and flipped batches; `loss_fn(logits, index)`;
    yields after every epoch with `evaluate()` as the test accuracy."""
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    steps_per_epoch = max(1, len(train) // cfg.batch_size)  # fewer images than a batch: one step
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    for epoch in range(1, cfg.epochs + 1):
        t0, total = time.perf_counter(), 0.0
        net.train()
        perm = torch.randperm(len(train), generator=g)
        for i in range(steps_per_epoch):
            idx = perm[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            loss = loss_fn(net(shift_augment(train.batch(idx), g)), idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        yield EpochResult(epoch, total / steps_per_epoch, evaluate(), time.perf_counter() - t0)


def train_classifier(net: Classifier, train: ImageSet, test: ImageSet,
                     cfg: ClassifierTrainConfig) -> Iterator[EpochResult]:
    """Classes (cross-entropy, label smoothing 0.05); yields after every epoch with the test accuracy."""
    return _fit(net, train, cfg,
                lambda logits, idx: F.cross_entropy(logits, train.labels[idx], label_smoothing=0.05),
                lambda: accuracy(net, test))


def save_classifier(out: str | os.PathLike, net: Classifier, info: dict) -> Path:
    return write_model_folder(out, {"classifier": net},
                              {"architecture": "classifier", "classifier": asdict(net.cfg), **info})


def load_classifier(path: str | os.PathLike = CLASSIFIERS_DIR / "fashion-mnist") -> tuple[Classifier, dict]:
    """(classifier in eval mode, its config.json) from a classifier folder."""
    folder = Path(path)
    refuse_pickle(folder)
    if not folder.is_dir():
        raise ModelFormatError(f"classifier not found: {folder}; train one with "
                               f"`latent-gan train-classifier`")
    config = read_config(folder)
    if config.get("architecture") != "classifier":
        raise ModelFormatError(f"{folder} is not a classifier")
    net = Classifier(ClassifierConfig(**config["classifier"]))
    return read_network(folder, config, "classifier", net), config


# ------------------------------------------------------------------ attributes (multi-label)


def at_classifier_side(x: torch.Tensor, side: int) -> torch.Tensor:
    """Model images (N, C, R, R) in [-1, 1] averaged down to `side` px in whole image levels, as the
    face-attribute classifiers read faces (trained on faces averaged 2x2 to 32 px, as 8-bit images)."""
    levels = (x.clamp(-1, 1) + 1) * 127.5
    return F.avg_pool2d(levels, x.shape[-1] // side).round() / 127.5 - 1


def attribute_accuracy(net: Classifier, data: ImageSet, columns: list[int]) -> torch.Tensor:
    """(A,) share of `data`'s images whose attribute (columns of data.attributes) is predicted right."""
    logits, _ = predict(net, data)
    return ((logits > 0) == data.attributes[:, columns]).float().mean(0)


def train_attribute_classifier(net: Classifier, train: ImageSet, test: ImageSet, columns: list[int],
                               cfg: ClassifierTrainConfig) -> Iterator[EpochResult]:
    """One logistic output per attribute (binary cross-entropy); yields after every epoch with the
    mean test accuracy over the attributes. Same schedule and augmentation as the classes."""
    targets = train.attributes[:, columns].float()
    return _fit(net, train, cfg,
                lambda logits, idx: F.binary_cross_entropy_with_logits(logits, targets[idx]),
                lambda: attribute_accuracy(net, test, columns).mean().item())


_CLASSIFIERS: dict[str, torch.nn.Module | None] = {}  # model_classifier's, by generator hash


def model_classifier(model) -> torch.nn.Module | None:
    """The shipped classifier of the model's training data (same dataset, size and classes), or
    None for a model without classes or without one; read once per model, frozen."""
    key = model.generator_sha256
    if key not in _CLASSIFIERS:
        _CLASSIFIERS[key] = _read_model_classifier(model)
    return _CLASSIFIERS[key]


def _read_model_classifier(model) -> torch.nn.Module | None:
    data = model.config.get("data", {})
    folder = CLASSIFIERS_DIR / str(data.get("name", "")).split("/")[0]
    if not data.get("classes") or not data.get("name") or not Path(folder).is_dir():
        return None
    classifier, config = load_classifier(folder)
    known = config.get("data", {})
    if (known.get("classes") != data["classes"] or known.get("resolution") != model.gan.resolution
            or known.get("channels") != model.gan.channels):
        return None
    return classifier.requires_grad_(False)
