"""Per-photo generator tuning: pivotal tuning (PTI, Roich et al. 2021, arXiv:2106.05744).

After inversion, the code z_p (the pivot) reproduces the photo only as well as the generator can.
A copy of the generator's weights is then fine-tuned so that G'(z_p) reproduces the photo:
    L = w_pixel * MSE(G'(z_p), x) + w_lpips * LPIPS(G'(z_p), x) [+ w_identity * identity distance]
      + w_locality * (MSE + LPIPS)(G'(z_r), G(z_r)),  z_r = z_p + r * std * u,
u a random unit direction, r = `locality_radius`, std the codes' spread (GANModel.code_spread):
PTI's locality regulariser keeps the tuned generator equal to the original on a sphere around the
pivot, so slider and stroke edits still move the picture as they did. Deterministic for a seed; a
generator of steps, stoppable between steps. The tuned weights are kept as the tensors that
differ from the model's generator, tied to its hash (safetensors beside a code file, a session or
an export; save_tuned, load_tuned).

Defaults (benchmarks/results/generator_tuning*.md): face models tune unless told not to
(tunes_by_default); PTI's learning rate and 150 steps bring the astronaut and 8 held-out faces back
to the same person by dlib's rule (distance 0.33-0.53, from 0.60-0.80); with every layer tuned
they kept about 77% of a slider edit's change (a learning rate of 1e-3 got there in 75 steps but
kept 19%: the tuned generator drew the photo all around the pivot), and took 8.8 s for the
astronaut on one torch thread (TUNE_THREADS) with one other program on the 2 cores.

Only the layers that draw maps of 16 px or more are tuned (TuneConfig.tune_from). Tuning every
layer let the coarse ones, where a slider turns a mouth up or a fringe down, learn the photo too:
the tuned generator then drew the photo a little way along every slider. On the astronaut and 15
held-out faces, Smiling, Male, Young and Bangs at strength 2, the photo with the tuned generator's
change added (at the model's size, as the carry-back adds it) flipped the attribute classifier's
verdict for 17% of the 64 face-and-slider pairs with every layer tuned, 31% from 16 px on; 95%
of the sliders' change kept instead of 75%; the reconstruction's LPIPS and identity the same; 5.7 s
instead of 7.4 beside two trainings (benchmarks/results/generator_tuning_layers.md).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from torch import nn

from inversion.optimize import reconstruction_loss
from training.modelfile import GANModel


# Torch threads for tuning. On 2 cores shared with other programs two threads took 5-15 times as long
# as one (their OpenMP threads wait on each other's preempted turn); an idle machine was not seen.
TUNE_THREADS = 1


@dataclass(frozen=True)
class TuneConfig:
    steps: int = 150  # Adam steps on the generator's weights
    lr: float = 3e-4  # PTI's learning rate
    w_pixel: float = 1.0
    w_lpips: float = 1.0
    w_identity: float = 0.0  # face models: weight of the differentiable identity term
    w_locality: float = 0.1  # weight of staying the original generator around the pivot
    locality_every: int = 5  # steps between locality terms (lazy, as PTI's)
    locality_radius: float = 3.0  # in units of the codes' spread: how far around the pivot
    seed: int = 0
    tune_from: int = 16  # only the layers that draw maps of at least this side are tuned; the
    # coarser ones, where the sliders' changes of shape are made, stay the model's (0: all layers;
    # 16 against 0 on 16 faces: the same LPIPS and identity, 95% of the sliders' change kept
    # instead of 75%, flips 31% instead of 17%, a quarter faster; 10 products: LPIPS 0.00015
    # instead of 0.00039: benchmarks/results/generator_tuning_layers*.md)


@dataclass(frozen=True)
class TuneStep:
    step: int
    loss: float  # reconstruction loss of the pivot's image before this step's update
    preview: torch.Tensor | None  # (1, C, R, R) G'(z_p) after the last step; None before it
    done: bool


def tuned_copy(model: GANModel) -> nn.Module:
    """A trainable deep copy of the model's generator (the model's own stays untouched)."""
    g = copy.deepcopy(model.generator)
    g.train(False)  # batch-norm statistics stay as trained: the pivot is one image
    return g.requires_grad_(True)


def layer_sides(model: GANModel, generator: nn.Module) -> dict[str, int]:
    """Each parameter's name -> the side of the map its layer draws: the first image-shaped map
    made once its module's forward pass has begun (a convolution's own output; a linear layer
    projecting to the first map; a style generator's affine layer inside its convolution; a
    learnt constant input at the start of the synthesis). 0: not drawn through (a mapping network
    when edits are in w)."""
    events: list[tuple[nn.Module, int | None]] = []  # (module, None) a start, (None, side) a map
    hooks = []
    for m in generator.modules():
        hooks.append(m.register_forward_pre_hook(lambda m, i: events.append((m, None))))
        hooks.append(m.register_forward_hook(lambda m, i, o: events.append(
            (None, o.shape[-1] if isinstance(o, torch.Tensor) and o.dim() == 4 else None))))
    try:
        with torch.no_grad():
            device = next(generator.parameters()).device  # the editor's model may be on a GPU
            decoder(model, generator)(torch.zeros(1, model.code_spread()[0].numel(), device=device))
    finally:
        for h in hooks:
            h.remove()
    side_of, upcoming = {}, model.gan.resolution
    for module, side in reversed(events):  # the first map at or after each start
        if module is None:
            upcoming = side if side is not None else upcoming
        else:
            side_of[module] = upcoming
    return {f"{name}.{p}" if name else p: side_of.get(m, 0)
            for name, m in generator.named_modules() for p, _ in m.named_parameters(recurse=False)}


def check_tune_from(model: GANModel, tune_from: int) -> None:
    """OptionError for a map size no layer of the model's generator draws (its last layer draws
    the picture itself), before any photo is inverted."""
    if tune_from > model.gan.resolution:
        from training.errors import OptionError

        raise OptionError(f"tuning from {tune_from} px: no layer of {model.name}'s generator draws "
                          f"maps that large (its pictures are {model.gan.resolution} px); tune from "
                          f"{model.gan.resolution} px or less, or 0 for every layer")


def tuned_parameters(model: GANModel, generator: nn.Module, tune_from: int) -> list[nn.Parameter]:
    """The generator's parameters that tuning changes: all, or (tune_from > 0) those of the layers
    drawing maps of at least `tune_from` pixels; the others stop asking for gradients, so the
    backward pass ends above them."""
    if not tune_from:
        return [p for p in generator.parameters() if p.requires_grad]
    check_tune_from(model, tune_from)
    sides = layer_sides(model, generator)
    chosen = []
    for name, p in generator.named_parameters():
        if sides[name] >= tune_from and p.requires_grad:
            chosen.append(p)
        else:
            p.requires_grad_(False)
    if not chosen:  # a generator whose last layer was not seen drawing the picture
        raise ValueError(f"no layer of {model.name}'s generator was seen drawing {tune_from} px maps")
    return chosen


def decoder(model: GANModel, generator: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """code -> image through `generator` in the model's latent space (synthesis for w)."""
    return generator.synthesis if model.latent_space == "w" else generator


def tune(model: GANModel, generator: nn.Module, x: torch.Tensor, pivot: torch.Tensor, lpips,
         cfg: TuneConfig = TuneConfig(),
         identity: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Iterator[TuneStep]:
    """Fine-tune `generator` (tuned_copy) so that its image of `pivot` (D,) reproduces x
    (1, C, R, R); yields every step. `identity`: images -> (B,) distances to x's face."""
    g = torch.Generator().manual_seed(cfg.seed)
    std = model.code_spread()[1]
    pivot = pivot.reshape(1, -1).detach()
    original = decoder(model, model.generator)
    tuned = decoder(model, generator)
    params = tuned_parameters(model, generator, cfg.tune_from)
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)  # unfused, Adam took a sixth of each step
    features = lpips.features(x) if lpips is not None and cfg.w_lpips else None
    for step in range(1, cfg.steps + 1):
        image = tuned(pivot)
        rec = reconstruction_loss(image, x, lpips, cfg.w_pixel, cfg.w_lpips, target_features=features)
        loss = rec
        if identity is not None and cfg.w_identity:
            loss = loss + cfg.w_identity * identity(image)
        loss = loss.sum()
        if cfg.w_locality and step % cfg.locality_every == 0:
            direction = torch.randn(2, pivot.shape[1], generator=g)
            unit = direction / direction.norm(dim=1, keepdim=True)
            near = pivot + cfg.locality_radius * std * unit  # two codes on the sphere around it
            with torch.no_grad():
                target = original(near)
            local = reconstruction_loss(tuned(near), target, lpips, 1.0, 1.0).mean()
            loss = loss + cfg.w_locality * local
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step == cfg.steps
        preview = None
        if done:  # drawn once: a preview at every step would cost a quarter of the loop
            with torch.no_grad():
                preview = tuned(pivot)
        yield TuneStep(step, rec.sum().item(), preview, done)


def tuned_model(model: GANModel, generator: nn.Module) -> GANModel:
    """The model with `generator` (tuned weights) in place of its own, for rendering edits."""
    return model.with_generator(generator.eval().requires_grad_(False))


BASE_KEY = "tuned_from_generator"  # the safetensors header's entry naming the model's generator


def model_generator(model: GANModel) -> nn.Module:
    """The model's generator as its folder holds it (hash-checked): what save_tuned compares with,
    for `model` may be one drawing with a tuned generator (the editor's)."""
    from training.architectures import build_generator
    from training.modelfile import read_network

    return read_network(model.path, model.config, "generator", build_generator(model.gan))


def save_tuned(path, generator: nn.Module, model: GANModel) -> str:
    """Write the tuned generator's weights that differ from `model`'s generator (the layers tuning
    changed: 16% of the face model's, 1.5 MB instead of 9.4) as safetensors, atomically, the model's
    generator hash in the header; return the file's SHA-256."""
    from safetensors.torch import save_file

    from training.fileio import atomic_path, sha256_file

    base = model_generator(model).state_dict()
    tensors = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()
               if not torch.equal(v.detach().cpu(), base[k])}
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={BASE_KEY: model.generator_sha256})
    return sha256_file(Path(path))


def load_tuned(model: GANModel, path, sha256: str | None) -> GANModel:
    """The model with tuned weights read (hash-checked) from `path`: the tensors save_tuned wrote
    on top of the model's own generator, or (files of earlier versions) a whole generator, read
    strictly. ModelFormatError saying so if the file is missing, altered, tuned from another
    version of the model or not this model's generator."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from training.architectures import build_generator
    from training.fileio import sha256_file
    from training.modelfile import ModelFormatError, load_network, refuse_pickle

    path = Path(path)
    what = f"{path.name} (the generator tuned to the photo)"
    if not path.is_file():
        raise ModelFormatError(f"{what} is missing from {path.parent}")
    if sha256 is not None and sha256_file(path) != sha256:
        raise ModelFormatError(f"{what} does not match the SHA-256 recorded with it: it was "
                               f"altered or damaged")
    refuse_pickle(path)
    try:
        with safe_open(str(path), "pt") as f:
            base = (f.metadata() or {}).get(BASE_KEY)
    except Exception as e:  # safetensors raises its own error types for malformed headers
        raise ModelFormatError(f"{what} is not a valid safetensors file: {e}") from e
    if base is None:  # a whole generator, as written before the tuned layers alone were
        return tuned_model(model, load_network(build_generator(model.gan), path))
    if base != model.generator_sha256:
        raise ModelFormatError(f"{what} was tuned from another version of {model.name}")
    generator = copy.deepcopy(model.generator)  # the tuned tensors replace their layers whole
    state = generator.state_dict()
    tuned = load_file(str(path))
    wrong = [k for k, v in tuned.items() if k not in state or v.shape != state[k].shape]
    if wrong:
        raise ModelFormatError(f"{what} does not fit {model.name}'s generator: {wrong[0]}"
                               + (f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""))
    state.update(tuned)
    generator.load_state_dict(state, strict=True)
    return tuned_model(model, generator)


def tunes_by_default(model: GANModel) -> bool:
    """Whether the editor and `latent-edit invert/edit` tune unless told: yes for face models (without
    it their reconstructions are strangers: identity distance 0.64 on the astronaut, 0.71 median on
    held-out faces), no for the others (benchmarks/results/generator_tuning.md)."""
    from inversion.framing import DomainSpec

    return DomainSpec.for_model(model.config).kind == "face"


def on_threads(steps: Iterable, threads: int = TUNE_THREADS) -> Iterator:
    """The items of `steps`, computed with torch on `threads` threads in the calling thread only
    (OpenMP's setting is per thread); its own setting comes back when they end or are stopped."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield from steps
    finally:
        torch.set_num_threads(before)


def tune_to_photo(model: GANModel, lpips, x: torch.Tensor, pivot: torch.Tensor,
                  cfg: TuneConfig = TuneConfig(), on_step: Callable[[TuneStep], None] | None = None):
    """Tune a copy of the model's generator to the photo x at `pivot` (with the identity term for
    face models when cfg.w_identity) on TUNE_THREADS threads; (tuned generator, its image of the
    pivot)."""
    from inversion.invert import face_identity_term

    identity = face_identity_term(model, x) if cfg.w_identity else None
    generator, last = tuned_copy(model), None
    for last in on_threads(tune(model, generator, x, pivot, lpips, cfg, identity)):
        if on_step is not None:
            on_step(last)
    return generator, last.preview
