"""The iterative encoder R: (photo, current reconstruction) -> a correction of the code, applied a
few times after the encoder's guess (ReStyle, Alaluf et al., ICCV 2021).

    u_0 = (E(x) - mean) / std,    u_{k+1} = u_k + R(x, G(mean + std * u_k)),    k < N,

with E the single-pass encoder (inversion.encoder), G the model's decode and (mean, std) its codes'
spread (GANModel.code_spread: the correction is in the units that suit z and w alike). Each
iteration costs one pass of R and one decode: milliseconds on a CPU.

R has the discriminator's trunk with twice the input channels (the photo and the reconstruction
side by side); it starts from the encoder's trunk reading the photo, with zero weights on the
reconstruction and a zero head, so that before training it changes nothing. Trained with the
generator and the encoder frozen, each batch at one iteration k drawn uniformly below N (the first k
run without gradients): real training images x with pixel MSE + LPIPS of the corrected
reconstruction, and generated pairs (z, G(z)) with the latent error in spread units + pixel MSE.
Drawing k per batch, rather than a loss and a backward pass at each of the N iterations of every
batch as ReStyle does, gives each iteration the same share of the training at a fraction of the cost.
Shipped inside the model folder as the network "refiner" (config key "refiner", its iterations).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from inversion.encoder import Encoder
from training.data import ImageSet
from training.modelfile import GANModel, ModelFormatError, read_network, write_model_folder
from training.networks import GANConfig

ITERATIONS = 4  # corrections after the encoder's guess (ReStyle uses up to 5; gains flatten by 4)


class IterativeEncoder(nn.Module):
    """(photo x, reconstruction y), each (B, C, R, R) in [-1, 1] -> code correction (B, D) in
    spread units."""

    def __init__(self, gan: GANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        ch_in, ch = 2 * gan.channels, gan.width
        for _ in range(gan.n_blocks):  # the discriminator's trunk (training.networks), unnormalised
            layers += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            ch_in, ch = ch, ch * 2
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(ch_in * 16, gan.latent_dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(torch.cat([x, y], 1)))

    @classmethod
    def from_encoder(cls, gan: GANConfig, encoder: Encoder) -> "IterativeEncoder":
        """A new R whose trunk reads the photo as the encoder's does, blind to the reconstruction
        until trained, with a zero head: it starts as 'no correction'."""
        net = cls(gan)
        with torch.no_grad():
            for mine, theirs in zip(net.trunk, encoder.trunk):
                if isinstance(mine, nn.Conv2d):
                    if mine.in_channels == 2 * theirs.in_channels:
                        mine.weight.zero_()
                        mine.weight[:, :theirs.in_channels] = theirs.weight
                    else:
                        mine.weight.copy_(theirs.weight)
                    mine.bias.copy_(theirs.bias)
            nn.init.zeros_(net.head.weight)
            nn.init.zeros_(net.head.bias)
        return net


def refine(model: GANModel, refiner: IterativeEncoder, x: torch.Tensor, code: torch.Tensor,
           iterations: int) -> list[torch.Tensor]:
    """Codes after 0..iterations corrections of `code` (B, D) for photos x: a list of
    iterations + 1 tensors (B, D), the first the code given. Differentiable through the last step
    only when called under grad (each correction reads a detached reconstruction)."""
    mean, std = model.code_spread()
    u = (code - mean) / std
    out = [code]
    for _ in range(iterations):
        y = model.decode(mean + std * u.detach())
        u = u.detach() + refiner(x, y.detach())
        out.append(mean + std * u)
    return out


@torch.no_grad()
def first_guess(model: GANModel, encoder: Encoder, refiner: tuple[IterativeEncoder, int] | None,
                x: torch.Tensor, iterations: int | None = None) -> torch.Tensor:
    """(N, D) codes for images x: the encoder's, corrected by the iterative encoder when there is
    one (load_refiner), `iterations` times (default: as it was trained; 0: the encoder alone)."""
    code = encoder(x)
    if refiner is None:
        return code
    net, trained = refiner
    return refine(model, net, x, code, trained if iterations is None else iterations)[-1]


@dataclass(frozen=True)
class RefinerTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    lr: float = 3e-4
    iterations: int = ITERATIONS
    real_fraction: float = 0.75  # share of batches of real images; the rest are generated pairs
    w_latent: float = 1.0
    w_pixel: float = 1.0
    w_lpips: float = 1.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RefinerStep:
    step: int
    loss: float
    iteration: int  # the iteration this batch trained (0: the first correction)
    kind: str  # "real" or "pairs"


def train_refiner(model: GANModel, encoder: Encoder, data: ImageSet, lpips: nn.Module,
                  cfg: RefinerTrainConfig, refiner: IterativeEncoder | None = None
                  ) -> Iterator[RefinerStep]:
    """Adam with cosine decay; generator and encoder frozen (eval). Yields every step."""
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    net = refiner or IterativeEncoder.from_encoder(model.gan, encoder)
    net.train()
    model.generator.eval()
    encoder.eval()
    std = model.code_spread()[1]
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    for step in range(1, cfg.steps + 1):
        use_real = torch.rand(1, generator=g).item() < cfg.real_fraction
        k = int(torch.randint(cfg.iterations, (1,), generator=g))
        with torch.no_grad():
            if use_real:
                x, z = data.batch(torch.randint(len(data), (cfg.batch_size,), generator=g)), None
            else:
                z = model.codes(cfg.batch_size, seed=int(torch.randint(2**31, (1,), generator=g)))
                x = model.decode(z)
            start = refine(model, net, x, encoder(x), k)[-1]
        code = refine(model, net, x, start, 1)[-1]
        recon = model.decode(code)
        if use_real:
            loss = cfg.w_pixel * F.mse_loss(recon, x) + cfg.w_lpips * lpips(recon, x).mean()
        else:
            loss = cfg.w_latent * F.mse_loss(code / std, z / std) + cfg.w_pixel * F.mse_loss(recon, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        yield RefinerStep(step, loss.item(), k, "real" if use_real else "pairs")
    net.eval()


def save_refiner(model: GANModel, net: IterativeEncoder, info: dict) -> None:
    """Add the iterative encoder to the model's folder (every other network is kept)."""
    cfg = {k: v for k, v in model.config.items() if k not in ("networks", "format", "format_version")}
    cfg["refiner"] = {"architecture": "discriminator trunk on (photo, reconstruction) + linear",
                      "latent_space": model.latent_space,
                      "encoder_sha256": model.config["networks"]["encoder"]["sha256"], **info}
    write_model_folder(model.path, {"refiner": net.eval()}, cfg)


def load_refiner(model: GANModel) -> tuple[IterativeEncoder, int] | None:
    """(the model's iterative encoder, its iterations), or None if the model folder has none or
    it was trained on top of another encoder than the folder's."""
    if "refiner" not in model.config.get("networks", {}):
        return None
    info = model.config.get("refiner", {})
    if info.get("encoder_sha256") != model.config["networks"].get("encoder", {}).get("sha256"):
        return None  # trained for an encoder that has since been replaced: its corrections would not fit
    if "refiner" not in model.extra:
        if info.get("latent_space", "z") != model.latent_space:
            raise ModelFormatError(f"{model.name}'s iterative encoder works in "
                                   f"{info.get('latent_space')}, but the model is edited in "
                                   f"{model.latent_space}; train it again with "
                                   f"`latent-edit train-encoder --model {model.command_name} --iterative`")
        model.extra["refiner"] = read_network(model.path, model.config, "refiner",
                                              IterativeEncoder(model.gan))
    return model.extra["refiner"], info.get("iterations", ITERATIONS)  # checked with the config
