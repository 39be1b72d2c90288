"""A small style-based generator (StyleGAN2, Karras et al. CVPR 2020, arXiv:1912.04958).

z (B, Z) -> mapping MLP -> w (B, W = Z) -> synthesis: a learned constant 4x4 input, then per
resolution a 2x upsampling modulated 3x3 convolution and a plain one, each followed by per-pixel noise
and leaky ReLU; every resolution's toRGB output is added to the upsampled sum of the coarser ones
(skip architecture). Modulation scales the convolution's input channels by a style affine(w);
demodulation rescales each output channel to unit expected variance (StyleGAN2's eq. 1-3), computed
the "non-fused" way (scale activations, shared convolution), which suits CPUs.

All weights use the equalised learning rate (stored N(0, 1), scaled by 1/sqrt(fan_in) when used; the
mapping network's lr is 0.01x). `mapping.w_avg` is a running mean of w updated in training steps that
need gradients (the generator's step, beta 0.995 as in StyleGAN2) and used for truncation:
w' = w_avg + psi (w - w_avg). Noise: "random" (fresh per call, training), "const" (fixed buffers
drawn once at construction, saved with the weights: deterministic, the default in eval mode) or
"none". The output passes through tanh so images stay in [-1, 1] like the DCGAN generator's.
Sized for 32-128 px on a CPU: channels width * 2^(n_blocks-1) at 4x4, halved at each resolution.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from training.errors import OptionError
from training.networks import GANConfig

NOISE_MODES = ("random", "const", "none")
LRELU_GAIN = math.sqrt(2)  # keeps the variance through leaky ReLU (StyleGAN's "def_gain")
NOISE_SEED = 20200  # the fixed noise buffers of a new generator


class EqualLinear(nn.Module):
    """x (B, I) -> (B, O) with the equalised learning rate; optional leaky ReLU."""

    def __init__(self, c_in: int, c_out: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((c_out,), float(bias_init)) / lr_mul)
        self.scale, self.lr_mul, self.activate = lr_mul / math.sqrt(c_in), lr_mul, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return F.leaky_relu(x, 0.2) * LRELU_GAIN if self.activate else x


class MappingNetwork(nn.Module):
    """z (B, Z) -> w (B, Z): normalise z to unit second moment, then an MLP with leaky ReLU."""

    def __init__(self, dim: int, layers: int, lr_mul: float = 0.01):
        super().__init__()
        self.net = nn.Sequential(*(EqualLinear(dim, dim, lr_mul=lr_mul, activate=True)
                                   for _ in range(layers)))
        self.register_buffer("w_avg", torch.zeros(dim))  # running mean of w, for truncation

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8)
        return self.net(z)

    @torch.no_grad()
    def track(self, w: torch.Tensor, beta: float = 0.995) -> None:
        self.w_avg.copy_(w.detach().float().mean(0).lerp(self.w_avg, beta))


class ModulatedConv(nn.Module):
    """x (B, I, H, W), w (B, Z) -> (B, O, H', W'); H' = 2H when `up`."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, kernel: int = 3, demodulate: bool = True,
                 up: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)  # styles start at 1: plain conv
        self.scale = 1 / math.sqrt(c_in * kernel * kernel)
        self.demodulate, self.up, self.padding = demodulate, up, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # (B, I)
        weight = self.weight * self.scale  # (O, I, k, k)
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x * styles[:, :, None, None], weight, padding=self.padding)
        if self.demodulate:  # 1 / ||w'_o|| with w'_oi = weight_oi * style_i, per sample
            d = torch.rsqrt(styles.square() @ weight.square().sum((2, 3)).t() + 1e-8)  # (B, O)
            x = x * d[:, :, None, None]
        return x


class StyleLayer(nn.Module):
    """Modulated conv + noise + bias + leaky ReLU at resolution `res`."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, res: int, up: bool, g: torch.Generator):
        super().__init__()
        self.conv = ModulatedConv(c_in, c_out, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.register_buffer("noise_const", torch.randn(1, 1, res, res, generator=g))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        x = self.conv(x, w)  # (B, O, res, res)
        if noise_mode == "random":
            x = x + torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device) * self.noise_strength
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        return F.leaky_relu(x + self.bias[:, None, None], 0.2) * LRELU_GAIN


class ToRGB(nn.Module):
    def __init__(self, c_in: int, channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv(c_in, channels, w_dim, kernel=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[:, None, None]  # (B, C, H, W)


class SynthesisNetwork(nn.Module):
    """w (B, Z) -> image (B, C, R, R) in [-1, 1]; the same w drives every layer."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        g = torch.Generator().manual_seed(NOISE_SEED)
        dim = cfg.latent_dim
        ch = cfg.width * 2 ** (cfg.n_blocks - 1)  # channels at 4x4
        self.const = nn.Parameter(torch.randn(ch, 4, 4))
        self.layers = nn.ModuleList([StyleLayer(ch, ch, dim, 4, False, g)])
        self.to_rgb = nn.ModuleList([ToRGB(ch, cfg.channels, dim)])
        res = 4
        for _ in range(cfg.n_blocks):
            res *= 2
            out = max(ch // 2, 8)
            self.layers.extend([StyleLayer(ch, out, dim, res, True, g),
                                StyleLayer(out, out, dim, res, False, g)])
            self.to_rgb.append(ToRGB(out, cfg.channels, dim))
            ch = out

    def forward(self, w: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        if noise_mode not in NOISE_MODES:
            raise OptionError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        x = self.const.expand(w.shape[0], -1, -1, -1)  # (B, C4, 4, 4)
        x = self.layers[0](x, w, noise_mode)
        rgb = self.to_rgb[0](x, w)  # (B, C, 4, 4)
        for i, to_rgb in enumerate(self.to_rgb[1:]):
            x = self.layers[2 * i + 2](self.layers[2 * i + 1](x, w, noise_mode), w, noise_mode)
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False)
            rgb = rgb + to_rgb(x, w)
        return torch.tanh(rgb)


class StyleGenerator(nn.Module):
    """z (B, latent_dim) -> image (B, C, R, R) in [-1, 1], as `G(z)`; also `mapping(z) -> w` and
    `synthesis(w) -> image` for editing in w, and `G(z, truncation=psi)`."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg.latent_dim, cfg.mapping_layers)
        self.synthesis_network = SynthesisNetwork(cfg)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg  # (Z,)

    def default_noise(self) -> str:
        return "random" if self.training else "const"

    def synthesis(self, w: torch.Tensor, noise_mode: str | None = None) -> torch.Tensor:
        return self.synthesis_network(w, noise_mode or self.default_noise())

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        return self.w_avg.lerp(w, psi) if psi != 1 else w

    def forward(self, z: torch.Tensor, truncation: float = 1.0,
                noise_mode: str | None = None) -> torch.Tensor:
        w = self.mapping(z)  # (B, Z)
        if self.training and torch.is_grad_enabled():  # the generator's step, as in StyleGAN2
            self.mapping.track(w)
        return self.synthesis(self.truncate(w, truncation), noise_mode)
