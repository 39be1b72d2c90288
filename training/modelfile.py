"""The one model format: a folder with `config.json` and one safetensors file per network.

config.json holds the format version, the architecture (GANConfig), the training data and steps,
and per network the file name and the SHA-256 of its bytes. It also records the latent space edits
happen in: "z" for DCGAN generators, "w" for the style generator, whose mean w (for truncation and as
a neutral start) is the tensor `mapping.w_avg` in generator.safetensors. Older config.json files have
neither the new GANConfig fields nor "latent_space": they mean a DCGAN edited in z and load as before.
A projected discriminator's file holds its trained heads and fixed projections; its frozen AlexNet is
rebuilt from assets/lpips/ rather than copied into every model. Loading rebuilds each network from the
config and calls `load_state_dict(strict=True)`. Pickled files (.pt, .pth, .pkl, .ckpt) are refused
before anything reads them: unpickling a stranger's file can run arbitrary code.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from training.fileio import atomic_path, sha256_file, write_json_atomic
from training.model_config import FORMAT, FORMAT_VERSION, ModelFormatError, check_config
from training.networks import GANConfig
from training.validate import read_json

PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar"}
ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
MODELS_DIR = ASSETS_DIR / "models"
DEFAULT_MODEL = "fashion-mnist-32"
log = logging.getLogger(__name__)
ATTRIBUTES_FILE = "attributes.safetensors"  # a model's attribute vectors (editing.vectors)
# Fitted to one generator's latent space, so wrong for any other; dropped when the generator changes.
GENERATOR_DEPENDENT_NETWORKS = ("encoder", "refiner")
GENERATOR_DEPENDENT_FILES = (ATTRIBUTES_FILE,)


def refuse_pickle(path: Path) -> None:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFormatError(
            f"{path.name} is a pickled PyTorch file, which can run code on this computer when it is "
            f"opened, so it is refused. Ask for the model in this editor's format (a folder with "
            f"config.json and .safetensors files), or export a training run with `latent-gan export`.")


def save_network(net: nn.Module, path: Path) -> str:
    """Write `net`'s state dict as safetensors atomically; return the file's SHA-256."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp))
    return sha256_file(path)


def load_network(net: nn.Module, path: Path, sha256: str | None = None) -> nn.Module:
    refuse_pickle(path)
    if not path.is_file():
        raise ModelFormatError(f"model weights not found: {path}")
    if sha256 is not None and sha256_file(path) != sha256:
        raise ModelFormatError(f"{path.name} does not match the SHA-256 in config.json: the file is "
                               f"damaged or was replaced; export the model again")
    try:
        state = load_file(str(path))
    except Exception as e:  # safetensors raises its own error types for malformed headers
        raise ModelFormatError(f"{path.name} is not a valid safetensors file: {e}") from e
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:  # torch lists every mismatch on a line of its own: the first one
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        first = lines[1] if len(lines) > 1 else lines[0] if lines else ""
        more = f" (and {len(lines) - 2} more)" if len(lines) > 2 else ""
        raise ModelFormatError(f"{path.name} does not fit the architecture in config.json: "
                               f"{first}{more}") from e
    return net


@dataclass
class GANModel:
    """A loaded model: networks in eval mode plus the config they were rebuilt from."""

    path: Path
    config: dict  # the whole config.json
    gan: GANConfig
    generator: nn.Module  # G(z) -> image; a style generator also has mapping(z) and synthesis(w)
    discriminator: nn.Module  # D(x) -> logit (B,), D.features(x) -> (B, F)
    extra: dict[str, nn.Module] = field(default_factory=dict)  # e.g. "encoder"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # code_spread

    @property
    def name(self) -> str:
        return self.config.get("name", self.path.name)

    @property
    def command_name(self) -> str:
        """How a command names this model (`--model ...`): its name where that finds it among the
        shipped models, else its folder's path, quoted for a shell where needed (the hints said
        `--model bare` of a user's own folder, which names no shipped model: a walkthrough)."""
        import shlex

        if (MODELS_DIR / self.name).resolve() == self.path.resolve():
            return self.name
        return shlex.quote(str(self.path.resolve()))  # (a relative path works from one folder only)

    @property
    def latent_space(self) -> str:
        """"z" or "w": the code that inversion, vectors and the solver should work in."""
        return self.config.get("latent_space", "z")

    @torch.no_grad()
    def codes(self, n: int, seed: int = 0) -> torch.Tensor:
        """n typical codes (n, latent_dim) in the model's latent space: z ~ N(0, I), or mapping(z)."""
        z = latents(n, self.gan.latent_dim, seed)
        if self.latent_space == "z":
            return z
        device = next(self.generator.parameters()).device
        return self.generator.mapping(z.to(device)).cpu()

    def mean_code(self) -> torch.Tensor:
        """(latent_dim,) the centre of the latent space: 0 in z, the tracked mean w in w."""
        if self.latent_space == "z":
            return torch.zeros(self.gan.latent_dim)
        return self.generator.w_avg.detach().cpu().clone()

    def code_spread(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std), each (latent_dim,), of the model's typical codes: (0, 1) for z ~ N(0, I);
        for w estimated once from 10,000 mapped codes. Priors, start noise and the solver's
        closeness term measure codes in these units, so one setting suits both spaces."""
        if self.latent_space == "z":
            return torch.zeros(self.gan.latent_dim), torch.ones(self.gan.latent_dim)
        if "code_spread" not in self._cache:
            w = self.codes(10_000, seed=7)
            self._cache["code_spread"] = (w.mean(0), w.std(0).clamp_min(1e-6))
        return self._cache["code_spread"]

    @property
    def critic(self) -> nn.Module:
        """The discriminator for scoring pictures (the editor's realism, the solver's term): the
        same network with its spectral normalisations folded into plain weights (folded_critic),
        built once. The same logits bit for bit, a third less time forward and back (the width-96
        product model's D: 15.2 -> 10.0 ms for 4 pictures; one picture 6.2 -> 2.2 ms): in eval
        mode each call recomputed every normalised weight. `discriminator` stays as trained, for
        what goes on training it (--from-model, the encoder's start)."""
        if "critic" not in self._cache:
            self._cache["critic"] = folded_critic(self.gan, self.discriminator)
        return self._cache["critic"]

    def with_generator(self, generator: nn.Module) -> "GANModel":
        """This model drawing with `generator` (a copy tuned to a photo): the same discriminator,
        and its critic once folded (a tuned document built its own copy)."""
        from dataclasses import replace

        other = replace(self, generator=generator)
        if "critic" in self._cache:
            other._cache["critic"] = self._cache["critic"]
        return other

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Images (B, C, R, R) from codes (B, latent_dim) in the model's latent space (differentiable):
        G(z) for z models, G.synthesis(w) for w models. Downstream code that edits codes calls this."""
        return self.generator.synthesis(code) if self.latent_space == "w" else self.generator(code)

    @property
    def model_id(self) -> str:
        """Name plus the first 12 hex digits of the generator's hash: enough to tell models apart."""
        return f"{self.name}@{self.generator_sha256[:12]}"

    @property
    def generator_sha256(self) -> str:
        """The generator's weights' SHA-256: codes, vectors, sessions and recipes are tied to it."""
        return self.config["networks"]["generator"]["sha256"]

    def to(self, device: torch.device | str) -> "GANModel":
        self.generator.to(device)
        self.discriminator.to(device)
        self._cache.pop("critic", None)  # folded again, on the new device, when next asked for
        for net in self.extra.values():
            net.to(device)
        return self

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n images (n, C, R, R) in [-1, 1] from z ~ N(0, I) drawn with `seed`: deterministic."""
        z = latents(n, self.gan.latent_dim, seed)
        device = next(self.generator.parameters()).device
        return torch.cat([self.generator(zb.to(device)).cpu() for zb in z.split(256)])


def latents(n: int, dim: int, seed: int) -> torch.Tensor:
    """n codes (n, dim) from N(0, I), the same for the same seed on every machine."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def write_model_folder(out: str | os.PathLike, networks: dict[str, nn.Module],
                       config: dict) -> Path:
    """Write each network as NAME.safetensors and config.json listing them with their hashes.

    Networks already in the folder's config.json and not in `networks` are kept (so an encoder can be
    added to a model folder without rewriting the generator), except those fitted to the generator
    when `networks` replaces it with a different one: the encoder and the attribute vectors are then
    removed, with a message saying how to make them again.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = {}
    if (out / "config.json").is_file():
        entries = read_config(out).get("networks", {})
    old_generator = entries.get("generator", {}).get("sha256")
    for name, net in networks.items():
        file = f"{name}.safetensors"
        entries[name] = {"file": file, "sha256": save_network(net, out / file)}
    stale = []
    if "generator" in networks and old_generator not in (None, entries["generator"]["sha256"]):
        files = [entries.pop(name)["file"] for name in GENERATOR_DEPENDENT_NETWORKS if name in entries]
        files += [name for name in GENERATOR_DEPENDENT_FILES if (out / name).is_file()]
        stale = [f for f in files if inside_folder(f)]  # never a path out of the folder
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": out.name, **config,
              "networks": entries}
    write_json_atomic(out / "config.json", config)
    for name in stale:  # after config.json no longer lists them
        (out / name).unlink(missing_ok=True)
    if stale:
        log.warning("%s: the generator changed, so %s (fitted to the old one) were removed; make them "
                    "again with `latent-edit train-encoder` and `latent-edit vectors`",
                    out.name, ", ".join(stale))
    return out


def export_model(out: str | os.PathLike, gan: GANConfig, generator: nn.Module,
                 discriminator: nn.Module, info: dict) -> Path:
    """Write a GAN model folder: generator.safetensors, discriminator.safetensors, config.json.
    The config records how the training images are framed ("domain", see data_domain) and the
    latent space edits happen in."""
    space = {"latent_space": gan.latent_space}
    if gan.latent_space == "w":
        space["w_avg"] = "generator.safetensors: mapping.w_avg"  # mean w, for truncation
    return write_model_folder(out, {"generator": generator, "discriminator": discriminator},
                              {"architecture": gan.generator, "gan": gan.to_dict(), **space,
                               "domain": data_domain(info.get("data", {})), **info})


def data_domain(data: dict) -> dict:
    """How a data set's images are framed, for config.json's "domain" (inversion.framing.DomainSpec):
    Fashion-MNIST holds light objects on black whose longer side fills 28 of 32 pixels; other image
    folders are read as centre crops. `latent-edit face-setup` later makes a face model's domain."""
    if data.get("name", "").startswith("fashion-mnist"):
        return {"kind": "object", "content_fraction": 28 / 32, "light_on_dark": True}
    return {"kind": "centre-crop"}


def inside_folder(file) -> bool:
    """True for a bare file name (no folder part, not "." or ".."): a path that stays in the folder."""
    if not isinstance(file, str) or file in ("", ".", "..") or "\\" in file:
        return False
    return Path(file).name == file


def read_network(folder: Path, config: dict, name: str, net: nn.Module) -> nn.Module:
    """Load network `name` of a model folder into `net` (hash-checked, strict), in eval mode."""
    try:
        entry = config["networks"][name]
    except KeyError:
        raise ModelFormatError(f"{folder.name} has no {name} network") from None
    path = network_path(folder, entry.get("file"), name)
    net = load_network(net, path, entry["sha256"]).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def network_path(folder: Path, file, name: str) -> Path:
    """The path of a network's file, refused (before anything reads it) unless it is a bare name
    whose file lies in the model's own folder (not a link out of it)."""
    path = folder / file if inside_folder(file) else None
    if path is None or (path.exists() and path.resolve().parent != folder.resolve()):
        raise ModelFormatError(f"{folder.name}/config.json names {file!r} for its {name}: "
                               f"a model's files must lie in its own folder")
    return path


def read_config(folder: Path) -> dict:
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise ModelFormatError(f"{folder} is not a model folder: config.json is missing")
    return check_config(read_json(cfg_path, str(cfg_path), ModelFormatError), str(cfg_path))


def shipped_models() -> list[str]:
    """Names of the model folders in assets/models/."""
    return sorted(p.parent.name for p in MODELS_DIR.glob("*/config.json"))


def resolve_model(name_or_path: str | os.PathLike) -> Path:
    """A model folder from a path, or from the name of a folder in assets/models/."""
    path = Path(name_or_path)
    if path.exists() or path.suffix.lower() in PICKLE_SUFFIXES:
        return path
    if (MODELS_DIR / path).is_dir():
        return MODELS_DIR / path
    raise ModelFormatError(f"model not found: {name_or_path}. Shipped models: "
                           f"{', '.join(shipped_models()) or 'none'}; or give a model folder's path")


def folded_critic(gan: GANConfig, discriminator: nn.Module) -> nn.Module:
    """A frozen copy of `discriminator` (of architecture `gan`) without spectral normalisation,
    whose weights are the normalised ones it uses in eval mode: the same logits, bit for bit.
    The discriminator itself where it has no spectral normalisation."""
    from dataclasses import replace

    from torch.nn.utils import parametrize

    from training.architectures import build_discriminator

    if not gan.spectral_norm:
        return discriminator
    plain = build_discriminator(replace(gan, spectral_norm=False))
    state = {k: v for k, v in discriminator.state_dict().items() if ".parametrizations." not in k}
    training = discriminator.training
    discriminator.eval()  # in training mode reading a weight would run a power iteration on it
    with torch.no_grad():
        for name, module in discriminator.named_modules():
            if parametrize.is_parametrized(module, "weight"):
                state[f"{name}.weight"] = module.weight.detach().clone()
    discriminator.train(training)
    plain.load_state_dict(state)
    device = next(discriminator.parameters()).device
    return plain.to(device).eval().requires_grad_(False)


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu") -> GANModel:
    """Load a model folder (by path or shipped name). Refuses pickles; checks hashes; loads strictly."""
    path = resolve_model(path)
    refuse_pickle(path)
    folder = path.parent if path.name == "config.json" else path
    if not folder.exists():
        raise ModelFormatError(f"model not found: {folder}")
    config = read_config(folder)
    if "gan" not in config:
        raise ModelFormatError(f"{folder.name} is not a GAN model (it is a "
                               f"{config.get('architecture', 'different kind of')} model)")
    try:
        gan = GANConfig.from_dict(config["gan"])  # type and range checks, before any allocation
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFormatError(f"{folder}/config.json: the architecture (gan) cannot be built: {e}") from e
    # Imported here: the projected discriminator reads its AlexNet with this module's helpers.
    from training.architectures import build_discriminator, build_generator

    generator = read_network(folder, config, "generator", build_generator(gan))
    discriminator = read_network(folder, config, "discriminator", build_discriminator(gan))
    return GANModel(folder, config, gan, generator, discriminator).to(device)
