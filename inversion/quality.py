"""Image-quality measures for reconstructions, per image, on tensors in [-1, 1].

PSNR on the [0, 1] scale; SSIM (Wang et al. 2004) with an 11x11 Gaussian window (sigma 1.5),
computed per channel and averaged, as in the reference implementation.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,) peak signal-to-noise ratio in dB of x against y, both (B, C, H, W) in [-1, 1]."""
    mse = (((x - y) / 2) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    t = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-t ** 2 / (2 * sigma ** 2))
    g = (g / g.sum()).float()
    return (g[:, None] * g[None, :])[None, None]  # (1, 1, size, size)


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,) structural similarity of x against y, both (B, C, H, W) in [-1, 1]."""
    x, y = (x.float() + 1) / 2, (y.float() + 1) / 2
    c = x.shape[1]
    w = _gaussian_window().to(x.device).expand(c, 1, -1, -1)
    conv = lambda t: F.conv2d(t, w, groups=c)  # noqa: E731  valid window positions only
    mu_x, mu_y = conv(x), conv(y)
    sxx = conv(x * x) - mu_x ** 2
    syy = conv(y * y) - mu_y ** 2
    sxy = conv(x * y) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1)
