"""Attribute vectors from labelled code averages, and sliders that move a code along them.

For labelled codes z_i (images inverted by the encoder) and a binary attribute,
    v = mean(z | attribute) - mean(z | not attribute)          (Larsen et al. 2016; White 2016)
or, as an option, the normal of a logistic-regression classifier on the codes. A vector can have
chosen other attributes' directions projected out (Gram-Schmidt) to reduce entanglement.

A slider value a is in units of the codes' spread along the vector's direction u = v / |v|:
    z = z0 + sum_k a_k * s_k * u_k,   s_k = std_i(z_i . u_k),
so that -3..+3 means the same for every attribute.

For a product model a measured attribute's split is made within each class and the codes are
centred on their class's mean (within_class_vector), so that a size or brightness slider changes
the item, not what kind of item it is. The named sets of vectors a model ships are built in
editing.vector_sets.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from training.errors import UserError, VersionError, check_version
from training.fileio import atomic_path
from training.modelfile import ATTRIBUTES_FILE

VECTORS_VERSION = 1  # attribute files: the version in their JSON header
MAX_SLIDER = 20.0  # units of the codes' spread; the editor's sliders reach 3, anything past 20 is noise


class AttributeVectorError(UserError):
    """Unknown attribute or a malformed attribute file."""


def mean_difference(codes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean(z | label) - mean(z | not label) for codes (N, D) and boolean labels (N,)."""
    return codes[labels].mean(0) - codes[~labels].mean(0)


def classifier_normal(codes: torch.Tensor, labels: torch.Tensor, l2: float = 1e-3,
                      iterations: int = 100) -> torch.Tensor:
    """Normal of an L2-regularised logistic regression separating the labelled codes (LBFGS).

    Scaled to the length of the mean difference, so both methods give sliders of similar reach.
    """
    x = codes.double()
    y = labels.double()
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    normal = w.detach().float()
    md = mean_difference(codes, labels)
    return normal / normal.norm().clamp_min(1e-12) * md.norm()


def project_out(v: torch.Tensor, others: list[torch.Tensor]) -> torch.Tensor:
    """v with the span of `others` removed (Gram-Schmidt), so moving along it leaves them alone."""
    basis: list[torch.Tensor] = []
    for o in others:
        for q in basis:
            o = o - (o @ q) * q
        if o.norm() > 1e-8:
            basis.append(o / o.norm())
    for q in basis:
        v = v - (v @ q) * q
    return v


@dataclass
class AttributeVector:
    name: str
    vector: torch.Tensor  # (D,) direction in latent space (unnormalised)
    spread: float  # std of the codes along the unit direction: one slider unit
    meta: dict = field(default_factory=dict)  # source, counts, method, projected-out attributes

    @property
    def unit(self) -> torch.Tensor:
        return self.vector / self.vector.norm().clamp_min(1e-12)


def make_vector(name: str, codes: torch.Tensor, labels: torch.Tensor, method: str = "mean",
                remove: list[torch.Tensor] | None = None, meta: dict | None = None) -> AttributeVector:
    """An attribute vector from codes (N, D) and boolean labels (N,)."""
    labels = labels.bool()
    if labels.all() or not labels.any():
        raise AttributeVectorError(f"{name}: every code has the same label; cannot compute a direction")
    if method == "mean":
        v = mean_difference(codes, labels)
    elif method == "classifier":
        v = classifier_normal(codes, labels)
    else:
        raise AttributeVectorError(f"unknown method {method!r}; use mean or classifier")
    if remove:
        v = project_out(v, remove)
    u = v / v.norm().clamp_min(1e-12)
    spread = float((codes @ u).std())
    info = {"method": method, "positives": int(labels.sum()), "negatives": int((~labels).sum()),
            "norm": float(v.norm()), **(meta or {})}
    return AttributeVector(name, v, spread, info)


def check_slider_values(values: dict[str, float]) -> None:
    """Refuse a slider value that is not a finite number within +-MAX_SLIDER units (NaN, inf or
    1e308 would turn the code, and three quarters of the export, black)."""
    for name, value in values.items():
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                or abs(value) > MAX_SLIDER):
            raise AttributeVectorError(f"slider {name} must be a number between -{MAX_SLIDER:g} and "
                                       f"+{MAX_SLIDER:g} (units of the codes' spread), not {value!r}")


def check_slider_names(vectors: dict[str, AttributeVector], values: dict[str, float]) -> None:
    """Refuse unknown slider names and values check_slider_values refuses."""
    check_slider_values(values)
    unknown = sorted(set(values) - set(vectors))
    if unknown:
        raise AttributeVectorError(f"unknown attribute {', '.join(unknown)}; this model has: "
                                   f"{', '.join(sorted(vectors)) or 'no attribute vectors'}")


def apply_sliders(z0: torch.Tensor, vectors: dict[str, AttributeVector],
                  values: dict[str, float]) -> torch.Tensor:
    """z0 + sum_k a_k s_k u_k for slider values {name: a_k}; unknown names are refused."""
    check_slider_names(vectors, values)
    z = z0.clone()
    for name, a in values.items():
        if a:
            v = vectors[name]
            z = z + float(a) * v.spread * v.unit.to(z)
    return z


def save_vectors(path: str | os.PathLike, vectors: dict[str, AttributeVector], info: dict) -> None:
    """One safetensors file: a (D,) tensor per attribute; spreads and metadata as JSON in its header."""
    tensors = {name: v.vector.detach().float().contiguous() for name, v in vectors.items()}
    meta = {"version": VECTORS_VERSION, "info": info,
            "attributes": {name: {"spread": v.spread, **v.meta} for name, v in vectors.items()}}
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={"attributes": json.dumps(meta)})


def load_vectors(path: str | os.PathLike) -> tuple[dict[str, AttributeVector], dict]:
    """({name: AttributeVector}, info) from an attribute file; in the file's order."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["attributes"])
            check_version(meta.get("version", 1), VECTORS_VERSION, f"attribute file {path.name}")
            vectors = {}
            for name, m in meta["attributes"].items():
                m = dict(m)
                spread = m.pop("spread")
                vectors[name] = AttributeVector(name, f.get_tensor(name), spread, m)
    except VersionError:
        raise
    except (OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
        raise AttributeVectorError(f"{path.name} is not a valid attribute file: {e}") from e
    return vectors, meta["info"]


def model_vectors(model) -> dict[str, AttributeVector]:
    """The shipped attribute vectors of a model folder, or {} if it has none; vectors made in
    another latent space than the model's (z against w) are refused."""
    path = Path(model.path) / ATTRIBUTES_FILE
    if not path.is_file():
        return {}
    vectors, info = load_vectors(path)
    space = info.get("latent_space", "z")
    if space != model.latent_space:
        raise AttributeVectorError(f"{path.name} holds directions in {space}, but {model.name} is "
                                   f"edited in {model.latent_space}; make them again with "
                                   f"`latent-edit vectors --model {model.name}`")
    return vectors


@torch.no_grad()
def encode_all(encoder: torch.nn.Module, images, batch: int = 500) -> torch.Tensor:
    """Encoder codes (N, D) of an ImageSet."""
    return torch.cat([encoder(images.batch(slice(i, i + batch))) for i in range(0, len(images), batch)])


def median_split(values: torch.Tensor) -> torch.Tensor:
    """True for the upper half of `values` by rank: a median split that still halves the data when
    many values equal the median (e.g. every item that fills the full height)."""
    rank = torch.empty(len(values), dtype=torch.long)
    rank[values.argsort(stable=True)] = torch.arange(len(values))
    return rank >= len(values) // 2


def within_class_vector(name: str, codes: torch.Tensor, values: torch.Tensor,
                        classes: torch.Tensor, method: str = "mean",
                        remove: list[torch.Tensor] | None = None,
                        meta: dict | None = None) -> AttributeVector:
    """A measured attribute's vector that leaves the class alone: each code is centred on its
    class's mean code and labelled by a median split within its class, so the direction says how
    the attribute varies among items of one class (a taller boot) rather than across classes (a
    boot that becomes a pair of trousers). Its slider unit is still the spread of the uncentred
    codes along it, as for every other vector."""
    centred = codes.clone()
    labels = torch.zeros(len(codes), dtype=torch.bool)
    for c in classes.unique():
        members = classes == c
        centred[members] -= codes[members].mean(0)
        labels[members] = median_split(values[members])
    v = make_vector(name, centred, labels, method, remove, {"within_class": True, **(meta or {})})
    v.spread = float((codes @ v.unit).std())
    return v
