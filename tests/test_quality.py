"""PSNR and SSIM on cases with known answers."""
import math

import pytest
import torch

from inversion.quality import psnr, ssim


def test_psnr_known_values():
    x = torch.zeros(2, 1, 8, 8)
    y = x.clone()
    y[1] += 0.2  # 0.1 on the [0, 1] scale: MSE 0.01 -> 20 dB
    p = psnr(y, x)
    assert p[1].item() == pytest.approx(20.0, abs=1e-4) and p[0].item() > 90


def test_ssim_is_one_for_identical_and_falls_with_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 32, 32, generator=g) * 2 - 1
    assert ssim(x, x) == pytest.approx(torch.ones(3), abs=1e-5)
    noisy = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    s = ssim(noisy, x)
    assert (s < 0.9).all() and (s > 0).all()
    assert ssim(-x, x).mean() < 0  # inverted structure


def test_ssim_a_brightness_shift_costs_a_little():
    x = torch.rand(1, 1, 16, 16) * 0.5
    y = x + 0.2  # luminance term only: (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1) < 1
    s = ssim(y, x).item()
    assert 0.9 < s < 1.0 and not math.isnan(s)
