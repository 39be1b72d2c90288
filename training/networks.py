"""DCGAN-family generator and discriminator (Radford et al. 2016, arXiv:1511.06434).

Resolution 32, 64 or 128; 1 or 3 channels. Spectral normalisation (Miyato et al. 2018,
arXiv:1802.05957) is optional and applies to the discriminator, as in SNGAN. The discriminator's
trunk is exposed as `features()`: the encoder starts from it and the editor's realism score reads it.

`GANConfig` also names the other network families (training/style.py, training/projected.py);
`build_generator` and `build_discriminator` in training/architectures.py pick the class.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from training.errors import OptionError

RESOLUTIONS = (32, 64, 128)
GENERATORS = ("dcgan", "style")
DISCRIMINATORS = ("dcgan", "projected", "dcgan+projected")
# Fields added after format 1's first models; a config.json without them gets these defaults, so
# older models (DCGAN, edited in z) load exactly as before.
ADDED_FIELDS = ("generator", "discriminator", "mapping_layers", "feature_size")
# Upper bounds, far above any model trained on a CPU here: the largest network they allow (about
# 70 million weights in the generator's first layers) still fits in memory.
MAX_LATENT_DIM = 1024
MAX_WIDTH = 512
MAX_TOP_CHANNELS = 2048  # channels at 4x4: width * 2^(n_blocks - 1)


@dataclass(frozen=True)
class GANConfig:
    resolution: int = 32  # output side in pixels: 32, 64 or 128
    channels: int = 1  # 1 = grey, 3 = RGB
    latent_dim: int = 128  # size of z, drawn from N(0, I)
    width: int = 64  # channels of the last generator block / first discriminator block
    spectral_norm: bool = True  # spectral normalisation on the discriminator's layers
    generator: str = "dcgan"  # "dcgan" (z -> image) or "style" (z -> w -> image, training/style.py)
    discriminator: str = "dcgan"  # "dcgan", "projected" (frozen AlexNet features, projected.py) or
    #                               "dcgan+projected" (both, each with its own loss: vision-aided)
    mapping_layers: int = 4  # style generator: fully connected layers of the mapping z -> w
    feature_size: int = 0  # projected D: side images are resized to for AlexNet (0: max(64, res))

    def __post_init__(self) -> None:
        # Types first, then ranges, with upper bounds: a config.json from a stranger is refused
        # here, before a network of its size is allocated (a width of 1e9 would ask for terabytes).
        for name in ("resolution", "channels", "latent_dim", "width", "mapping_layers", "feature_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise OptionError(f"{name} must be a whole number, not {value!r}")
        if not isinstance(self.spectral_norm, bool):
            raise OptionError(f"spectral_norm must be true or false, not {self.spectral_norm!r}")
        if self.resolution not in RESOLUTIONS:
            raise OptionError(f"resolution must be one of {RESOLUTIONS}, not {self.resolution!r}")
        if self.channels not in (1, 3):
            raise OptionError(f"channels must be 1 (grey) or 3 (colour), not {self.channels}")
        if not 1 <= self.latent_dim <= MAX_LATENT_DIM:
            raise OptionError(f"latent_dim must be between 1 and {MAX_LATENT_DIM}, not {self.latent_dim}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise OptionError(f"width must be between 1 and {MAX_WIDTH}, not {self.width}")
        if self.width * 2 ** (self.n_blocks - 1) > MAX_TOP_CHANNELS:
            raise OptionError(f"width {self.width} at {self.resolution} px gives more than "
                              f"{MAX_TOP_CHANNELS} channels at 4x4; choose a smaller width")
        if self.generator not in GENERATORS:
            raise OptionError(f"generator must be one of {GENERATORS}, not {self.generator!r}")
        if self.discriminator not in DISCRIMINATORS:
            raise OptionError(f"discriminator must be one of {DISCRIMINATORS}, "
                             f"not {self.discriminator!r}")
        if not 1 <= self.mapping_layers <= 16 or not 0 <= self.feature_size <= 256:
            raise OptionError("mapping_layers must be between 1 and 16 and feature_size between 0 "
                              "and 256")

    @property
    def n_blocks(self) -> int:
        """Number of 2x up/down-sampling blocks between 4x4 and the resolution."""
        return int(math.log2(self.resolution // 4))

    @property
    def latent_space(self) -> str:
        """Where edits happen: "z" (the input) or "w" (the style generator's mapped code)."""
        return "w" if self.generator == "style" else "z"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GANConfig":
        """The config a model's config.json records (OptionError for a missing or bad field)."""
        if not isinstance(d, dict):
            raise OptionError(f"the architecture must be a JSON object, not {type(d).__name__}")
        missing = [k for k in cls.__dataclass_fields__ if k not in d and k not in ADDED_FIELDS]
        if missing:
            raise OptionError(f"{', '.join(missing)} missing")
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class Generator(nn.Module):
    """z (B, latent_dim) -> image (B, C, R, R) in [-1, 1]."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        top = cfg.width * 2 ** (cfg.n_blocks - 1)  # channels at 4x4
        self.project = nn.Sequential(
            nn.Linear(cfg.latent_dim, top * 16, bias=False), nn.Unflatten(1, (top, 4, 4)),
            nn.BatchNorm2d(top), nn.ReLU(inplace=True),
        )
        blocks: list[nn.Module] = []
        ch = top
        for _ in range(cfg.n_blocks - 1):
            blocks += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        blocks += [nn.ConvTranspose2d(ch, cfg.channels, 4, 2, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.project(z))


class Discriminator(nn.Module):
    """image (B, C, R, R) -> realism logit (B,); `features()` gives the trunk's (B, F) output.

    Every discriminator kind answers `D(x, parts=True)` with one logit column per discriminator it
    holds, (B, K): the trainer applies its losses to each column (training/loop.py). K = 1 here."""

    parts = ("dcgan",)

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        sn = spectral_norm if cfg.spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        ch_in, ch = cfg.channels, cfg.width
        for _ in range(cfg.n_blocks):
            layers += [sn(nn.Conv2d(ch_in, ch, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
            ch_in, ch = ch, ch * 2
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = ch_in * 16
        self.head = sn(nn.Linear(self.feature_dim, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)  # (B, F)

    def forward(self, x: torch.Tensor, parts: bool = False) -> torch.Tensor:
        logit = self.head(self.features(x))  # (B, 1)
        return logit if parts else logit.squeeze(1)  # (B, 1) or (B,)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) for convolutions and linear layers, N(1, 0.02) for BN.

    Touches only nn.Conv2d / ConvTranspose2d / Linear / BatchNorm2d modules: the style generator's
    layers (own classes) and the projected discriminator's frozen buffers are left as built."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
