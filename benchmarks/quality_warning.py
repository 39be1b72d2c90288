"""How often the editor's quality line says an edit has gone too far, by slider strength: the
LPIPS to the photo (as the model sees it) of slider edits on real photos, beside what a walkthrough
saw (face sliders at +-3 smudge the face; at +-1.5 most are kept).

    python -m benchmarks.quality_warning [--faces 5] [--products 12]

Faces: the first `--faces` held-out faces made into photos as benchmarks.real_photos makes them, and
the astronaut; inverted (the default hybrid) and the generator tuned to each, as the editor does;
each of the model's ten face sliders at +-1.5 and +-3 from the photo's code. Products: the first
`--products` Fashion-MNIST test images as tinted product photos (benchmarks.editing.fake_photo),
inverted; the measured sliders (brightness, area, height, width, calibrated as the editor moves
them) at the same values, judged on the generator's picture and, as the editor judges a product
since session 28, on what lands on the photo. Per |strength|: the median, 10th and 90th percentile
of LPIPS, its excess over the reconstruction's own (or the photo's, 0, for what lands: what
editor.quality.FAR_LPIPS is compared with) and the share the quality line warns of
(editor.quality.QualityMeter.warning, the editor's own: LPIPS, identity, realism), by each of its
rules (QualityMeter.too_far) and by the rules other than LPIPS. The hair colour sliders
(editing.export.moves_hair), which change much of the picture by design, are counted apart from the
other face sliders, and judged as the editor judges them (the LPIPS rule left to the identity rule
on a face: QualityMeter.too_far's `hair`).
Writes benchmarks/results/quality_warning.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.product_edits import tinted_photos
from benchmarks.real_photos import held_out_face_photos, tuned_to_faces
from editing.landing import moves_hair
from editing.vector_sets import FACE_ATTRIBUTES
from editing.vectors import apply_sliders, model_vectors
from editor.quality import FAR_LPIPS, QualityMeter
from editor.render import Renderer
from inversion.framing import DomainSpec
from inversion.invert import Inverter
from training.modelfile import load_model

STRENGTHS = (1.5, 3.0)
MEASURED = ("brightness", "area", "height", "width")
RULES = ("identity", "lpips", "realism")  # editor.quality.QualityMeter.too_far's


@torch.no_grad()
def edits(model, lpips, x, z0, vectors, names, hair: bool = False) -> dict:
    """{|strength|: (LPIPS over the reconstruction's own, (edits, RULES) whether each rule of the
    quality line fires)} for every slider both ways, measured and judged by the editor's own quality
    meter (drawn by `model`, tuned or not)."""
    meter = QualityMeter(model, lpips, x, start=z0)
    out = {}
    for s in STRENGTHS:
        codes = torch.stack([apply_sliders(z0, vectors, {n: v}) for n in names for v in (s, -s)])
        found = meter.measure(model.decode(codes))
        out[s] = (np.array([q.lpips - meter.start.lpips for q in found]),
                  np.array([[r in meter.too_far(q, hair) for r in RULES] for q in found], dtype=bool))
    return out


@torch.no_grad()
def edits_landed(model, lpips, photo, mapping, x, z0, vectors, names) -> dict:
    """As `edits`, judged as the editor judges a photo the model sees unaligned (a product): each
    edit carried back onto the photo at display size, the frame as the model sees it
    (editor.render.Renderer.as_model_sees), against the photo itself (QualityMeter.too_far's
    `landed`; its LPIPS 0, so the excess is the LPIPS)."""
    meter, renderer = QualityMeter(model, lpips, x, start=z0), Renderer(model, photo, mapping, z0)
    out = {}
    for s in STRENGTHS:
        codes = [apply_sliders(z0, vectors, {n: v}) for n in names for v in (s, -s)]
        found = meter.measure(torch.cat([renderer.as_model_sees(renderer.render(z)[0]) for z in codes]))
        out[s] = (np.array([q.lpips for q in found]),
                  np.array([[r in meter.too_far(q, landed=True) for r in RULES] for q in found], dtype=bool))
    return out


def gather(results: list[dict]) -> dict:
    return {s: (np.concatenate([r[s][0] for r in results]), np.concatenate([r[s][1] for r in results]))
            for s in STRENGTHS}


def row(domain: str, s: float, excess: np.ndarray, fired: np.ndarray) -> dict:
    out = {"domain": domain, "strength": f"+-{s:g}", "edits": len(excess),
           "median": float(np.median(excess)), "p10": float(np.percentile(excess, 10)),
           "p90": float(np.percentile(excess, 90)), "warned": float(fired.any(1).mean()),
           "warned_but_lpips": float(np.delete(fired, RULES.index("lpips"), 1).any(1).mean())}
    out.update({f"by_{r}": float(fired[:, k].mean()) for k, r in enumerate(RULES)})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=5)
    p.add_argument("--products", type=int, default=12)
    a = p.parse_args()
    t0 = time.perf_counter()
    rows = []
    model = load_model("celeba-64")
    spec, inv, vectors = DomainSpec.for_model(model.config), Inverter.for_model(model), model_vectors(model)
    photos = held_out_face_photos(model, spec, a.faces)
    hair = tuple(n for n in FACE_ATTRIBUTES if moves_hair({n: 1.0}))  # a hair colour changes much by design
    others = tuple(n for n in FACE_ATTRIBUTES if n not in hair)
    faces, hairs = [], []
    for _, x, _, z0, tuned in tuned_to_faces(model, spec, inv, photos):
        faces.append(edits(tuned, inv.lpips, x, z0, vectors, others))
        hairs.append(edits(tuned, inv.lpips, x, z0, vectors, hair, hair=True))
    products_model = load_model("fashion-mnist-32")
    pinv, pvectors = Inverter.for_model(products_model), model_vectors(products_model)
    products, landed = [], []
    for photo, mapping, x in zip(*tinted_photos(products_model, a.products)):
        z0 = pinv.invert(x).z[0]
        products.append(edits(products_model, pinv.lpips, x, z0, pvectors, MEASURED))
        landed.append(edits_landed(products_model, pinv.lpips, photo, mapping, x, z0, pvectors, MEASURED))
    for domain, found in (("faces", gather(faces)), ("faces, hair colour", gather(hairs)),
                          ("products, the generator's picture", gather(products)),
                          ("products, what lands (the editor since session 28)", gather(landed))):
        rows += [row(domain, s, excess, fired) for s, (excess, fired) in found.items()]
    m = machine()
    md = (f"# When the quality line says an edit has gone too far\n\n`python -m benchmarks.quality_warning "
          f"--faces {a.faces} --products {a.products}` ({time.perf_counter() - t0:.0f} s): slider edits "
          f"on real photos (see the module's docstring); LPIPS to the photo as the model sees it, over "
          f"the reconstruction's own; *warned*: the share the quality line flags (QualityMeter.warning: "
          f"LPIPS over FAR_LPIPS = {FAR_LPIPS:g} (not for a hair colour on a face: its identity judges "
          f"it), for faces no longer the photo's person by dlib, or less realistic than 98% of the "
          f"model's pictures); *by* each rule, and by the rules other than LPIPS. Products twice: judged "
          f"on the generator's picture against the reconstruction, and as the editor judges them now, on "
          f"what lands (the edit carried back, as the model sees it) against the photo itself.\n\n"
          + markdown_table(rows, [("domain", "domain"), ("strength", "slider"), ("edits", "edits"),
                                  ("median", "LPIPS excess, median"), ("p10", "10th percentile"),
                                  ("p90", "90th percentile"), ("warned", "warned"),
                                  *[(f"by_{r}", f"by {r}") for r in RULES],
                                  ("warned_but_lpips", "warned by identity or realism")])
          + f"\n{footer(m)}")
    write_results("quality_warning", {"machine": m, "far_lpips": FAR_LPIPS, "rows": rows}, md)


if __name__ == "__main__":
    main()
