"""Attribute vectors from labelled code averages, and sliders that move a code along them.

For labelled codes z_i (images inverted by the encoder) and a binary attribute,
    v = mean(z | attribute) - mean(z | not attribute)          (Larsen et al. 2016; White 2016)
or, as an option, the normal of a logistic-regression classifier on the codes. A vector can have
chosen other attributes' directions projected out (Gram-Schmidt) to reduce entanglement.

A slider value a is in units of the codes' spread along the vector's direction u = v / |v|:
    z = z0 + sum_k a_k * s_k * u_k,   s_k = std_i(z_i . u_k),
so that -3..+3 means the same for every attribute.

For data without labels, `principal_directions` finds GANSpace-style directions (Harkonen et al.
2020, arXiv:2004.02546): PCA of the generator's first activations over random codes, each principal
axis carried back into latent space by least-squares regression; sliders "Direction 1..k".

Measured attributes of grey images (brightness, area, height, width of the object) label the
training images by a median split; their effect is measured exactly on edited images, which makes
them the honest test of the sliders. For a product model the split is made within each class and the
codes are centred on their class's mean (within_class_vector), so that a size or brightness slider
changes the item, not what kind of item it is.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from training.fileio import atomic_path
from training.modelfile import ATTRIBUTES_FILE

MEASURED = ("brightness", "area", "height", "width")
OBJECT_LEVEL = -0.8  # model pixels above this level (in [-1, 1]) belong to the object


class AttributeVectorError(Exception):
    """Unknown attribute or a malformed attribute file."""


# ------------------------------------------------------------------ measured attributes


def measure(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Measured attributes of images (B, C, H, W) in [-1, 1], light objects on black, each (B,).

    brightness: mean level of the object's pixels (0..1); area: share of the image the object
    covers; height, width: extent of the object's pixels as a share of the image side.
    """
    grey = x.float().mean(1)  # (B, H, W)
    obj = grey > OBJECT_LEVEL
    h, w = grey.shape[1:]
    level = (grey + 1) / 2
    area = obj.flatten(1).float().mean(1)
    brightness = (level * obj).flatten(1).sum(1) / obj.flatten(1).sum(1).clamp_min(1)
    rows, cols = obj.any(2), obj.any(1)  # (B, H), (B, W)

    def extent(mask: torch.Tensor, n: int) -> torch.Tensor:
        idx = torch.arange(n, device=mask.device)
        first = torch.where(mask, idx, n).min(1).values
        last = torch.where(mask, idx, -1).max(1).values
        return ((last - first + 1).clamp_min(0)).float() / n

    return {"brightness": brightness, "area": area, "height": extent(rows, h),
            "width": extent(cols, w)}


# ------------------------------------------------------------------ vectors


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


def apply_sliders(z0: torch.Tensor, vectors: dict[str, AttributeVector],
                  values: dict[str, float]) -> torch.Tensor:
    """z0 + sum_k a_k s_k u_k for slider values {name: a_k}; unknown names are refused."""
    unknown = sorted(set(values) - set(vectors))
    if unknown:
        raise AttributeVectorError(f"unknown attribute {', '.join(unknown)}; this model has: "
                              f"{', '.join(sorted(vectors))}")
    z = z0.clone()
    for name, a in values.items():
        if a:
            v = vectors[name]
            z = z + float(a) * v.spread * v.unit.to(z)
    return z


# ------------------------------------------------------------------ storage


def save_vectors(path: str | os.PathLike, vectors: dict[str, AttributeVector], info: dict) -> None:
    """One safetensors file: a (D,) tensor per attribute; spreads and metadata as JSON in its header."""
    tensors = {name: v.vector.detach().float().contiguous() for name, v in vectors.items()}
    meta = {"info": info, "attributes": {name: {"spread": v.spread, **v.meta}
                                         for name, v in vectors.items()}}
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={"attributes": json.dumps(meta)})


def load_vectors(path: str | os.PathLike) -> tuple[dict[str, AttributeVector], dict]:
    """({name: AttributeVector}, info) from an attribute file; in the file's order."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["attributes"])
            vectors = {}
            for name, m in meta["attributes"].items():
                m = dict(m)
                spread = m.pop("spread")
                vectors[name] = AttributeVector(name, f.get_tensor(name), spread, m)
    except (OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
        raise AttributeVectorError(f"{path.name} is not a valid attribute file: {e}") from e
    return vectors, meta["info"]


def model_vectors(model) -> dict[str, AttributeVector]:
    """The shipped attribute vectors of a model folder, or {} if it has none."""
    path = Path(model.path) / ATTRIBUTES_FILE
    return load_vectors(path)[0] if path.is_file() else {}


# ------------------------------------------------------------------ building the set


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


FASHION_PAIRS = (("sneaker", "ankle_boot"), ("shirt", "dress"), ("t-shirt", "shirt"),
                 ("sandal", "sneaker"), ("pullover", "coat"))


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


def fashion_vectors(codes: torch.Tensor, images, method: str = "mean",
                    remove_measured: bool = False, within_class: bool = True
                    ) -> dict[str, AttributeVector]:
    """Class-vs-rest, named class pairs, and measured attributes (median splits) of Fashion-MNIST;
    the measured ones `within_class` (see within_class_vector) unless told otherwise."""
    names = images.class_names
    labels = images.labels
    out: dict[str, AttributeVector] = {}
    with torch.no_grad():
        measured = {k: [] for k in MEASURED}
        for i in range(0, len(images), 1000):
            for k, v in measure(images.batch(slice(i, i + 1000))).items():
                measured[k].append(v)
        measured = {k: torch.cat(v) for k, v in measured.items()}
    for k in MEASURED:
        values = measured[k]
        others = [mean_difference(codes, median_split(measured[o]))
                  for o in MEASURED if o != k] if remove_measured else None
        meta = {"kind": "measured", "split": float(values.median()),
                "projected_out": [o for o in MEASURED if o != k] if others else []}
        if within_class:
            out[k] = within_class_vector(k, codes, values, labels, method, others, meta)
        else:
            out[k] = make_vector(k, codes, median_split(values), method, others, meta)
    for c, name in enumerate(names):
        out[name] = make_vector(name, codes, labels == c, method, meta={"kind": "class"})
    for a, b in FASHION_PAIRS:
        ia, ib = names.index(a), names.index(b)
        keep = (labels == ia) | (labels == ib)
        out[f"{a}->{b}"] = make_vector(f"{a}->{b}", codes[keep], labels[keep] == ib, method,
                                       meta={"kind": "pair", "from": a, "to": b})
    return out


def table_vectors(codes: torch.Tensor, attributes: torch.Tensor, names: tuple[str, ...],
                  method: str = "mean", remove: dict[str, list[str]] | None = None
                  ) -> dict[str, AttributeVector]:
    """One vector per column of an attribute table (N, A); `remove[name]` lists attributes whose
    directions are projected out of `name`'s vector (e.g. keep Male and Young fixed)."""
    base = {n: mean_difference(codes, attributes[:, i].bool()) for i, n in enumerate(names)
            if attributes[:, i].any() and not attributes[:, i].all()}
    out = {}
    for i, n in enumerate(names):
        if n not in base:
            continue
        others = [base[o] for o in (remove or {}).get(n, []) if o in base and o != n]
        out[n] = make_vector(n, codes, attributes[:, i], method, others or None,
                             {"kind": "table", "projected_out": (remove or {}).get(n, [])})
    return out


FACE_ATTRIBUTES = ("Smiling", "Eyeglasses", "Male", "Young", "Blond_Hair", "Black_Hair", "Bangs",
                   "Mustache", "Heavy_Makeup", "Mouth_Slightly_Open")
FACE_KEEP = ("Male", "Young")  # held fixed by the conditional vectors


def conditional_name(name: str, keep: tuple[str, ...]) -> str:
    return f"{name} (keep {', '.join(k for k in keep if k != name)})"


def face_vectors(codes: torch.Tensor, attributes: torch.Tensor, names: tuple[str, ...],
                 method: str = "mean", wanted: tuple[str, ...] = FACE_ATTRIBUTES,
                 keep: tuple[str, ...] = FACE_KEEP) -> dict[str, AttributeVector]:
    """Plain vectors for the `wanted` attributes of a face table, then conditional ones with the
    `keep` attributes' directions projected out ("Smiling (keep Male, Young)")."""
    missing = [n for n in (*wanted, *keep) if n not in names]
    if missing:
        raise AttributeVectorError(f"the attribute table has no column {', '.join(missing)}")
    cols = [names.index(n) for n in wanted]
    plain = table_vectors(codes, attributes[:, cols], tuple(wanted), method)
    remove = {n: [k for k in keep if k != n] for n in wanted}
    cols = [names.index(n) for n in dict.fromkeys((*wanted, *keep))]
    sub_names = tuple(names[c] for c in cols)
    projected = table_vectors(codes, attributes[:, cols], sub_names, method, remove)
    out = dict(plain)
    for n in wanted:
        v = projected[n]
        v.meta["kind"] = "conditional"
        out[conditional_name(n, keep)] = AttributeVector(conditional_name(n, keep), v.vector,
                                                         v.spread, v.meta)
    return out


@torch.no_grad()
def principal_directions(generator: torch.nn.Module, latent_dim: int, k: int = 10,
                         n: int = 4000, seed: int = 0) -> dict[str, AttributeVector]:
    """GANSpace directions "Direction 1..k" of a DCGAN generator (no labels needed).

    PCA of the first block's activations h(z) (the 4x4 feature map) over n random codes; the
    coordinates x = (h - mean) . V_k are regressed on z (least squares, z ~ x B), and row j of B is
    the latent direction that moves the activations along principal axis j.
    """
    from training.modelfile import latents

    z = latents(n, latent_dim, seed)
    h = torch.cat([generator.project(z[i:i + 500]).flatten(1) for i in range(0, n, 500)]).double()
    h = h - h.mean(0)
    _, sv, v = torch.linalg.svd(h, full_matrices=False)
    x = h @ v[:k].T  # (n, k)
    b = torch.linalg.lstsq(x, z.double()).solution  # (k, D)
    variance = (sv[:k] ** 2 / (sv ** 2).sum()).tolist()
    out = {}
    for j in range(k):
        name = f"Direction {j + 1}"
        u = (b[j] / b[j].norm()).float()
        out[name] = AttributeVector(name, u, float((z @ u).std()),
                                    {"kind": "principal", "method": "ganspace", "component": j + 1,
                                     "explained_variance": round(variance[j], 4), "codes": n})
    return out
