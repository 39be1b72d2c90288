"""Specks: the generator's dots of new object apart from the item, carried back onto product photos
as blobs on the backdrop (walkthrough 55: Area +2.11 on a red dress), and what compositing 25
(editing.silhouette.without_specks) does about them.

    python -m benchmarks.specks [--n 100]

Photos as benchmarks.class_unit makes them: the first `--n` Fashion-MNIST test images as tinted
product photos, inverted by the app. Edits: Area, Height, Width and Brightness at -2 and +2, and each
class slider at +2 on the photos of other kinds. For each edit: whether its picture has a speck; for
those, the export carried back as before (compositing 24) and now (25): *blob*, the largest
difference from the photo within the speck's place (its model pixels where nothing else lands: the
photo's backdrop before, and after without the speck; photo levels, the farthest channel); *kind
kept*, whether the judge (a classifier nothing in the editor reads) reads both exports alike;
*elsewhere*, the share of the item's box that differs by more than 3 levels between the two outside
the speck's place (the outline's flow, found without the speck). And the cost: without_specks per
edit (median, every edit). Writes benchmarks/results/specks.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.class_unit import JUDGE
from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import tile
from benchmarks.product_edits import Judges, inverted_photos
from editing.compositing import paste_back
from editing.silhouette import SPECK_PIXELS, object_presence, specks, without_specks
from editing.vectors import apply_sliders, model_vectors
from training.classifier import load_classifier
from training.modelfile import DEFAULT_MODEL, load_model

MEASURED = ("area", "height", "width", "brightness")
SHOWN = 4  # edits with a speck shown in the picture


def speck_place(mapping, place: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the photo's pixels of the model pixels `place` (R, R) of an edit."""
    r, out = place.shape[0], np.zeros(shape, bool)
    x0, y0, x1, y1 = mapping.box
    off = (r - mapping.content) / 2
    step = (x1 - x0) / mapping.content
    for y, x in zip(*np.nonzero(place)):
        top, left = y0 + (y - off) * step, x0 + (x - off) * step
        out[max(0, int(top)):max(0, int(top + step)), max(0, int(left)):max(0, int(left + step))] = True
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=100)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    names, photos, mappings, xs, z0 = inverted_photos(model, a.n)
    judges = Judges(model, {"judge": load_classifier(JUDGE)[0]})
    seen = judges.classes(photos)["judge"]
    sliders = model_vectors(model)
    rows, costs, shown = {}, [], []
    for i in range(a.n):
        sliders.hold.on_photo(z0[i], xs[i])
        edits = [(n, v) for n in MEASURED for v in (-2.0, 2.0)] + \
            [(n, 2.0) for c, n in enumerate(names) if c != seen[i]]
        with torch.no_grad():
            before = model.decode(z0[i:i + 1])[0]
            pictures = model.decode(torch.stack([apply_sliders(z0[i], sliders, {n: v}) for n, v in edits]))
        background = np.array(mappings[i].model_colour(mappings[i].background), np.float64)
        was = object_presence(before, background)
        for (name, value), after in zip(edits, pictures):
            t0 = time.perf_counter()
            without_specks(mappings[i], before, after)
            costs.append(time.perf_counter() - t0)
            kind = "class" if name in names else name
            row = rows.setdefault(kind, {"slider": kind, "edits": 0, "with": 0, "blob_before": [],
                                         "blob_now": [], "kept": [], "elsewhere": []})
            row["edits"] += 1
            speck = specks(was, object_presence(after, background))
            if not speck.any():
                continue
            row["with"] += 1
            old, now = (paste_back(photos[i], mappings[i], before, after, apart=apart)[0]
                        for apart in (False, True))
            alone = (speck > 0) & (was < 0.05) & (object_presence(without_specks(mappings[i], before, after),
                                                                  background) < 0.05)  # nothing else lands
            place = speck_place(mappings[i], alone, photos[i].shape[:2])
            if not place.any():
                continue
            for key, out in (("blob_before", old), ("blob_now", now)):
                row[key].append(int(np.abs(out.astype(int) - photos[i])[place].max()))
            reads = judges.classes([old, now])["judge"]
            row["kept"].append(bool(reads[0] == reads[1]))
            x0, y0, x1, y1 = (int(v) for v in mappings[i].box)
            box = np.zeros(place.shape, bool)
            box[max(0, y0):y1, max(0, x0):x1] = True
            differs = np.abs(old.astype(int) - now).max(2) > 3
            row["elsewhere"].append(float(differs[box & ~place].mean()))
            if len(shown) < SHOWN:
                ys, xs_ = np.nonzero(place)
                cy, cx = int(ys.mean()) + 60, int(xs_.mean()) + 60  # in the photo padded by 60
                crop = np.s_[cy - 60:cy + 60, cx - 60:cx + 60]
                padded = [np.pad(im, ((60, 60), (60, 60), (0, 0)), mode="edge")[crop]
                          for im in (photos[i], old, now)]
                pair = [np.asarray(Image.fromarray(im).resize((160, 160))) for im in padded]
                shown.append((f"photo {i}, {name} {value:+g}", tile(pair, axis=1, gap=4, fill=160)))
        print(i, f"{time.perf_counter() - started:.0f} s", flush=True)
    table = []
    for row in rows.values():
        def median(k):
            return float(np.median(row[k])) if row[k] else None
        table.append({"slider": row["slider"], "edits": row["edits"], "with": row["with"],
                      "share": row["with"] / row["edits"], "blob_before": median("blob_before"),
                      "blob_now": median("blob_now"),
                      "kept": float(np.mean(row["kept"])) if row["kept"] else None,
                      "elsewhere": median("elsewhere")})
    all_rows = [r for r in rows.values()]
    table.append({"slider": "all", "edits": sum(r["edits"] for r in all_rows),
                  "with": sum(r["with"] for r in all_rows),
                  "share": sum(r["with"] for r in all_rows) / sum(r["edits"] for r in all_rows),
                  "blob_before": float(np.median(sum((r["blob_before"] for r in all_rows), []))),
                  "blob_now": float(np.median(sum((r["blob_now"] for r in all_rows), []))),
                  "kept": float(np.mean(sum((r["kept"] for r in all_rows), []))),
                  "elsewhere": float(np.median(sum((r["elsewhere"] for r in all_rows), [])))})
    if shown:
        Image.fromarray(stack_rows([s for _, s in shown], fill=160)).save(RESULTS / "specks.png")
    took = time.perf_counter() - started
    cost_ms = 1000 * float(np.median(costs))
    columns = [("slider", "slider"), ("edits", "edits"), ("with", "with a speck"), ("share", "share"),
               ("blob_before", "blob before (levels, median)"), ("blob_now", "blob now"),
               ("kept", "judge reads both alike"), ("elsewhere", "box differing elsewhere (median)")]
    m = machine()
    md = (f"# Specks apart from the item\n\nModel {model.model_id}. `python -m benchmarks.specks --n {a.n}` "
          f"({took:.0f} s). Edits: {', '.join(MEASURED)} at -2 and +2, each class slider at +2 on the photos "
          f"of other kinds. A speck: a part of the edit's picture of {SPECK_PIXELS} model pixels or fewer, "
          f"faint edges and all, two model pixels or more from the item as it was, faint parts too, on an "
          f"item not of separate parts itself (editing.silhouette.specks). Blob: the largest difference from "
          f"the photo at the speck's model pixels where nothing else lands (backdrop in the photo, and in "
          f"the edit without the speck), carried back before (compositing 24) and now (25). "
          f"without_specks: {cost_ms:.3f} ms per edit (median of {len(costs)}, one thread).\n\n"
          + markdown_table(table, columns)
          + "\n\n![" + "; ".join(label for label, _ in shown) + ": the photo, before, now](specks.png)\n\n"
          + footer(m))
    write_results("specks", {"rows": table, "n": a.n, "seconds": took, "without_specks_ms": cost_ms,
                             "machine": m}, md)


if __name__ == "__main__":
    main()
