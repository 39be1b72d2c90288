"""The named sets of attribute vectors a model ships: Fashion-MNIST's classes, class pairs and
measured attributes; the columns of an attribute table; faces (plain and conditional); and, for
data without labels, GANSpace-style principal directions (Harkonen et al. 2020, arXiv:2004.02546):
PCA of the generator's first activations over random codes, each principal axis carried back into
latent space by least-squares regression; sliders "Direction 1..k".
"""
from __future__ import annotations

import torch

from editing.measure import MEASURED, measure
from editing.vectors import (AttributeVector, AttributeVectorError, class_directions, code_classifier,
                             make_vector, mean_difference, median_split, own_unit,
                             within_class_vector)

FASHION_PAIRS = (("sneaker", "ankle_boot"), ("shirt", "dress"), ("t-shirt", "shirt"),
                 ("sandal", "sneaker"), ("pullover", "coat"))


def fashion_vectors(codes: torch.Tensor, images, method: str = "mean",
                    remove_measured: bool = False, within_class: bool = True,
                    own: torch.Tensor | None = None) -> dict[str, AttributeVector]:
    """Class-vs-rest, named class pairs, and measured attributes (median splits) of Fashion-MNIST;
    the measured ones `within_class` (see within_class_vector), with per-class directions
    (class_directions), unless told otherwise; the class sliders in units of the model's own codes
    `own` where given (editing.vectors.own_unit)."""
    names = images.class_names
    labels = images.labels
    out: dict[str, AttributeVector] = {}
    with torch.no_grad():
        measured = {k: [] for k in MEASURED}
        for i in range(0, len(images), 1000):
            found = measure(images.batch(slice(i, i + 1000)))  # also the typical extents: not sliders
            for k in MEASURED:
                measured[k].append(found[k])
        measured = {k: torch.cat(v) for k, v in measured.items()}
    # Which class a code is, for the measured sliders' per-class directions.
    classifier = code_classifier(codes, labels, len(names)) if within_class else None
    for k in MEASURED:
        values = measured[k]
        others = [mean_difference(codes, median_split(measured[o]))
                  for o in MEASURED if o != k] if remove_measured else None
        meta = {"kind": "measured", "split": float(values.median()),
                "projected_out": [o for o in MEASURED if o != k] if others else []}
        if within_class:
            out[k] = within_class_vector(k, codes, values, labels, method, others, meta)
            out[k].by_class = class_directions(codes, values, labels, classifier)
        else:
            out[k] = make_vector(k, codes, median_split(values), method, others, meta)
    for c, name in enumerate(names):
        out[name] = make_vector(name, codes, labels == c, method, meta={"kind": "class"})
        if own is not None:
            own_unit(out[name], own)
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


@torch.no_grad()
def code_principal_directions(codes: torch.Tensor, k: int = 10) -> dict[str, AttributeVector]:
    """GANSpace directions in a style generator's w: the principal axes of typical codes (N, D)
    themselves (Harkonen et al. 2020 take PCA in StyleGAN's W)."""
    centred = (codes - codes.mean(0)).double()
    _, sv, v = torch.linalg.svd(centred, full_matrices=False)
    variance = (sv[:k] ** 2 / (sv ** 2).sum()).tolist()
    out = {}
    for j in range(min(k, v.shape[0])):
        name = f"Direction {j + 1}"
        u = v[j].float()
        out[name] = AttributeVector(name, u, float((codes @ u).std()),
                                    {"kind": "principal", "method": "ganspace-w", "component": j + 1,
                                     "explained_variance": round(variance[j], 4), "codes": len(codes)})
    return out


def model_principal_directions(model, k: int = 10, n: int = 4000) -> dict[str, AttributeVector]:
    """Principal directions in the model's own latent space: through the first activations for a
    z model, of the codes themselves for a w model."""
    if model.latent_space == "w":
        return code_principal_directions(model.codes(n, seed=0), k)
    return principal_directions(model.generator, model.gan.latent_dim, k, n)
