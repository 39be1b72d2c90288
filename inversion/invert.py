"""Photo -> latent code: the domain mapping, then encoder, optimisation, or both (the default).

    hybrid    encoder guess, then optimisation from it (the default: the encoder avoids bad local
              minima, the optimisation adds the detail)
    encoder   the encoder's guess alone (milliseconds), corrected a few times by the iterative
              encoder (inversion.restyle) when the model has one
    optimize  optimisation alone from a typical code (the StyleGAN2-projector baseline; see
              typical_codes for why not the mean code z = 0)

Codes live in the model's latent space: z, or w for a style generator (GANModel.latent_space);
every decode goes through GANModel.decode and every scale through GANModel.code_spread.

A code file (.npz, no pickles) holds z, the domain mapping as JSON, the model's id and hash and the
photo's hash and size, so an edit can be carried back onto the same photo later (and refused on
another).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from inversion.encoder import Encoder, load_encoder
from inversion.restyle import IterativeEncoder, first_guess, load_refiner
from inversion.framing import DomainMapping, DomainSpec, check_mapping, to_model
from inversion.identity import describe, distances, model_chipper
from inversion.optimize import InvertConfig, InvertStep, optimize, starting_codes
from inversion.perceptual import LPIPS
from inversion.photo import Photo
from training.errors import UserError, check_version
from training.fileio import atomic_path, sha256_file
from training.modelfile import GANModel
from training.networks import MAX_LATENT_DIM
from training.validate import Fields

CODE_FORMAT = "latent-editor-code"  # code files (.npz): z and a JSON header
CODE_VERSION = 2  # the newest code file this version reads; 2: its tuned generator holds only the
# layers tuning changed (inversion.tuning.save_tuned); a file is written with the lowest version it needs
METHODS = ("hybrid", "encoder", "optimize")
# Constant learning rate: from the encoder's guess no annealing is needed, and a run of N steps is
# then exactly the first N steps of a longer run (the benchmark reads several budgets off one run).
# Two starts and at most 75 steps keep one photo under a second on a 2-core CPU (benchmarks/inversion).
DEFAULT_CONFIG = InvertConfig(steps=75, starts=2, lr_rampdown=0.0)
# The StyleGAN2 projector's recipe, adapted to z: 500 steps from the mean code, lr ramp up and down.
BASELINE_CONFIG = InvertConfig(steps=500, lr=0.1, starts=1, lr_rampup=0.05, lr_rampdown=0.25,
                               patience=10**9)


POOR_FIT = 0.07  # LPIPS of an object model's reconstruction past which the photo is not one it draws:
# the product model's of 100 held-out product photos 0.030 at the median, 0.060 at the 95th percentile
# (2 over it), scikit-image's photos that are not products 0.075-0.17 (benchmarks/results/poor_fit.md)
POOR_FIT_MARGIN = 1.2  # a model whose encoder recorded how closely it draws held-out images
# (editing.model_setup.held_out_fit) draws a photo poorly past this many times their 95th percentile:
# the product model's 0.060 gives POOR_FIT; a 32 px model of 3,000 faces (session 35) drew 64
# held-out faces at 0.059 (median) and 0.129 (95th percentile): a limit of 0.155, over which 2 of
# 100 held-out faces and 9 of 11 photos of other things lie (benchmarks/results/poor_fit_own_model.md)


def poor_fit_limit(model: GANModel, kind: str | None = None) -> float | None:
    """The LPIPS of the model's picture of a photo past which the photo is not one it draws well:
    from its held-out images' where its encoder recorded them, else POOR_FIT for an object model;
    None for a face model (whether the face is the photo's person says it) and for others. `kind`:
    the model's domain (DomainSpec.kind), if known."""
    kind = kind or DomainSpec.for_model(model.config).kind
    if kind == "face":
        return None
    held = model.config.get("encoder", {}).get("held_out") or {}  # checked when the model loaded
    if held.get("lpips_p95", 0) > 0:
        return round(POOR_FIT_MARGIN * float(held["lpips_p95"]), 3)
    return POOR_FIT if kind == "object" else None


def reconstruction_lpips(inverter: "Inverter", x: torch.Tensor, batch: int = 32) -> np.ndarray:
    """(N,) LPIPS of the hybrid inversion's pictures of `x` (N, C, R, R) against `x`, `batch` at a
    time: how closely the app's inversion draws them."""
    out = []
    for i in range(0, len(x), batch):
        z = inverter.invert(x[i:i + batch]).z
        with torch.no_grad():
            out.append(inverter.lpips(inverter.model.decode(z), x[i:i + batch]).numpy().reshape(-1))
    return np.concatenate(out) if out else np.zeros(0)


def typical_codes(model: GANModel, n: int, seed: int) -> torch.Tensor:
    """Starts for optimisation without an encoder: the model's own typical codes (z drawn from
    N(0, I), or their w). Not the mean code z = 0, which lies off the shell where N(0, I) puts its
    mass; in the shipped generator every first-layer ReLU is off there, so the gradient is exactly
    zero and Adam never moves."""
    return model.codes(n, seed)


class InversionError(UserError):
    """The inversion cannot run as asked (e.g. the model has no encoder)."""


@dataclass
class Inverter:
    """Inverts images of a model's domain; holds the networks it needs."""

    model: GANModel
    lpips: LPIPS
    encoder: Encoder | None
    refiner: tuple[IterativeEncoder, int] | None = None  # the iterative encoder, its iterations

    @classmethod
    def for_model(cls, model: GANModel, lpips: LPIPS | None = None) -> "Inverter":
        return cls(model, lpips or LPIPS(), load_encoder(model), load_refiner(model))

    @torch.no_grad()
    def guess(self, x: torch.Tensor, iterations: int | None = None) -> torch.Tensor:
        """(N, D) codes for images x (N, C, R, R): the encoder's, corrected by the iterative
        encoder when the model has one (`iterations` times; default: as it was trained; 0: the
        encoder's guess alone)."""
        if self.encoder is None:
            raise InversionError(f"{self.model.name} has no encoder; train one with "
                                 f"`latent-edit train-encoder --model {self.model.command_name}` "
                                 f"or use --method optimize")
        return first_guess(self.model, self.encoder, self.refiner, x, iterations)

    def run(self, x: torch.Tensor, method: str = "hybrid", cfg: InvertConfig = DEFAULT_CONFIG,
            mask: torch.Tensor | None = None) -> Iterator[InvertStep]:
        """Invert images x (N, C, R, R) in [-1, 1]; yields steps, the last one with done=True."""
        if method not in METHODS:
            raise InversionError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if method == "encoder":
            z = self.guess(x)
            with torch.no_grad():
                preview = self.model.decode(z)
            loss = ((preview - x) ** 2).flatten(1).mean(1)
            yield InvertStep(0, loss, z, preview, True)
            return
        z0 = self.guess(x) if method == "hybrid" else typical_codes(self.model, x.shape[0], cfg.seed)
        spread = self.model.code_spread()
        yield from optimize(self.model.decode, x, starting_codes(z0, cfg, spread[1]), self.lpips, cfg,
                            mask, spread, self.identity_term(x, cfg.starts) if cfg.w_identity else None)

    def identity_term(self, x: torch.Tensor, starts: int):
        """images (N*starts, 3, R, R) -> (N*starts,) identity distances to the faces in x
        (N, 3, R, R), each repeated for its starts: the differentiable term (face models only)."""
        return face_identity_term(self.model, x, starts)

    def invert(self, x: torch.Tensor, method: str = "hybrid",
               cfg: InvertConfig = DEFAULT_CONFIG) -> InvertStep:
        last = None
        for last in self.run(x, method, cfg):
            pass
        return last


@torch.no_grad()
def refine_identity(inverter: Inverter, x: torch.Tensor, z: torch.Tensor, weight: float = 1.0,
                    rounds: int = 3, population: int = 8, sigma: float = 0.15, seed: int = 0
                    ) -> tuple[torch.Tensor, dict]:
    """Face models: search around an inverted code z (D,) for one whose face is closer to the
    photo's (x, (1, 3, R, R)) identity, at little cost in reconstruction.

    The descriptor (dlib) has no gradient, so this is a (1 + population) evolution strategy on
    reconstruction loss (pixel + LPIPS) + weight * identity distance, `rounds` rounds, the step
    halving when a round finds nothing better; the best found is scored again drawn alone, and the
    start is kept unless it is still better. Returns (z, {"before": distance, "after": ...}).
    """
    from inversion.faces import descriptors, identity_distance
    from inversion.optimize import reconstruction_loss
    from training.pixels import to_uint8

    spec = require_face_model(inverter.model, "identity refinement")
    G = inverter.model.decode
    step_scale = inverter.model.code_spread()[1]  # sigma is in units of the codes' spread
    reference = descriptors(to_uint8(x), spec.face_box)[0]
    features = inverter.lpips.features(x)

    def score(codes):
        images = G(codes)
        rec = reconstruction_loss(images, x.expand_as(images), inverter.lpips, 1.0, 1.0,
                                  target_features=[f.expand(len(codes), -1, -1, -1) for f in features])
        dist = identity_distance(descriptors(to_uint8(images), spec.face_box), reference)
        return rec + weight * torch.from_numpy(dist).float(), dist

    g = torch.Generator().manual_seed(seed)
    best = z.reshape(1, -1).clone()
    best_score, best_dist = score(best)
    dists_of_first, first, score_of_first = best_dist, float(best_dist[0]), float(best_score[0])
    for _ in range(rounds):
        trial = best + sigma * step_scale * torch.randn(population, best.shape[1], generator=g)
        scores, dists = score(trial)
        i = int(scores.argmin())
        if scores[i] < best_score[0]:
            best, best_score, best_dist = trial[i:i + 1].clone(), scores[i:i + 1], dists[i:i + 1]
        else:
            sigma /= 2
    if best_dist is not dists_of_first:  # drawn alone, as it is drawn from now on: a batch's numerics
        best_score, best_dist = score(best)  # move a level here and there, and dlib's landmarks with it
        if best_score[0] >= score_of_first:  # (0.277 in its batch, 0.285 alone against 0.282)
            best, best_dist = z.reshape(1, -1).clone(), dists_of_first
    return best[0], {"before": first, "after": float(best_dist[0])}


class IdentityTerm:
    """A differentiable identity term for one model's faces: images (B, 3, R, R) in [-1, 1] ->
    (B,) distances of their dlib descriptors to reference descriptors, for inversion, the solver
    and tuning (dlib's own descriptor stays the metric: inversion.faces.descriptors)."""

    def __init__(self, landmarks, resolution: int):
        self.chip = model_chipper(landmarks, resolution)

    def descriptors(self, images: torch.Tensor) -> torch.Tensor:
        return describe(self.chip(images))  # (B, 128)

    def distances(self, images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """(B,) distances of the images' descriptors to reference (B, 128) or (128,)."""
        return distances(self.descriptors(images), reference)


def face_identity_term(model: GANModel, faces: torch.Tensor, repeat: int = 1,
                       error: type[UserError] = InversionError):
    """images (N*repeat, 3, R, R) -> (N*repeat,) differentiable identity distances to `faces`
    (N, 3, R, R), each repeated `repeat` times in a row (inversion.identity; face models only)."""
    spec = require_face_model(model, "the identity term", error)
    term = IdentityTerm(spec.landmarks, model.gan.resolution)
    with torch.no_grad():
        reference = term.descriptors(faces).repeat_interleave(repeat, 0)
    return lambda images: term.distances(images, reference)


def require_face_model(model: GANModel, what: str, error: type[UserError] = InversionError) -> DomainSpec:
    """The model's face domain, or `error` saying that `what` needs a face model."""
    spec = DomainSpec.for_model(model.config)
    if spec.kind != "face":
        raise error(f"{what} needs a face model; {model.name} is not one")
    return spec


def complete(inverter: Inverter, x: torch.Tensor, known: torch.Tensor,
             cfg: InvertConfig = DEFAULT_CONFIG) -> tuple[torch.Tensor, InvertStep]:
    """Fill the unknown pixels of x (N, C, R, R) by inverting only the known ones (known: 1 where
    a pixel is known, (N, 1, R, R) or like x). Returns (filled images, the inversion's last step):
    known pixels kept, unknown ones taken from G(z*)."""
    known = known.expand_as(x).float()
    model = inverter.model
    guess = inverter.guess(x * known) if inverter.encoder is not None else \
        typical_codes(model, x.shape[0], cfg.seed)
    spread = model.code_spread()
    last = None
    for last in optimize(model.decode, x, starting_codes(guess, cfg, spread[1]), inverter.lpips, cfg,
                         known, spread):
        pass
    return x * known + last.preview * (1 - known), last


def photo_to_model(model: GANModel, photo: Photo, whole_image: bool = False, face: int = 0,
                   found: list | None = None):
    """(model image (1, C, R, R), DomainMapping) for a photo, framed as the training data
    (for a face model: the `face`-th largest face, aligned; `found`: its faces if known)."""
    spec = DomainSpec.for_model(model.config)
    return to_model(photo.pixels, model.gan.resolution, model.gan.channels, spec, whole_image,
                    face, found)


def save_code(path: str | os.PathLike, z: torch.Tensor, mapping: DomainMapping | None,
              model: GANModel, photo: Path | None = None, extra: dict | None = None) -> None:
    """Write a code file: z (D,), and JSON with the mapping, the model's id and hash, and the
    photo's path, SHA-256 and size (an edit checks it is given the same photo)."""
    meta = {"format": CODE_FORMAT, "version": 2 if (extra or {}).get("tuned_generator") else 1,
            "model_id": model.model_id,
            "model_name": model.name, "generator_sha256": model.generator_sha256,
            "latent_space": model.latent_space,
            "mapping": mapping.to_dict() if mapping else None,
            "photo": str(photo) if photo else None,
            "photo_sha256": sha256_file(photo) if photo else None,
            "photo_size": list(mapping.photo_size) if mapping else None, **(extra or {})}
    with atomic_path(Path(path)) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, z=z.detach().cpu().numpy().reshape(-1).astype(np.float32),
                     meta=np.array(json.dumps(meta)))


def load_code(path: str | os.PathLike) -> tuple[torch.Tensor, dict]:
    """(z (D,), metadata) from a code file; never unpickles. z is checked (finite, of a sane
    length) and so is the metadata's form; `check_code` checks it against a model and a photo."""
    name = Path(path).name
    try:
        with np.load(path, allow_pickle=False) as f:
            z, meta = f["z"], json.loads(str(f["meta"]))
    except (OSError, KeyError, ValueError, RecursionError) as e:
        raise InversionError(f"{name} is not a code file written by `latent-edit invert`: "
                             f"{str(e)[:200]}") from None
    if not isinstance(meta, dict) or meta.get("format", CODE_FORMAT) != CODE_FORMAT:
        raise InversionError(f"{name} is not a code file written by `latent-edit invert`")
    check_version(meta.get("version", 1), CODE_VERSION, f"code file {name}")
    if (z.dtype.kind not in "fiu" or z.ndim != 1 or not 1 <= len(z) <= MAX_LATENT_DIM
            or not np.isfinite(z).all() or np.abs(z).max() > 1000):
        raise InversionError(f"code file {name} is damaged: its code is not a list of finite numbers")
    return torch.from_numpy(z.astype(np.float32)), meta


def check_code(z: torch.Tensor, meta: dict, model: GANModel, photo: Photo, name: str) -> DomainMapping:
    """The mapping of a code file (load_code) that belongs to this model and this photo;
    InversionError if it was made with another generator, in another latent space, on another
    photo (its hash, or for older files its size, differs) or its fields are damaged."""
    f = Fields(f"code file {name}", InversionError)
    if meta.get("generator_sha256") != model.generator_sha256:
        raise InversionError(f"{name} belongs to another model ({meta.get('model_id')!s:.80})")
    if meta.get("latent_space", "z") != model.latent_space:
        raise InversionError(f"{name} holds a code in {meta.get('latent_space', 'z')!s:.10}, but "
                             f"{model.name} is edited in {model.latent_space}; invert the photo again")
    if len(z) != model.gan.latent_dim:
        f.fail("z", f"{model.gan.latent_dim} numbers", f"{len(z)} numbers")
    mapping = check_mapping(f, meta.get("mapping"))
    tuned = meta.get("tuned_generator")
    if tuned is not None:
        f.string(f.key(f.dict(tuned, "tuned_generator"), "file", "tuned_generator"), "tuned_generator.file")
        sha = f.string(f.key(tuned, "sha256", "tuned_generator"), "tuned_generator.sha256")
        if len(sha) != 64:
            f.fail("tuned_generator.sha256", "a SHA-256 (64 hex digits)", sha)
    recorded = meta.get("photo_sha256")
    if recorded is not None and recorded != sha256_file(photo.path):
        raise InversionError(f"{name} was inverted from another photo "
                             f"({Path(str(meta.get('photo'))).name:.80}), not {photo.path.name}; "
                             f"invert {photo.path.name} first, or leave out --code")
    if mapping.photo_size != photo.size:
        raise InversionError(f"{name} was inverted from a {mapping.photo_size[0]}x"
                             f"{mapping.photo_size[1]} photo, but {photo.path.name} is "
                             f"{photo.size[0]}x{photo.size[1]}; invert it first, or leave out --code")
    return mapping
