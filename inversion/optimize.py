"""Invert images into a generator's latent space by optimisation, starting from the encoder.

Adam on the code z minimising, per image,
    w_pixel * MSE(G(z), x) + w_lpips * LPIPS(G(z), x) + w_prior * ((||u||^2 / d) - 1)^2,
with u = (z - mean) / std in the units of the model's typical codes (GANModel.code_spread: u = z for
z ~ N(0, I)); the last term keeps the code on the shell where typical codes lie (a plausible code).
For a style generator the code is w and G is its synthesis network (GANModel.decode).
Several starts per image run in one batch (the encoder's guess plus perturbations); the best one is
kept. Losses are summed over images, so every image's optimisation is independent of the others in
the batch. The learning-rate schedule follows the StyleGAN2 projector (Karras et al. 2020): a short
ramp up and a cosine ramp down. Written as a generator of steps that can be stopped between steps;
the last step yielded always holds the best z so far. Stops early when the loss stops improving.

A mask (1 = known pixel) restricts the reconstruction to known pixels: image completion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn


@dataclass(frozen=True)
class InvertConfig:
    steps: int = 100  # Adam steps at most
    lr: float = 0.05
    w_pixel: float = 1.0
    w_lpips: float = 1.0
    w_prior: float = 0.1
    w_identity: float = 0.0  # face models: weight of the differentiable identity term (identity.py)
    starts: int = 4  # starts per image: the initial guess plus starts-1 perturbations of it
    start_noise: float = 0.5  # std of the perturbations
    lr_rampup: float = 0.0  # share of steps spent ramping the learning rate up
    lr_rampdown: float = 0.25  # share of steps spent ramping it down (cosine)
    patience: int = 25  # stop when the loss improved less than min_improvement over this many steps
    min_improvement: float = 2e-3  # relative
    seed: int = 0


@dataclass(frozen=True)
class InvertStep:
    step: int
    loss: torch.Tensor  # (N,) best loss so far of each image
    z: torch.Tensor  # (N, D) best code so far of each image
    preview: torch.Tensor  # (N, C, R, R) G(z) for those codes, in [-1, 1]
    done: bool  # last step (budget spent or converged)


def prior_loss(u: torch.Tensor) -> torch.Tensor:
    """(B,) distance of ||u||^2 / d from 1, its value for typical codes in spread units (u = z
    for z ~ N(0, I))."""
    return ((u * u).mean(1) - 1) ** 2


def reconstruction_loss(x_hat: torch.Tensor, target: torch.Tensor, lpips: nn.Module | None,
                        w_pixel: float, w_lpips: float, mask: torch.Tensor | None = None,
                        target_features: list[torch.Tensor] | None = None) -> torch.Tensor:
    """(B,) pixel MSE + LPIPS of x_hat against target, over the pixels where mask is 1.

    `target_features` (lpips.features(target)) saves recomputing them when there is no mask.
    """
    if mask is None:
        pixel = ((x_hat - target) ** 2).flatten(1).mean(1)
    else:
        pixel = (((x_hat - target) ** 2) * mask).flatten(1).sum(1) / mask.flatten(1).sum(1).clamp_min(1)
    loss = w_pixel * pixel
    if lpips is not None and w_lpips:
        if mask is not None:  # unknown pixels take the generated values: LPIPS sees only known ones
            target_features = lpips.features(target * mask + x_hat.detach() * (1 - mask))
        elif target_features is None:
            target_features = lpips.features(target)
        loss = loss + w_lpips * lpips.distance(x_hat, [f.detach() for f in target_features])
    return loss


def learning_rate(cfg: InvertConfig, step: int, total: int) -> float:
    t = step / max(1, total)
    ramp = min(1.0, (1.0 - t) / cfg.lr_rampdown) if cfg.lr_rampdown > 0 else 1.0
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    if cfg.lr_rampup > 0:
        ramp *= min(1.0, t / cfg.lr_rampup)
    return cfg.lr * max(ramp, 0.02)


def starting_codes(guess: torch.Tensor, cfg: InvertConfig, std: torch.Tensor | None = None
                   ) -> torch.Tensor:
    """(N, K, D): each image's guess, then K-1 perturbations of it (scaled by the codes' `std`)."""
    g = torch.Generator().manual_seed(cfg.seed)
    noise = torch.randn(guess.shape[0], cfg.starts, guess.shape[1], generator=g) * cfg.start_noise
    if std is not None:
        noise = noise * std
    noise[:, 0] = 0
    return guess[:, None].cpu() + noise


def optimize(G: Callable[[torch.Tensor], torch.Tensor], target: torch.Tensor, z_init: torch.Tensor,
             lpips: nn.Module | None, cfg: InvertConfig, mask: torch.Tensor | None = None,
             spread: tuple[torch.Tensor, torch.Tensor] | None = None,
             identity: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Iterator[InvertStep]:
    """Optimise codes for targets (N, C, R, R) from starts z_init (N, K, D); yield every step.
    G decodes codes (GANModel.decode). With `spread` = (mean, std) (GANModel.code_spread) Adam
    moves u = (z - mean) / std, so the learning rate, the prior and the start noise mean the same
    in w as in z; without it (z ~ N(0, I)) it moves z itself. `identity`, images (N*K, C, R, R) ->
    (N*K,) identity distances to each image's target, is added with weight cfg.w_identity."""
    n, k, d = z_init.shape
    device = target.device
    targets = target.repeat_interleave(k, 0)  # (N*K, C, R, R)
    masks = mask.repeat_interleave(k, 0) if mask is not None else None
    target_features = None
    if lpips is not None and cfg.w_lpips and mask is None:
        with torch.no_grad():
            target_features = lpips.features(targets)
    if spread is None:
        u = z_init.reshape(n * k, d).clone().to(device).requires_grad_(True)
        code = lambda u: u  # noqa: E731
    else:
        mean, std = (s.to(device) for s in spread)
        u = ((z_init.reshape(n * k, d).to(device) - mean) / std).requires_grad_(True)
        code = lambda u: mean + std * u  # noqa: E731
    opt = torch.optim.Adam([u], lr=cfg.lr, betas=(0.9, 0.999))
    best_loss = torch.full((n,), math.inf)
    best_z = z_init[:, 0].clone()
    best_x = torch.zeros_like(target)
    history: list[float] = []
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step, cfg.steps)
        z = code(u)
        x_hat = G(z)
        per = reconstruction_loss(x_hat, targets, lpips, cfg.w_pixel, cfg.w_lpips, masks,
                                  target_features)
        per = per + cfg.w_prior * prior_loss(u)
        if identity is not None and cfg.w_identity:
            per = per + cfg.w_identity * identity(x_hat)
        with torch.no_grad():  # keep each image's best start at its best step so far
            per_img = per.detach().cpu().view(n, k)
            val, idx = per_img.min(1)
            better = val < best_loss
            if better.any():
                rows = torch.nonzero(better).flatten()
                flat = rows * k + idx[rows]
                best_loss[rows] = val[rows]
                best_z[rows] = z.detach().cpu()[flat]
                best_x[rows] = x_hat.detach()[flat.to(device)]
        opt.zero_grad(set_to_none=True)
        per.sum().backward()
        opt.step()
        history.append(best_loss.sum().item())
        converged = (len(history) > cfg.patience and
                     history[-cfg.patience - 1] - history[-1] < cfg.min_improvement * abs(history[-1]))
        done = converged or step == cfg.steps - 1
        yield InvertStep(step + 1, best_loss.clone(), best_z.clone(), best_x.clone(), done)
        if done:
            return
