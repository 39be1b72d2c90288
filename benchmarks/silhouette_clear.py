"""Where a product's edit takes part of it away: what of the old part stays on the photo, compositing
19 against 20.

    python -m benchmarks.silhouette_clear [--n 24]

A walkthrough moved "T-shirt -> shirt" to -2 on a long-sleeved shirt: where the left sleeve went, a
thin grey line with one hard edge stayed. The photo's soft edge of the sleeve reached past the
model's picture of it, and the silhouette's fill painted the background only a model pixel beyond
where the object left (editing.silhouette.silhouette_fill). Since compositing 20 it clears two,
except within a model pixel of the object as the edit draws it (a first version cleared two
everywhere and wore the new edges away: the *worn* count below, 84-380 pixels a photo).
Photos: the first `--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits),
coded by the app's hybrid inversion. On each, every edit of EDITS, exported with compositing 19 and
20 (each slider's value as the editor's hold takes it). Counted on each export, medians over the
photos where the edit took something away (REMOVED model pixels or more):
- *remnant*: photo pixels more than VISIBLE levels off the background, where the photo's object
  was and the model's edited picture is background, a model pixel or more from its object (what
  stays of the part that went);
- *worn*: pixels within a model pixel of the edited picture's object that compositing 20 took more
  than VISIBLE levels nearer the background than 19 did (what the wider clearing takes from the
  item's new edge).
Writes benchmarks/results/silhouette_clear.{json,md} and a picture.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.product_stroke_reach import coded_products
from editing.compositing import MASK_THRESHOLD
from editing.export import render_edit
from editing.silhouette import object_presence
from editing.vectors import apply_sliders, model_vectors

EDITS = (("area", -2.0), ("width", -2.0), ("height", -2.0), ("t-shirt->shirt", -2.0),
         ("pullover->coat", -2.0), ("sandal->sneaker", 2.0))
COMPOSITINGS = (19, 20)
VISIBLE = 12  # levels (the largest channel's) from the background that show
REMOVED = 4  # model pixels the object must leave for an edit to count as taking a part away
SHOWN = 4  # photos in the picture


def on_photo(grid: np.ndarray, mapping, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the model-grid mask `grid` (R, R) bool at each photo pixel (nearest)."""
    return cv2.warpAffine(grid.astype(np.uint8), mapping.matrix, (shape[1], shape[0]),
                          flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=24)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, _ = coded_products(a.n)
    vectors = model_vectors(model)
    cases, strips = [], []
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        vectors.hold.on_photo(z0, x)  # as the editor does when the photo opens
        background = np.asarray(mapping.background, np.float32)
        bg_model = np.array(mapping.model_colour(mapping.background), np.float64)
        off = lambda pixels: np.abs(pixels.astype(np.float32) - background).max(2)  # noqa: E731
        was_object = off(photo) > VISIBLE
        row = [photo]
        for name, value in EDITS:
            z1 = apply_sliders(z0, vectors, {name: value})
            before, after = (model.decode(z.reshape(1, -1))[0].detach() for z in (z0, z1))
            was, now = object_presence(before, bg_model) > 0.05, object_presence(after, bg_model) > 0.05
            near_now = cv2.dilate(now.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            removed = int((was & ~now).sum())
            clear = on_photo(~near_now, mapping, photo.shape[:2])  # background a model pixel from the object
            edge = on_photo(near_now, mapping, photo.shape[:2])  # the object and a model pixel around it
            out = {c: render_edit(model, photo, mapping, z0, z1, MASK_THRESHOLD, c)[0] for c in COMPOSITINGS}
            far = {c: off(o) for c, o in out.items()}
            worn = edge & (far[COMPOSITINGS[0]] - far[COMPOSITINGS[-1]] > VISIBLE)
            for c in COMPOSITINGS:
                remnant = clear & was_object & (far[c] > VISIBLE)
                cases.append({"photo": i, "edit": f"{name} {value:+g}", "compositing": c, "removed": removed,
                              "remnant": int(remnant.sum()),
                              "remnant_level": float(far[c][remnant].mean()) if remnant.any() else 0.0,
                              "worn": int(worn.sum()) if c == COMPOSITINGS[-1] else 0})
            if i < SHOWN and name in ("width", "t-shirt->shirt"):
                row += [out[c] for c in COMPOSITINGS]
        if i < SHOWN:
            strips.append(np.concatenate(row, 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for name, value in EDITS:
        label = f"{name} {value:+g}"
        for c in COMPOSITINGS:
            got = [k for k in cases
                   if k["edit"] == label and k["compositing"] == c and k["removed"] >= REMOVED]
            rows.append({"edit": label, "compositing": c, "photos": len(got),
                         "remnant": float(np.median([k["remnant"] for k in got])) if got else None,
                         "remnant_max": max((k["remnant"] for k in got), default=None),
                         "with_remnant": sum(k["remnant"] >= 20 for k in got),
                         "worn": float(np.median([k["worn"] for k in got])) if got else None})
    Image.fromarray(stack_rows(strips)).save(RESULTS / "silhouette_clear.png")
    m = machine()
    md = (f"# Where an edit takes part of a product away: what stays of it\n\n`python -m "
          f"benchmarks.silhouette_clear --n {a.n}` ({time.perf_counter() - t0:.0f} s). "
          f"Model {model.model_id}; "
          f"{a.n} held-out Fashion-MNIST test images as tinted product photos, coded by the app's hybrid "
          f"inversion; each edit exported with compositing 19 (where the object left, the photo's "
          f"background a model pixel beyond) and 20 (two, but not within a model pixel of the object as "
          f"edited). Photos where the edit took {REMOVED} model "
          f"pixels or more away; medians over them. *Remnant*: photo pixels more than {VISIBLE} levels off "
          f"the background where the photo's object was and the edited picture is background a model "
          f"pixel or more from its object; *with remnant*: photos with 20 or more; *worn*: pixels within "
          f"a model pixel of the edited object that 20 took more than {VISIBLE} levels nearer the "
          f"background than 19.\n\n"
          + markdown_table(rows, [("edit", "edit (model's values)"), ("compositing", "compositing"),
                                  ("photos", "photos"), ("remnant", "remnant px"),
                                  ("remnant_max", "largest"), ("with_remnant", "with remnant"),
                                  ("worn", "worn px")])
          + "\n\n![the photo; width -2, 19 and 20; t-shirt->shirt -2, 19 and 20](silhouette_clear.png)\n\n"
          "Rows: the first photos. Columns: the photo; width -2 with compositing 19, then 20; "
          "t-shirt->shirt -2 (toward a T-shirt) with 19, then 20.\n\n" + footer(m))
    write_results("silhouette_clear", {"machine": m, "n": a.n, "cases": cases, "rows": rows}, md)


if __name__ == "__main__":
    main()
