"""The encoder E: image -> code, a fast first guess for inversion (Zhu et al. 2016, iGAN; Perarnau et
al. 2016, IcGAN). The code is the model's own (z, or w for a style generator, where the pairs
below are (w = mapping(z), synthesis(w)) and G is GANModel.decode); the latent term is measured in
units of the codes' spread (GANModel.code_spread), which for z changes nothing.

Its trunk has the discriminator's architecture and starts from the discriminator's weights (both
read images of the same domain); a linear head maps the trunk's features to z. It is trained with
the generator frozen, on
  (a) generated pairs (z, G(z)):  ||E(G(z)) - z||^2 + ||G(E(G(z))) - G(z)||^2, and
  (b) real training images x:    ||G(E(x)) - x||^2 + LPIPS(G(E(x)), x).
Shipped inside the model folder as the network "encoder" (config key "encoder").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from training.data import ImageSet
from training.modelfile import GANModel, ModelFormatError, read_network, write_model_folder
from training.networks import Discriminator, GANConfig


class Encoder(nn.Module):
    """image (B, C, R, R) in [-1, 1] -> code (B, latent_dim): z, or w for a style generator."""

    def __init__(self, gan: GANConfig):
        super().__init__()
        self.trunk = Discriminator(GANConfig(**{**gan.to_dict(), "spectral_norm": False})).trunk
        feature_dim = gan.width * 2 ** (gan.n_blocks - 1) * 16
        self.head = nn.Linear(feature_dim, gan.latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))

    @classmethod
    def from_discriminator(cls, gan: GANConfig, discriminator: Discriminator) -> "Encoder":
        """A new encoder whose trunk computes exactly the discriminator's features."""
        enc = cls(gan)
        with torch.no_grad():
            for mine, theirs in zip(enc.trunk, discriminator.trunk):
                if isinstance(mine, nn.Conv2d):
                    mine.weight.copy_(theirs.weight)  # the spectrally normalised weight, W / sigma
                    mine.bias.copy_(theirs.bias)
            nn.init.normal_(enc.head.weight, 0.0, 0.01)
            nn.init.zeros_(enc.head.bias)
        return enc


@dataclass(frozen=True)
class EncoderTrainConfig:
    steps: int = 3000
    batch_size: int = 64
    lr: float = 1e-3
    real_fraction: float = 0.5  # share of steps that use real images (b); the rest use pairs (a)
    w_latent: float = 1.0
    w_pixel: float = 1.0
    w_lpips: float = 0.5
    seed: int = 0


@dataclass(frozen=True)
class EncoderStep:
    step: int
    loss: float
    kind: str  # "pairs" or "real"


def encoder_losses(enc: Encoder, G: Callable[[torch.Tensor], torch.Tensor], lpips: nn.Module,
                   cfg: EncoderTrainConfig, real: torch.Tensor | None, z: torch.Tensor | None,
                   std: torch.Tensor | None = None) -> torch.Tensor:
    """The loss of one batch: generated pairs (code z given) or real images (real given); G
    decodes codes; `std`, the codes' spread per dimension, scales the latent term."""
    if z is not None:
        x = G(z)
        z_hat = enc(x)
        latent = F.mse_loss(z_hat, z) if std is None else F.mse_loss(z_hat / std, z / std)
        return cfg.w_latent * latent + cfg.w_pixel * F.mse_loss(G(z_hat), x)
    recon = G(enc(real))
    return cfg.w_pixel * F.mse_loss(recon, real) + cfg.w_lpips * lpips(recon, real).mean()


def train_encoder(model: GANModel, data: ImageSet, lpips: nn.Module, cfg: EncoderTrainConfig,
                  encoder: Encoder | None = None) -> Iterator[EncoderStep]:
    """Adam with cosine decay; the generator stays frozen (eval mode). Yields every step."""
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    enc = encoder or Encoder.from_discriminator(model.gan, model.discriminator)
    enc.train()
    model.generator.eval()
    G, std = model.decode, model.code_spread()[1]
    opt = torch.optim.Adam(enc.parameters(), lr=cfg.lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    for step in range(1, cfg.steps + 1):
        use_real = torch.rand(1, generator=g).item() < cfg.real_fraction
        if use_real:
            real = data.batch(torch.randint(len(data), (cfg.batch_size,), generator=g))
            loss = encoder_losses(enc, G, lpips, cfg, real, None)
        else:
            z = torch.randn(cfg.batch_size, model.gan.latent_dim, generator=g)
            if model.latent_space == "w":
                with torch.no_grad():
                    z = model.generator.mapping(z)
            loss = encoder_losses(enc, G, lpips, cfg, None, z, std)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        yield EncoderStep(step, loss.item(), "real" if use_real else "pairs")
    enc.eval()


def save_encoder(model: GANModel, enc: Encoder, info: dict) -> None:
    """Add the encoder to the model's folder (the generator and discriminator are kept)."""
    cfg = {k: v for k, v in model.config.items() if k not in ("networks", "format", "format_version")}
    cfg["encoder"] = {"architecture": "discriminator trunk + linear",
                      "latent_space": model.latent_space, **info}
    write_model_folder(model.path, {"encoder": enc.eval()}, cfg)


def load_encoder(model: GANModel) -> Encoder | None:
    """The model's encoder, or None if the model folder has none."""
    if "encoder" not in model.config.get("networks", {}):
        return None
    if "encoder" not in model.extra:
        space = model.config.get("encoder", {}).get("latent_space", "z")
        if space != model.latent_space:
            raise ModelFormatError(f"{model.name}'s encoder predicts codes in {space}, but the model is "
                                   f"edited in {model.latent_space}; train it again with "
                                   f"`latent-edit train-encoder --model {model.command_name}`")
        model.extra["encoder"] = read_network(model.path, model.config, "encoder", Encoder(model.gan))
    return model.extra["encoder"]
