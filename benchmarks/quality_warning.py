"""How often the editor's quality line says an edit has gone too far, by slider strength: the
LPIPS to the photo (as the model sees it) of slider edits on real photos, beside what a walkthrough
saw (face sliders at +-3 smudge the face; at +-1.5 most are kept).

    python -m benchmarks.quality_warning [--faces 5] [--products 12]

Faces: the first `--faces` held-out faces made into photos as benchmarks.real_photos makes them,
and the astronaut; inverted (the default hybrid) and the generator tuned to each, as the editor
does; each of the model's ten face sliders at +-1.5 and +-3 from the photo's code. Products: the
first `--products` Fashion-MNIST test images as tinted product photos (benchmarks.editing.fake_photo),
inverted; the measured sliders (brightness, area, height, width, calibrated as the editor moves
them) at the same values. Per |strength|: the median, 10th and 90th percentile of LPIPS, its excess
over the reconstruction's own (what editor.quality.FAR_LPIPS is compared with) and the share the
quality line warns of (editor.quality.QualityMeter.warning, the editor's own: LPIPS, identity,
realism).
Writes benchmarks/results/quality_warning.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import machine, markdown_table, write_results
from benchmarks.editing import fake_photo
from benchmarks.product_edits import TINTS
from benchmarks.real_photos import held_out_face_photos, tuned_to_faces
from editing.vector_sets import FACE_ATTRIBUTES
from editing.vectors import apply_sliders, model_vectors
from editor.quality import FAR_LPIPS, QualityMeter
from inversion.framing import DomainSpec, to_model
from inversion.invert import Inverter
from training.data import load_fashion_mnist
from training.modelfile import load_model

STRENGTHS = (1.5, 3.0)
MEASURED = ("brightness", "area", "height", "width")


@torch.no_grad()
def edits(model, lpips, x, z0, vectors, names) -> dict:
    """{|strength|: (LPIPS over the reconstruction's own, warned)} for every slider both ways,
    measured and judged by the editor's own quality meter (drawn by `model`, tuned or not)."""
    meter = QualityMeter(model, lpips, x, start=z0)
    out = {}
    for s in STRENGTHS:
        codes = torch.stack([apply_sliders(z0, vectors, {n: v}) for n in names for v in (s, -s)])
        found = meter.measure(model.decode(codes))
        out[s] = (np.array([q.lpips - meter.start.lpips for q in found]),
                  np.array([meter.warning(q) is not None for q in found]))
    return out


def gather(results: list[dict]) -> dict:
    return {s: (np.concatenate([r[s][0] for r in results]), np.concatenate([r[s][1] for r in results]))
            for s in STRENGTHS}


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
    faces = [edits(tuned, inv.lpips, x, z0, vectors, FACE_ATTRIBUTES)
             for _, x, _, z0, tuned in tuned_to_faces(model, spec, inv, photos)]
    products_model = load_model("fashion-mnist-32")
    pspec, pinv = DomainSpec.for_model(products_model.config), Inverter.for_model(products_model)
    pvectors = model_vectors(products_model)
    test = load_fashion_mnist("test", 32)
    products = []
    for i in range(a.products):
        photo = fake_photo(test.images[i, 2:30, 2:30, 0].numpy(), TINTS[i % len(TINTS)])
        x, _ = to_model(photo, 32, 1, pspec)
        z0 = pinv.invert(x).z[0]
        products.append(edits(products_model, pinv.lpips, x, z0, pvectors, MEASURED))
    for domain, found in (("faces", gather(faces)), ("products", gather(products))):
        for s, (excess, warned) in found.items():
            rows.append({"domain": domain, "strength": f"+-{s:g}", "edits": len(excess),
                         "median": float(np.median(excess)), "p10": float(np.percentile(excess, 10)),
                         "p90": float(np.percentile(excess, 90)), "warned": float(warned.mean())})
    m = machine()
    md = (f"# When the quality line says an edit has gone too far\n\n`python -m benchmarks.quality_warning "
          f"--faces {a.faces} --products {a.products}` ({time.perf_counter() - t0:.0f} s): slider edits "
          f"on real photos (see the module's docstring); LPIPS to the photo as the model sees it, over "
          f"the reconstruction's own; *warned*: the share the quality line flags (QualityMeter.warning: "
          f"LPIPS over FAR_LPIPS = {FAR_LPIPS:g}, for faces no longer the photo's person by dlib, or "
          f"less realistic than 98% of the model's pictures).\n\n"
          + markdown_table(rows, [("domain", "domain"), ("strength", "slider"), ("edits", "edits"),
                                  ("median", "LPIPS excess, median"), ("p10", "10th percentile"),
                                  ("p90", "90th percentile"), ("warned", "warned")])
          + f"\n{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['date']}, commit {m['commit']}\n")
    write_results("quality_warning", {"machine": m, "far_lpips": FAR_LPIPS, "rows": rows}, md)


if __name__ == "__main__":
    main()
