"""A discriminator on frozen pretrained features (Projected GAN, Sauer et al. NeurIPS 2021,
arXiv:2111.01007; Vision-aided GAN, Kumari et al. CVPR 2022, arXiv:2112.09130).

Images are read by the ImageNet AlexNet shipped for LPIPS (assets/lpips/alex.safetensors, no
download), tapped after relu1, relu2, relu3 and relu5. The taps are mixed by FIXED random 1x1
convolutions: across channels (CCM: each tap projected to its own width) and across scales (CSM:
the deeper mixed map is upsampled, projected to the shallower one's width and added), as in Projected
GAN. Only a small head per scale is trained: a spectrally normalised 3x3 convolution with leaky ReLU
(the scale's learned features) and a 1x1 convolution to a patch logit map. The logit is the sum over
scales of each patch map's mean, so `forward(x)` is a linear function of `features(x)` (the heads'
hidden maps averaged over space), like the DCGAN discriminator's head on its trunk.

Frozen parts: the AlexNet convolutions are non-persistent buffers (never in a checkpoint or a model
file; rebuilt from assets/ on construction), and the random projections are persistent buffers (saved
with the heads and loaded strictly, so a model does not depend on a random number generator's
version). Neither is a parameter, so no optimiser sees them. Projected GAN uses no R1 penalty and
always trains with DiffAugment (translation, colour, cutout): `latent-gan train --discriminator
projected` turns that policy on unless --augment says otherwise.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from training.features import ALEX_CONVS, ALEX_WEIGHTS, IMAGENET_MEAN, IMAGENET_STD, alexnet_state
from training.networks import Discriminator, GANConfig

TAPS = ("relu1", "relu2", "relu3", "relu5")
TAP_CHANNELS = (64, 192, 384, 256)
PROJECTION_SEED = 20211  # the fixed random projections of a new discriminator


class FrozenAlexNet(nn.Module):
    """images (B, 3, S, S), ImageNet-normalised -> [relu1, relu2, relu3, relu5] activations.

    At S = 64: (B, 64, 15, 15), (B, 192, 7, 7), (B, 384, 3, 3), (B, 256, 3, 3).
    Weights are non-persistent buffers: moved by `.to()`, absent from `state_dict()`.
    """

    def __init__(self, path=ALEX_WEIGHTS):
        super().__init__()
        state = alexnet_state(path)
        for i, (idx, _, _) in enumerate(ALEX_CONVS):
            self.register_buffer(f"weight{i}", state[f"{idx}.weight"].float(), persistent=False)
            self.register_buffer(f"bias{i}", state[f"{idx}.bias"].float(), persistent=False)

    def conv(self, x: torch.Tensor, i: int) -> torch.Tensor:
        _, stride, padding = ALEX_CONVS[i]
        return F.relu(F.conv2d(x, getattr(self, f"weight{i}"), getattr(self, f"bias{i}"),
                               stride=stride, padding=padding))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        r1 = self.conv(x, 0)
        r2 = self.conv(F.max_pool2d(r1, 3, 2), 1)
        r3 = self.conv(F.max_pool2d(r2, 3, 2), 2)
        r5 = self.conv(self.conv(r3, 3), 4)
        return [r1, r2, r3, r5]


def random_projection(c_out: int, c_in: int, g: torch.Generator) -> torch.Tensor:
    """A fixed random 1x1 convolution (c_out, c_in, 1, 1), variance-preserving (He init, linear)."""
    return torch.randn(c_out, c_in, 1, 1, generator=g) / c_in**0.5


class ProjectedDiscriminator(nn.Module):
    """image (B, C, R, R) in [-1, 1] -> realism logit (B,); `features()` gives (B, feature_dim)."""

    # The encoder (inversion/encoder.py) copies a DCGAN discriminator's trunk layer by layer; this
    # discriminator has no such trunk, so there is nothing to copy and an encoder starts afresh.
    trunk: tuple = ()
    parts = ("projected",)  # D(x, parts=True) -> (B, 1), as training/networks.py's Discriminator

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        self.size = cfg.feature_size or max(64, cfg.resolution)  # side AlexNet reads
        self.backbone = FrozenAlexNet()
        w = cfg.width
        self.widths = (w, 2 * w, 4 * w, 4 * w)  # mixed channels per tap
        g = torch.Generator().manual_seed(PROJECTION_SEED)
        for i, (c_in, c_out) in enumerate(zip(TAP_CHANNELS, self.widths)):
            self.register_buffer(f"ccm{i}", random_projection(c_out, c_in, g))  # across channels
        for i in range(len(TAPS) - 1):  # across scales: deeper mixed map -> this tap's width
            self.register_buffer(f"csm{i}", random_projection(self.widths[i], self.widths[i + 1], g))
        sn = spectral_norm if cfg.spectral_norm else (lambda m: m)
        self.hidden = nn.ModuleList(sn(nn.Conv2d(c, c, 3, 1, 1)) for c in self.widths)
        self.logit = nn.ModuleList(sn(nn.Conv2d(c, 1, 1)) for c in self.widths)
        self.feature_dim = sum(self.widths)
        # Channels-last activations into AlexNet: no measurable gain on the 2-core AVX2 CPU
        # (benchmarks/training_step.py), so off; a switch to re-measure on other machines.
        self.channels_last = False

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, R, R) in [-1, 1] -> (B, 3, S, S) normalised as AlexNet was trained."""
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        x = ((x + 1) / 2 - IMAGENET_MEAN.to(x)) / IMAGENET_STD.to(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def mixed(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Frozen features after channel and scale mixing, shallow to deep, (B, width_l, H_l, W_l)."""
        taps = self.backbone(self.prepare(x))
        mixed = [F.conv2d(t, getattr(self, f"ccm{i}")) for i, t in enumerate(taps)]
        for i in reversed(range(len(mixed) - 1)):
            deeper = F.interpolate(mixed[i + 1], size=mixed[i].shape[-2:], mode="bilinear",
                                   align_corners=False)
            mixed[i] = mixed[i] + F.conv2d(deeper, getattr(self, f"csm{i}"))
        return mixed

    def hidden_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The trainable heads' hidden activations per scale, (B, width_l, H_l, W_l)."""
        return [F.leaky_relu(h(m), 0.2) for h, m in zip(self.hidden, self.mixed(x))]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([h.mean((2, 3)) for h in self.hidden_maps(x)], 1)  # (B, F)

    def forward(self, x: torch.Tensor, parts: bool = False) -> torch.Tensor:
        logits = [head(h).mean((1, 2, 3)) for head, h in zip(self.logit, self.hidden_maps(x))]
        logit = torch.stack(logits, 1).sum(1)  # (B,): sum over scales of the patch-logit means
        return logit.unsqueeze(1) if parts else logit

    def frozen_state(self) -> dict[str, torch.Tensor]:
        """Every tensor that must never change in training: AlexNet weights and the projections."""
        return {k: v for k, v in self.named_buffers() if k.startswith(("backbone.", "ccm", "csm"))}


class VisionAidedDiscriminator(nn.Module):
    """The DCGAN discriminator and the projected one side by side (`--discriminator
    dcgan+projected`), as Vision-aided GAN (Kumari et al. CVPR 2022) keeps the original discriminator
    and adds one on frozen pretrained features: the original one alone learns slowly, the
    pretrained-feature one alone can be fooled by a few shapes it likes (mode collapse).

    Training: `D(x, parts=True)` gives (B, 2) logits, (DCGAN, projected); the trainer applies the
    loss to each column and adds them, so each discriminator is trained by its own loss (a hinge of a
    sum of logits is not the sum of hinges). Everything downstream (the solver's realism term, the
    editor's realism score) reads `D(x)`, the SUM of the two logits (B,): with the hinge or
    Wasserstein objectives and equal loss weights (--projected-weight 1, the default) that sum is
    exactly what the generator was trained to raise, and both judges count. (The projected logit,
    a sum over four scales, spans the wider range: about -3.7 on samples and -0.5 on real faces
    after 354 face steps, against -0.6 and 3.4 for the DCGAN logit.) `trunk` and `features()` are the DCGAN part's, so an encoder still starts from a
    discriminator's trunk (inversion/encoder.py).
    """

    parts = ("dcgan", "projected")

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        self.dcgan = Discriminator(cfg)
        self.projected = ProjectedDiscriminator(cfg)
        self.feature_dim = self.dcgan.feature_dim

    @property
    def trunk(self) -> nn.Sequential:
        return self.dcgan.trunk  # a property, not a second registration (no duplicate weights)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.dcgan.features(x)  # (B, F)

    def forward(self, x: torch.Tensor, parts: bool = False) -> torch.Tensor:
        logits = torch.stack([self.dcgan(x), self.projected(x)], 1)  # (B, 2)
        return logits if parts else logits.sum(1)

    def frozen_state(self) -> dict[str, torch.Tensor]:
        return {f"projected.{k}": v for k, v in self.projected.frozen_state().items()}
