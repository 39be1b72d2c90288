"""Does a faint slider edit reach the exported product photo? Compositing 12 against 13.

    python -m benchmarks.faint_change [--n 30]

Up to compositing 12 the carry-back dropped every change under MASK_THRESHOLD (6 photo levels) of
its own pixel: held at +0.58 by the class hold, "brightness +1" lightened a plain dark coat by 3.5
levels in the generator's picture, and the export changed only the coat's edges. Since compositing
13 a change of one sign over an area is carried back too (editing.compositing.change_mask's
`coherent`). Photos: the first `--n` Fashion-MNIST test images as tinted product photos (as
benchmarks.product_edits makes them), coded by the app's hybrid inversion, and the plain coat of
tests/test_editing.py. Each measured slider at -1, -0.5, +0.5 and +1 as the editor moves it (the class
hold on, registered with the photo). On the item (the photo's pixels 30 levels or more off its
background): the mean change of luminance in the direction the generator's picture changed it
(photo levels), exported with compositing 12, with 13, and with every change carried back (the
threshold at its lowest, 0.5 levels); *reached*: 12's and 13's share of that, among the edits
that change the item by half a level or more that way (the hold lets some go nowhere). *Grain*: the
change's fine grain on the item, the mean size of what differs from its blur over 3 px. Beside the
item (within 20 px of it) and away from it (further): the pixels changed by 2 levels or more. Writes
benchmarks/results/faint_change.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch

from benchmarks.common import footer, luminance, machine, markdown_table, write_results
from benchmarks.product_edits import invert_photos, tinted_photos
from editing.compositing import MASK_THRESHOLD
from editing.export import render_edit
from editing.vectors import apply_sliders, model_vectors
from inversion.framing import DomainSpec, to_model
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (-1.0, -0.5, 0.5, 1.0)
SLIDERS = ("brightness", "area", "height", "width")
ALL = 0.5  # the lowest threshold a recipe takes: every change carried back


def plain_coat() -> np.ndarray:
    """The dark coat on a light background of tests/test_editing.py (240x180)."""
    photo = np.full((240, 180, 3), 246, np.uint8)
    photo[30:210, 50:130] = (70, 50, 40)
    return photo


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    model = load_model(a.model)
    photos, mappings, xs = tinted_photos(model, a.n)
    x, mapping = to_model(plain_coat(), model.gan.resolution, model.gan.channels,
                          DomainSpec.for_model(model.config))
    photos, mappings, xs = photos + [plain_coat()], mappings + [mapping], xs + [x]
    z0 = invert_photos(model, xs)
    vectors = model_vectors(model)
    per = {(s, v): [] for s in SLIDERS for v in VALUES}
    for i, (photo, m, x, z) in enumerate(zip(photos, mappings, xs, z0)):
        background = np.median(np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]]), 0)
        item = np.abs(photo.astype(np.float32) - background).max(2) >= 30
        far = cv2.dilate(item.astype(np.uint8), np.ones((41, 41), np.uint8)) == 0
        ring = ~far & ~item
        vectors.hold.on_photo(z, x)  # as the editor does when the photo opens
        before = luminance(photo)
        for s in SLIDERS:
            for v in VALUES:
                z1 = apply_sliders(z, vectors, {s: v})
                ways = ((12, 12, MASK_THRESHOLD), (13, 13, MASK_THRESHOLD), ("all", 13, ALL))
                out = {key: render_edit(model, photo, m, z, z1, threshold=t, compositing=c)[0]
                       for key, c, t in ways}
                change = {c: luminance(o) - before for c, o in out.items()}
                sign = np.sign(change["all"][item].mean()) or 1.0
                grain = {c: np.abs(d - cv2.GaussianBlur(d, (0, 0), 3.0)) for c, d in change.items()}
                case = {c: float(sign * d[item].mean()) for c, d in change.items()}
                for c, d in change.items():
                    case |= {f"far {c}": int((np.abs(d[far]) >= 2).sum()),
                             f"ring {c}": int((np.abs(d[ring]) >= 2).sum()),
                             f"grain {c}": float(grain[c][item].mean())}
                per[(s, v)].append(case | {"coat": i == len(photos) - 1})
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for (s, v), cases in per.items():
        got = {c: np.array([case[c] for case in cases]) for c in (12, 13, "all")}
        coat = next(case for case in cases if case["coat"])
        moved = got["all"] >= 0.5
        mean = lambda key: float(np.mean([c[key] for c in cases]))  # noqa: E731
        rows.append({"slider": s, "value": v, "full": float(np.median(got["all"])),
                     "c12": float(np.median(got[12])), "c13": float(np.median(got[13])),
                     "moved": int(moved.sum()), "edits": len(cases),
                     "reached12": float(np.median(got[12][moved] / got["all"][moved])),
                     "reached13": float(np.median(got[13][moved] / got["all"][moved])),
                     **{f"{what}{c}": mean(f"{what} {c}") for what in ("grain", "ring", "far")
                        for c in (12, 13, "all")},
                     "coat12": coat[12], "coat13": coat[13], "coat_all": coat["all"]})
        print(rows[-1], flush=True)
    m = machine()
    md = (f"# Does a faint slider edit reach the exported product photo?\n\n"
          f"`python -m benchmarks.faint_change --n {a.n}` ({time.perf_counter() - started:.0f} s). "
          f"Model {model.model_id}; {a.n} held-out Fashion-MNIST test images as tinted product photos "
          f"and a plain dark coat (tests/test_editing.py), coded by the app's hybrid inversion; each "
          f"measured slider as the editor moves it (class hold on). On the item: the mean change of "
          f"luminance in the direction the generator's picture changed it, photo levels, medians over "
          f"the photos: with every change carried back (threshold 0.5), with compositing 12 (changes "
          f"under 6 levels dropped) and 13 (a change of one sign over an area kept); *reached*: the "
          f"median share of the first, among the *moved* edits (half a level or more that way). "
          f"*Grain*: the mean size of the change's fine grain on the item (what differs from its "
          f"blur over 3 px). *Beside* (within 20 px of the item) and *far* (further): pixels changed "
          f"by 2 levels or more, mean per export (photos 360x320, the coat 240x180). *Coat*: the "
          f"plain coat's figures (all, 12, 13).\n\n"
          + markdown_table(rows, [("slider", "slider"), ("value", "value"), ("full", "all carried"),
                                  ("c12", "compositing 12"), ("c13", "compositing 13"),
                                  ("moved", "moved"), ("reached12", "reached, 12"),
                                  ("reached13", "reached, 13"), ("grainall", "grain, all"),
                                  ("grain12", "grain, 12"), ("grain13", "grain, 13"),
                                  ("ringall", "beside, all"), ("ring12", "beside, 12"),
                                  ("ring13", "beside, 13"), ("farall", "far, all"), ("far12", "far, 12"),
                                  ("far13", "far, 13"), ("coat_all", "coat, all"),
                                  ("coat12", "coat, 12"), ("coat13", "coat, 13")])
          + f"\n{footer(m)}")
    write_results("faint_change", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows}, md)


if __name__ == "__main__":
    main()
