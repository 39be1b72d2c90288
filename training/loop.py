"""The GAN training loop, written as a generator of steps.

`Trainer.steps()` yields a `Step` after every generator update, so the CLI wraps it in a progress
bar and can stop between steps (Ctrl-C saves a checkpoint). Randomness for each step (batch order,
z, augmentation) is drawn from a generator seeded by (seed, rank, step), so a resumed run repeats
an uninterrupted one exactly. Under `torchrun` the networks are wrapped in DistributedDataParallel
(gloo on the CPU, nccl on CUDA) and each rank reads its own share of every batch.
"""
from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterator

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from training.augment import diff_augment
from training.checkpoint import CHECKPOINT_NAME, restore_checkpoint, save_checkpoint
from training.data import ImageSet
from training.errors import OptionError
from training.fileio import write_json_atomic
from training.images import grid_image, save_loss_curve, save_png
from training.losses import gradient_penalty, get_objective, per_part
from training.architectures import build_discriminator, build_generator
from training.networks import GANConfig, init_weights
from training.options import replace_given


@dataclass(frozen=True)
class TrainConfig:
    gan: GANConfig = field(default_factory=GANConfig)
    data: str = "fashion-mnist"  # "fashion-mnist", or a folder / .zip of images
    data_root: str | None = None  # folder with the Fashion-MNIST idx files (default: Debian's)
    attributes: str | None = None  # attribute table for an image folder
    test_fraction: float = 0.1  # image folders: the last share of sorted files, never trained on
    loss: str = "hinge"  # a name in training.losses.OBJECTIVES
    steps: int = 10_000  # generator updates
    batch_size: int = 64  # images per step, summed over all processes
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    ema_decay: float = 0.999  # generator weight average kept for sampling and export
    projected_weight: float = 1.0  # dcgan+projected D: weight of the projected part's losses (DCGAN's 1)
    teacher: str | None = None  # a model (folder or shipped name) whose generator G also imitates:
    # knowledge distillation (Aguinaldo et al. 2019, arXiv:1902.00159), e.g. a narrower G from a wider
    teacher_weight: float = 10.0  # weight of the mean absolute difference to the teacher's picture
    teacher_sha256: str | None = None  # its generator's, when the run began: checked as it goes on
    augment: tuple[str, ...] = ()  # DiffAugment policy, e.g. ("translation", "cutout", "color")
    seed: int = 0
    sample_every: int = 500  # steps between sample grids and loss curves
    checkpoint_every: int = 1000  # steps between checkpoints
    amp: bool = False  # bfloat16 autocast on CUDA
    device: str = "auto"  # "auto", "cpu" or "cuda"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["augment"] = list(self.augment)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["gan"] = GANConfig.from_dict(d["gan"])
        d["augment"] = tuple(d.get("augment", ()))
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Step:
    step: int  # generator updates done so far
    d_loss: float
    g_loss: float


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group that torchrun set up, or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size())


def leave_distributed() -> None:
    """Leave torchrun's process group together, if there is one: each rank waits for the others,
    then the group is destroyed. A rank that exited with the group alive aborted now and then under
    load ("terminate called without an active exception", SIGABRT: a CI run of the two-process
    test beside other work)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise OptionError("--device cuda was asked for, but PyTorch finds no CUDA GPU")
    if name == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return torch.device(name)


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + rank) * 1_000_003 + step)


class Trainer:
    """Holds networks, optimisers and run folder; `steps()` trains and yields progress."""

    def __init__(self, cfg: TrainConfig, data: ImageSet, out: str | os.PathLike,
                 resume: bool = False, dist_info: DistInfo | None = None):
        if cfg.batch_size % (dist_info.world if dist_info else 1):
            raise OptionError("batch size must be divisible by the number of processes")
        self.cfg, self.data, self.out = cfg, data, Path(out)
        self.device = pick_device(cfg.device)
        self.dist = dist_info or DistInfo()
        self.objective = get_objective(cfg.loss)
        if data.resolution != cfg.gan.resolution or data.channels != cfg.gan.channels:
            raise OptionError(f"data is {data.resolution}px x{data.channels} channels but the model "
                             f"expects {cfg.gan.resolution}px x{cfg.gan.channels}")
        torch.manual_seed(cfg.seed)
        self.G = build_generator(cfg.gan).to(self.device)
        self.D = build_discriminator(cfg.gan).to(self.device)
        init_weights(self.G)  # DCGAN layers only; the style and projected networks init themselves
        init_weights(self.D)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.teacher = load_teacher(cfg, self.device) if cfg.teacher else None
        betas = self.objective.betas
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas)
        self._order_cache: tuple[int, torch.Tensor] = (-1, torch.empty(0))
        self.step = 0
        self.history: list[tuple[int, float, float]] = []  # (step, d_loss, g_loss)
        self.seconds = 0.0  # training time over all sessions of this run
        self.started_from: dict | None = None  # the exported model a run was seeded with (--from-model)
        if resume:
            meta = restore_checkpoint(self.out, self.modules, self.optimizers)  # latest readable
            self.step, self.seconds = meta["step"], meta.get("seconds", 0.0)
            self.started_from = meta.get("started_from")
            self.history = [tuple(h) for h in meta["history"]]
            # The optimisers' states carry the rates they were saved with; a resume may set new ones.
            for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
                for group in opt.param_groups:
                    group["lr"] = lr
        if self.dist.world > 1:
            self.G_train = DDP(self.G)
            self.D_train = DDP(self.D)
        else:
            self.G_train, self.D_train = self.G, self.D
        self.fixed_z = torch.randn(64, cfg.gan.latent_dim,
                                   generator=torch.Generator().manual_seed(cfg.seed))

    @property
    def modules(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.G, "discriminator": self.D, "generator_ema": self.G_ema}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    @property
    def part_weights(self) -> tuple[float, ...]:
        """The loss weight of each discriminator `D(x, parts=True)` answers for."""
        return (1.0, self.cfg.projected_weight) if self.D.parts == ("dcgan", "projected") else (1.0,)

    def batch_indices(self, step: int, substep: int) -> torch.Tensor:
        """This rank's images for one discriminator update: epochs of random order, no repeats."""
        n, per_rank = len(self.data), self.cfg.batch_size // self.dist.world
        start = (step * self.objective.n_critic + substep) * self.cfg.batch_size
        start += self.dist.rank * per_rank
        pos = torch.arange(start, start + per_rank)
        return torch.stack([self._epoch_order(int(p // n))[p % n] for p in pos])

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        """The random order of the data in `epoch`, a function of (seed, epoch) alone."""
        if self._order_cache[0] != epoch:
            g = torch.Generator().manual_seed(self.cfg.seed * 7919 + epoch)
            self._order_cache = (epoch, torch.randperm(len(self.data), generator=g))
        return self._order_cache[1]

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16,
                              enabled=self.cfg.amp and self.device.type == "cuda")

    def train_step(self) -> Step:
        cfg, obj = self.cfg, self.objective
        g = step_generator(cfg.seed, self.dist.rank, self.step)
        per_rank = cfg.batch_size // self.dist.world
        augment = (lambda x: diff_augment(x, cfg.augment, g)) if cfg.augment else (lambda x: x)
        weights = self.part_weights
        self.D.requires_grad_(True)
        for sub in range(obj.n_critic):
            real = self.data.batch(self.batch_indices(self.step, sub), self.device)
            z = torch.randn(per_rank, cfg.gan.latent_dim, generator=g).to(self.device)
            with torch.no_grad(), self._autocast():
                fake = self.G(z).float()
            with self._autocast():  # (2B, K): a logit column per discriminator, each its own loss
                logits = self.D_train(augment(torch.cat([real, fake])), parts=True).float()
                d_loss = per_part(obj.d_loss, weights, logits[:per_rank], logits[per_rank:])
            if obj.gp_weight:  # each discriminator's own gradient norm
                mix = torch.rand(per_rank, 1, 1, 1, generator=g).to(self.device)
                d_loss = d_loss + obj.gp_weight * sum(
                    w * gradient_penalty(lambda x, k=k: self.D(x, parts=True)[:, k], real, fake, mix)
                    for k, w in enumerate(weights))
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            if obj.clip is not None:
                with torch.no_grad():
                    for p in self.D.parameters():
                        p.clamp_(-obj.clip, obj.clip)
        self.D.requires_grad_(False)  # the generator step needs gradients through D, not for it
        z = torch.randn(per_rank, cfg.gan.latent_dim, generator=g).to(self.device)
        with self._autocast():
            fake = self.G_train(z)
            g_loss = per_part(obj.g_loss, weights, self.D(augment(fake), parts=True).float())
        if self.teacher is not None:  # the same code drawn as the teacher draws it
            with torch.no_grad():
                taught = self.teacher(z)
            g_loss = g_loss + cfg.teacher_weight * (fake.float() - taught).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.update_ema()
        self.step += 1
        return Step(self.step, d_loss.item(), g_loss.item())

    @torch.no_grad()
    def update_ema(self) -> None:
        # Warm-up: average over roughly the steps so far until `ema_decay` takes over.
        decay = min(self.cfg.ema_decay, (1 + self.step) / (10 + self.step))
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.lerp_(p, 1 - decay)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    def steps(self) -> Iterator[Step]:
        """Train until `cfg.steps`, yielding after every step; writes samples and checkpoints."""
        if self.dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.out / "run.json",
                              {"config": self.cfg.to_dict(), "data": self.data.describe(),
                               "world_size": self.dist.world})
        tick = time.perf_counter()
        while self.step < self.cfg.steps:
            s = self.train_step()
            if s.step % 10 == 0 or not self.history:  # the first step too (of a run seeded from a model)
                self.history.append((s.step, s.d_loss, s.g_loss))
            now = time.perf_counter()
            self.seconds, tick = self.seconds + now - tick, now
            if s.step % self.cfg.sample_every == 0 or s.step == self.cfg.steps:
                self.write_samples()
            if s.step % self.cfg.checkpoint_every == 0 or s.step == self.cfg.steps:
                self.save()
            yield s
        if self.dist.world > 1:
            self.record_rank_checksums()

    def write_samples(self) -> None:
        if not self.dist.main:
            return
        with torch.no_grad():
            x = self.G_ema(self.fixed_z.to(self.device))
        img = grid_image(x, nrow=8)
        save_png(img, self.out / "samples" / f"step_{self.step:07d}.png")
        save_png(img, self.out / "samples.png")
        save_loss_curve(self.history, self.out / "losses.png",
                        title=f"{self.cfg.loss} on {self.data.name}")

    def save(self) -> None:
        """Write the checkpoint (rank 0 only); atomic, so an interrupted save keeps the last one."""
        if not self.dist.main:
            return
        meta = {"step": self.step, "seconds": self.seconds, "history": self.history,
                "train_config": self.cfg.to_dict(), "data": self.data.describe()}
        if self.started_from:
            meta["started_from"] = self.started_from
        save_checkpoint(self.out / CHECKPOINT_NAME, self.modules, self.optimizers, meta)

    def record_rank_checksums(self) -> None:
        """Gather a checksum of every rank's weights; rank 0 records them in run.json."""
        flat = torch.cat([p.detach().double().flatten().cpu()
                          for p in list(self.G.parameters()) + list(self.D.parameters())])
        local = torch.tensor([flat.sum().item(), (flat * torch.arange(len(flat))).sum().item()],
                             dtype=torch.float64)
        gathered = [torch.zeros_like(local) for _ in range(self.dist.world)]
        dist.all_gather(gathered, local.to(self.device) if self.device.type == "cuda" else local)
        if self.dist.main:
            info = json.loads((self.out / "run.json").read_text())
            info["rank_checksums"] = [g.cpu().tolist() for g in gathered]
            write_json_atomic(self.out / "run.json", info)


def with_teacher(cfg: TrainConfig, teacher: str) -> TrainConfig:
    """`cfg` taught by model `teacher` (a folder or a shipped name): its folder's absolute path and
    its generator's hash recorded, so that a run goes on with the same teacher, or says which one
    it lacks. A run that has one already may be told its new place, not another teacher."""
    from training.errors import UserError
    from training.modelfile import resolve_model
    from training.validate import read_json

    try:
        folder = resolve_model(teacher).resolve()
        sha = read_json(folder / "config.json", "its config.json")["networks"]["generator"]["sha256"]
    except (UserError, OSError, KeyError, TypeError) as e:
        raise OptionError(f"--teacher {teacher}: not a model folder whose generator can be read ({e})")
    if cfg.teacher_sha256 is not None and sha != cfg.teacher_sha256:
        raise OptionError(f"--teacher {teacher}: its generator ({sha[:12]}) is not the one this run "
                          f"was taught by ({cfg.teacher_sha256[:12]}, then at {cfg.teacher})")
    return replace(cfg, teacher=str(folder), teacher_sha256=sha)


def load_teacher(cfg: TrainConfig, device: torch.device) -> torch.nn.Module:
    """The frozen generator of model `cfg.teacher`, in eval mode, drawing codes of the run's own
    kind: a z model of the same latent size, resolution and channels, whose generator is the one
    the run began with (else an OptionError naming the teacher)."""
    from training.modelfile import ModelFormatError, load_model

    try:
        teacher = load_model(cfg.teacher)
    except ModelFormatError as e:
        raise OptionError(f"the teacher this run learns from ({cfg.teacher}) cannot be read: {e}; "
                          f"give its new place with --teacher") from e
    if cfg.teacher_sha256 is not None and teacher.generator_sha256 != cfg.teacher_sha256:
        raise OptionError(f"the teacher at {cfg.teacher} is not the one this run began with (its "
                          f"generator {teacher.generator_sha256[:12]}, then {cfg.teacher_sha256[:12]})")
    mine, theirs = cfg.gan, teacher.gan
    if teacher.latent_space != "z" or cfg.gan.generator == "style" or \
            (theirs.latent_dim, theirs.resolution, theirs.channels) != \
            (mine.latent_dim, mine.resolution, mine.channels):
        raise OptionError(f"--teacher {cfg.teacher}: its generator draws {theirs.resolution}px x"
                          f"{theirs.channels} channels from {theirs.latent_dim}-d "
                          f"{teacher.latent_space} codes; this run's draws {mine.resolution}px x"
                          f"{mine.channels} from {mine.latent_dim}-d z codes")
    return teacher.generator.to(device).eval().requires_grad_(False)


def resumed_config(out: str | os.PathLike, **overrides) -> TrainConfig:
    """The config a run was started with (from its checkpoint), with `overrides` applied (e.g. steps)."""
    from training.checkpoint import latest_checkpoint

    meta = latest_checkpoint(out)[2]
    teacher = overrides.pop("teacher", None)
    cfg = replace_given(TrainConfig.from_dict(meta["train_config"]), **overrides)
    if teacher is not None:  # the same teacher's new place (or a teacher for a run without one)
        cfg = with_teacher(cfg, teacher)
    return cfg
