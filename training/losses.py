"""GAN objectives as small pure functions of discriminator logits.

Each objective is a pair (d_loss(real, fake), g_loss(fake)) of mean losses to minimise:
- nonsaturating, minimax: Goodfellow et al. 2014 (arXiv:1406.2661)
- lsgan: Mao et al. 2017 (arXiv:1611.04076), targets 1 (real) and 0 (fake)
- wgan: Arjovsky et al. 2017 (arXiv:1701.07875), with weight clipping of the critic
- wgan-gp: Gulrajani et al. 2017 (arXiv:1704.00028), gradient penalty on interpolates
- hinge: Lim & Ye 2017 / Miyato et al. 2018 (SNGAN)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from training.errors import OptionError

Tensor = torch.Tensor


def d_nonsaturating(real: Tensor, fake: Tensor) -> Tensor:
    return F.softplus(-real).mean() + F.softplus(fake).mean()  # -log D(x) - log(1 - D(G(z)))


def g_nonsaturating(fake: Tensor) -> Tensor:
    return F.softplus(-fake).mean()  # -log D(G(z))


def g_minimax(fake: Tensor) -> Tensor:
    return -F.softplus(fake).mean()  # log(1 - D(G(z)))


def d_lsgan(real: Tensor, fake: Tensor) -> Tensor:
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def g_lsgan(fake: Tensor) -> Tensor:
    return 0.5 * ((fake - 1) ** 2).mean()


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    return fake.mean() - real.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    return -fake.mean()


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     mix: Tensor) -> Tensor:
    """E[(||grad critic(x_hat)||_2 - 1)^2] at x_hat = mix * real + (1 - mix) * fake; mix (B, 1, 1, 1)."""
    x_hat = (mix * real + (1 - mix) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def per_part(loss: Callable[..., Tensor], weights: tuple[float, ...], *logits: Tensor) -> Tensor:
    """sum_k weights[k] * loss(logits[:, k], ...) for logits (B, K), one column per discriminator of
    an ensemble: each discriminator gets its own loss (a hinge of a sum is not a sum of hinges)."""
    return sum(w * loss(*(x[:, k] for x in logits)) for k, w in enumerate(weights))


@dataclass(frozen=True)
class Objective:
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    n_critic: int = 1  # discriminator steps per generator step
    clip: float | None = None  # clip the critic's weights to [-clip, clip] after each step
    gp_weight: float = 0.0  # weight of the gradient penalty
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas that suit the objective


OBJECTIVES: dict[str, Objective] = {
    "nonsaturating": Objective(d_nonsaturating, g_nonsaturating),
    "minimax": Objective(d_nonsaturating, g_minimax),
    "lsgan": Objective(d_lsgan, g_lsgan),
    "wgan": Objective(d_wasserstein, g_wasserstein, n_critic=5, clip=0.01, betas=(0.5, 0.999)),
    "wgan-gp": Objective(d_wasserstein, g_wasserstein, n_critic=5, gp_weight=10.0, betas=(0.0, 0.9)),
    "hinge": Objective(d_hinge, g_wasserstein),
}


def get_objective(name: str) -> Objective:
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise OptionError(f"unknown loss {name!r}; choose one of: {', '.join(OBJECTIVES)}") from None
