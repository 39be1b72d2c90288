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
the item, not what kind of item it is. Such a vector also carries one direction per class
(`ClassDirections`): the attribute's mean difference among that class's codes alone, with the
directions that tell the classes apart projected out, and a softmax classifier on codes that says
which class a code is. A slider then moves a dress along how dresses get wider, and the
class-telling part of the code stays where it was (`AttributeVector.direction`). The named sets of
vectors a model ships are built in editing.vector_sets.
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
MAX_UNIT = 100.0  # a slider unit (the codes' spread along it) past this is no model's: a stranger's file
# (1e300 turned a code at +1 to inf)
PHOTO_FACING = ("brightness",)  # sliders given as the photo's: reversed where the model sees the photo
# reversed (a product on a light background reaches the model light on black)


def photo_sign(name: str, mapping) -> float:
    """-1 for a PHOTO_FACING slider where `mapping` (inversion.framing.DomainMapping) reverses the
    photo: the user's value and the model's have opposite signs; else 1."""
    return -1.0 if name in PHOTO_FACING and mapping is not None and mapping.invert else 1.0


def model_sliders(sliders: dict[str, float], mapping) -> dict[str, float]:
    """Slider values as the user gives them, the photo's, -> as the model takes them (photo_sign).
    The same both ways."""
    return {k: photo_sign(k, mapping) * v for k, v in sliders.items()}


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
class ClassDirections:
    """One slider's direction per class, and the linear classifier on codes that picks it."""

    units: torch.Tensor  # (C, D) unit directions, one per class
    spreads: torch.Tensor  # (C,) std of each class's codes along its direction: one slider unit
    classifier: torch.Tensor  # (D + 1, C) softmax regression on codes: [weights; bias]

    def item_class(self, z: torch.Tensor) -> int:
        """The class a code (D,) belongs to, by the classifier on codes."""
        w = self.classifier.to(z)
        return int((z.reshape(-1) @ w[:-1] + w[-1]).argmax())


@dataclass
class AttributeVector:
    name: str
    vector: torch.Tensor  # (D,) direction in latent space (unnormalised)
    spread: float  # std of the codes along the unit direction: one slider unit
    meta: dict = field(default_factory=dict)  # source, counts, method, projected-out attributes
    by_class: ClassDirections | None = None  # per-class directions (product models' measured sliders)

    @property
    def unit(self) -> torch.Tensor:
        return self.vector / self.vector.norm().clamp_min(1e-12)

    def direction(self, z: torch.Tensor) -> tuple[torch.Tensor, float]:
        """(unit direction, spread) a slider moves the code z (D,) along: its class's own when
        the vector has per-class directions, the shared one otherwise."""
        if self.by_class is None:
            return self.unit, self.spread
        c = self.by_class.item_class(z)
        return self.by_class.units[c], float(self.by_class.spreads[c])


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


def own_unit(vector: AttributeVector, own: torch.Tensor) -> AttributeVector:
    """`vector` with its slider unit the spread of the model's own codes `own` (N, D; GANModel.codes)
    along it, the unit it had (the inverted images' spread) kept as meta "inverted_spread". The
    editor moves the codes the app's inversion finds, which spread like the model's own (the product
    model's: norm 10.9 against its samples' 11.3), while the encoder's first guesses, which the
    vectors are made from, keep near the mean (norm 3.9): measured on them, a class slider's unit
    was three quarters of the codes' own spread, and +1 to +3 took 76% of held-out product photos
    to the slider's kind, +2 57%; in the own codes' unit 83% and 69% (benchmarks.class_unit).
    Sessions saved before version 16 keep the old unit (editing.keep_versions.units_before_16)."""
    vector.meta["inverted_spread"] = vector.spread
    vector.spread = float((own @ vector.unit).std())
    return vector


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
                                   f"{', '.join(vectors) or 'no attribute vectors'}")  # in the
        # model's order, as the editor lists them ("Direction 1, Direction 10, Direction 2" sorted)


def apply_sliders(z0: torch.Tensor, vectors: dict[str, AttributeVector],
                  values: dict[str, float], ref: torch.Tensor | None = None) -> torch.Tensor:
    """z0 + sum_k a_k s_k u_k for slider values {name: a_k}; unknown names are refused. A vector
    with per-class directions moves z0 along the class of `ref` (default z0), and a model's
    SliderSet holds each measured slider where `ref` would change class and, calibrated, moves it
    by its measured amount along `ref`'s own path (editing.keep): the offset from z0 depends on
    `ref` and the values only."""
    check_slider_names(vectors, values)
    ref = z0 if ref is None else ref
    hold = getattr(vectors, "hold", None)  # editing.keep.SliderSet: measured sliders keep the class
    if hold is not None:
        values = hold.clamp(ref, values)
    z = z0.clone()
    for name, a in values.items():
        if hold is not None and hold.holds(name, a):
            z = z + hold.offset(ref, name, a).to(z)  # along the item's own path when steered
        elif a:
            unit, spread = vectors[name].direction(ref)
            z = z + float(a) * spread * unit.to(z)
    return z


def save_vectors(path: str | os.PathLike, vectors: dict[str, AttributeVector], info: dict) -> None:
    """One safetensors file: a (D,) tensor per attribute, and NAME@units, NAME@spreads and
    NAME@classifier for its per-class directions; spreads and metadata as JSON in its header."""
    tensors = {name: v.vector.detach().float().clone() for name, v in vectors.items()}
    for name, v in vectors.items():
        if v.by_class is not None:
            for part in CLASS_PARTS:
                tensors[f"{name}@{part}"] = getattr(v.by_class, part).detach().float().clone()
    meta = {"version": VECTORS_VERSION, "info": info,
            "attributes": {name: {"spread": v.spread, **v.meta} for name, v in vectors.items()}}
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={"attributes": json.dumps(meta)})


CLASS_PARTS = ("units", "spreads", "classifier")  # ClassDirections' tensors, in its field order


def check_class_directions(name: str, vector: torch.Tensor, d: ClassDirections) -> None:
    c, dim = d.units.shape if d.units.dim() == 2 else (0, 0)
    if (dim != vector.numel() or d.spreads.shape != (c,) or d.classifier.shape != (dim + 1, c)
            or not all(torch.isfinite(t).all() for t in (d.units, d.spreads, d.classifier))):
        raise AttributeVectorError(f"{name}: malformed per-class directions")


def load_vectors(path: str | os.PathLike) -> tuple[dict[str, AttributeVector], dict]:
    """({name: AttributeVector}, info) from an attribute file; in the file's order."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["attributes"])
            check_version(meta.get("version", 1), VECTORS_VERSION, f"attribute file {path.name}")
            vectors = {}
            keys = set(f.keys())
            for name, m in meta["attributes"].items():
                m = dict(m)
                spread = m.pop("spread")
                if not all(type(x) in (int, float) and 0 < x <= MAX_UNIT
                           for x in (spread, m.get("inverted_spread", 1.0))):
                    raise ValueError(f"{name}'s slider unit is not a positive number up to {MAX_UNIT:g}")
                by_class = None
                if f"{name}@units" in keys:
                    by_class = ClassDirections(*(f.get_tensor(f"{name}@{part}") for part in CLASS_PARTS))
                    check_class_directions(name, f.get_tensor(name), by_class)
                vectors[name] = AttributeVector(name, f.get_tensor(name), spread, m, by_class)
    except VersionError:
        raise
    except (OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
        raise AttributeVectorError(f"{path.name} is not a valid attribute file: {e}") from e
    return vectors, meta["info"]


def model_vectors(model, keep_class: bool = True) -> dict[str, AttributeVector]:
    """The shipped attribute vectors of a model folder, or {} if it has none; vectors made in
    another latent space than the model's (z against w) are refused. With `keep_class`, a
    SliderSet whose measured sliders stop before the item changes class, where the model's
    classes have a classifier (editing.keep)."""
    from editing.keep import ClassHold, SliderSet

    path = Path(model.path) / ATTRIBUTES_FILE
    if not path.is_file():
        return {}
    vectors, info = load_vectors(path)
    space = info.get("latent_space", "z")
    if space != model.latent_space:
        raise AttributeVectorError(f"{path.name} holds directions in {space}, but {model.name} is "
                                   f"edited in {model.latent_space}; make them again with "
                                   f"`latent-edit vectors --model {model.command_name}`")
    return SliderSet(vectors, ClassHold.for_model(model, vectors) if keep_class else None)


@torch.no_grad()
def encode_all(encoder, images, batch: int = 500) -> torch.Tensor:
    """Codes (N, D) of an ImageSet by `encoder`, images (B, C, R, R) -> codes (B, D)."""
    return torch.cat([encoder(images.batch(slice(i, i + batch))) for i in range(0, len(images), batch)])


def median_split(values: torch.Tensor) -> torch.Tensor:
    """True for the upper half of `values` by rank: a median split that still halves the data when
    many values equal the median (e.g. every item that fills the full height)."""
    rank = torch.empty(len(values), dtype=torch.long)
    rank[values.argsort(stable=True)] = torch.arange(len(values))
    return rank >= len(values) // 2


def code_classifier(codes: torch.Tensor, classes: torch.Tensor, n_classes: int, l2: float = 1e-4,
                    iterations: int = 200) -> torch.Tensor:
    """(D + 1, C) softmax regression from codes (N, D) to classes (N,) (LBFGS): [weights; bias]."""
    x = codes.double()
    w = torch.zeros(x.shape[1] + 1, n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w[:-1] + w[-1], classes) + l2 * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach().float()


def class_directions(codes: torch.Tensor, values: torch.Tensor, classes: torch.Tensor,
                     classifier: torch.Tensor) -> ClassDirections:
    """Per-class directions of a measured attribute: within each class, the mean difference of a
    median split of `values`, with the span of the class means (what tells the classes apart)
    projected out; each class's spread along its own direction is its slider unit."""
    n = classifier.shape[1]
    means = torch.stack([codes[classes == c].mean(0) for c in range(n)])
    centred = [m - means.mean(0) for m in means[:-1]]  # C - 1 span them all (they sum to zero)
    units, spreads = [], []
    for c in range(n):
        members = classes == c
        u = project_out(mean_difference(codes[members], median_split(values[members])), centred)
        u = u / u.norm().clamp_min(1e-12)
        units.append(u)
        spreads.append((codes[members] @ u).std())
    return ClassDirections(torch.stack(units), torch.stack(spreads), classifier)


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
