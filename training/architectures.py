"""Which network class a GANConfig names: one place that maps `generator` / `discriminator` kinds.

    dcgan generator      training.networks.Generator       (z -> image)
    style generator      training.style.StyleGenerator     (z -> w -> image, StyleGAN2-like)
    dcgan discriminator  training.networks.Discriminator
    projected            training.projected.ProjectedDiscriminator (frozen AlexNet + small heads)
    dcgan+projected      training.projected.VisionAidedDiscriminator (both, each with its own loss)
"""
from __future__ import annotations

from torch import nn

from training.networks import Discriminator, GANConfig, Generator
from training.projected import ProjectedDiscriminator, VisionAidedDiscriminator
from training.style import StyleGenerator


def build_generator(cfg: GANConfig) -> nn.Module:
    """The generator `cfg.generator` names; `G(z)` gives images (B, C, R, R) in [-1, 1]."""
    return StyleGenerator(cfg) if cfg.generator == "style" else Generator(cfg)


def build_discriminator(cfg: GANConfig) -> nn.Module:
    """The discriminator `cfg.discriminator` names; `D(x)` gives logits (B,), `D(x, parts=True)` one
    column per discriminator it holds (B, K), `D.features(x)` (B, F)."""
    if cfg.discriminator == "dcgan+projected":
        return VisionAidedDiscriminator(cfg)
    return ProjectedDiscriminator(cfg) if cfg.discriminator == "projected" else Discriminator(cfg)
