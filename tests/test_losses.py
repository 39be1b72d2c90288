"""Each objective on known values."""
import math

import pytest
import torch

from training import losses as L

real = torch.tensor([2.0, 0.0])
fake = torch.tensor([-1.0, 1.0])


def sp(x):  # softplus
    return math.log1p(math.exp(x))


@pytest.mark.parametrize("fn, expected", [
    (L.d_nonsaturating, (sp(-2) + sp(0)) / 2 + (sp(-1) + sp(1)) / 2),
    (L.d_lsgan, 0.5 * ((1 + 1) / 2) + 0.5 * ((1 + 1) / 2)),
    (L.d_wasserstein, 0.0 - 1.0),
    (L.d_hinge, (0 + 1) / 2 + (0 + 2) / 2),
])
def test_discriminator_losses(fn, expected):
    assert fn(real, fake).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("fn, expected", [
    (L.g_nonsaturating, (sp(1) + sp(-1)) / 2),
    (L.g_minimax, -(sp(-1) + sp(1)) / 2),
    (L.g_lsgan, 0.5 * ((4 + 0) / 2)),
    (L.g_wasserstein, -0.0),
])
def test_generator_losses(fn, expected):
    assert fn(fake).item() == pytest.approx(expected, abs=1e-6)


def test_minimax_and_nonsaturating_agree_on_direction_but_not_strength():
    # Both push D(G(z)) up; minimax's gradient vanishes where D is sure the sample is fake.
    f = torch.tensor([-8.0], requires_grad=True)
    (g_ns,) = torch.autograd.grad(L.g_nonsaturating(f), f)
    (g_mm,) = torch.autograd.grad(L.g_minimax(f), f)
    assert g_ns.item() < 0 and g_mm.item() < 0
    assert abs(g_mm.item()) < 1e-3 < abs(g_ns.item())


def test_gradient_penalty_zero_for_unit_slope_critic():
    real, fake = torch.randn(4, 1, 2, 2), torch.randn(4, 1, 2, 2)
    mix = torch.rand(4, 1, 1, 1)
    w = torch.zeros(1, 1, 2, 2)
    w[0, 0, 0, 0] = 1.0  # gradient norm exactly 1 everywhere
    assert L.gradient_penalty(lambda x: (x * w).sum((1, 2, 3)), real, fake, mix).item() == \
        pytest.approx(0.0, abs=1e-6)
    # Slope 3: penalty (3 - 1)^2 = 4.
    assert L.gradient_penalty(lambda x: 3 * (x * w).sum((1, 2, 3)), real, fake, mix).item() == \
        pytest.approx(4.0, abs=1e-5)


def test_unknown_objective_names_the_choices():
    with pytest.raises(ValueError, match="hinge"):
        L.get_objective("bogus")


def test_every_objective_is_registered():
    assert set(L.OBJECTIVES) == {"nonsaturating", "minimax", "lsgan", "wgan", "wgan-gp", "hinge"}
