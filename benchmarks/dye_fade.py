"""A grey model's change toward a tinted product's background, compositing 18 against 19.

    python -m benchmarks.dye_fade [--n 16]

A walkthrough moved "Sandal -> sneaker" to +2 on a lavender boot: where the sneaker's white sole
lightened the boot, a lilac haze stayed under it. The product model is grey; its change was added
to every channel alike, so a pixel lightened toward the white background kept its tint whole. Since
compositing 19 it moves toward the background's colour as far as its luminance moves, as less of a
dye on the background would show (editing.compositing.apply_change's `dye`), and new parts take the
tint in proportion to their level (editing.silhouette.Fill.tint_share). Photos: the first `--n`
Fashion-MNIST test images as tinted product photos (benchmarks.product_edits), coded by the app's
hybrid inversion. On each, every slider of SLIDERS at each of VALUES, exported with compositing 18
and 19. On the pixels the edit lightened to within NEAR levels of the background's luminance (where
a haze shows), means over them, medians over the photos: their tint (the spread of the three
channels; the background's own is about 0) and their luminance change; and over every pixel the
edit changed, the luminance change, which should not move. Writes benchmarks/results/dye_fade.{json,md}
and a picture.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, stack_rows, write_results
from benchmarks.product_stroke_reach import coded_products
from editing.compositing import MASK_THRESHOLD, paste_back
from editing.export import render_edit
from editing.vectors import apply_sliders, model_vectors

SLIDERS = ("brightness", "area", "width")
VALUES = (-2.0, 2.0)
NEAR = 30.0  # photo levels of luminance from the background's within which a lightened pixel is haze
COMPOSITINGS = (18, 19)
SHOWN = 4  # photos in the picture


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=16)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, _ = coded_products(a.n)
    vectors = model_vectors(model)
    cases, strips = [], []
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        vectors.hold.on_photo(z0, x)  # as the editor does when the photo opens
        background = float(luminance(np.asarray(mapping.background, np.float32).reshape(1, 1, 3))[0, 0])
        before = luminance(photo)
        row = [photo]
        for s in SLIDERS:
            for v in VALUES:
                z1 = apply_sliders(z0, vectors, {s: v})
                out = {c: render_edit(model, photo, mapping, z0, z1, MASK_THRESHOLD, c)[0]
                       for c in COMPOSITINGS}
                changed = np.abs(out[COMPOSITINGS[0]].astype(int) - photo).max(2) > 4
                lightened = changed & (np.abs(luminance(out[COMPOSITINGS[0]]) - background) < NEAR) & (
                    np.abs(before - background) >= NEAR)
                for c, o in out.items():
                    tint = np.ptp(o.astype(np.float64), axis=2)
                    lum = luminance(o) - before
                    cases.append({"photo": i, "slider": s, "value": v, "compositing": c,
                                  "haze_pixels": int(lightened.sum()),
                                  "haze_tint": float(tint[lightened].mean()) if lightened.any() else None,
                                  "haze_luminance": float(lum[lightened].mean()) if lightened.any() else None,
                                  "luminance": float(lum[changed].mean()) if changed.any() else 0.0})
                if i < SHOWN and s == "brightness" and v < 0 or i < SHOWN and s == "area" and v < 0:
                    row += [out[c] for c in COMPOSITINGS]
        if i < SHOWN:
            strips.append(np.concatenate(row, 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for s in SLIDERS:
        for v in VALUES:
            for c in COMPOSITINGS:
                got = [k for k in cases if k["slider"] == s and k["value"] == v and k["compositing"] == c]
                hazy = [k for k in got if k["haze_tint"] is not None and k["haze_pixels"] >= 20]
                rows.append({"slider": f"{s} {v:+g}", "compositing": c, "photos": len(hazy),
                             "haze_pixels": float(np.median([k["haze_pixels"] for k in hazy])) if hazy else 0,
                             "haze_tint": float(np.median([k["haze_tint"] for k in hazy])) if hazy else None,
                             "haze_luminance": float(np.median([k["haze_luminance"] for k in hazy])) if hazy
                             else None,
                             "luminance": float(np.median([k["luminance"] for k in got]))})
    times = carry_back_times(model, photos[:6], mappings[:6], xs[:6], z0s[:6], vectors)
    Image.fromarray(stack_rows(strips)).save(RESULTS / "dye_fade.png")
    m = machine()
    md = (f"# A grey model's change toward a tinted product's background: the tint fades\n\n`python -m "
          f"benchmarks.dye_fade --n {a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; "
          f"{a.n} held-out Fashion-MNIST test images as tinted product photos, coded by the app's hybrid "
          f"inversion; each slider at {', '.join(f'{v:+g}' for v in VALUES)}, exported with compositing 18 "
          f"(the grey change added to every channel alike) and 19 (toward the background the colour moves "
          f"toward the background's as far as the luminance moves; new parts take the tint in proportion "
          f"to their level). *Haze*: the pixels the edit took to within {NEAR:.0f} levels of the "
          f"background's luminance from farther (photos with 20 or more such pixels; medians over them of "
          f"the means): how many, their tint (the spread of the three channels, levels; the background's "
          f"is about 0) and their luminance change; then the luminance change over every pixel the edit "
          f"changed (medians over all photos).\n\n"
          + markdown_table(rows, [("slider", "slider"), ("compositing", "compositing"), ("photos", "photos"),
                                  ("haze_pixels", "haze pixels"), ("haze_tint", "haze tint"),
                                  ("haze_luminance", "haze luminance change"),
                                  ("luminance", "luminance change, all changed")])
          + f"\n\nThe cost: a slider's draft carry-back (paste_back, no outline flow) of brightness -1 on "
          f"the first 6 photos (320x360), 15 calls each, three rounds alternating, median ms of the "
          f"medians: compositing 18 {times[18]:.2f}, 19 {times[19]:.2f} (the patch's luminance is "
          f"kept per patch; the rest is the sums over it)."
          "\n\nSlider values are the model's: these light-background photos reach it reversed, so "
          "brightness -2 lightens them (the editor shows the photo's sign).\n\n"
          "![the photo; brightness -2, 18 and 19; area -2, 18 and 19](dye_fade.png)\n\n"
          "Rows: the first photos. Columns: the photo; brightness -2 with compositing 18, then 19; area "
          "-2 with 18, then 19.\n\n" + footer(m))
    write_results("dye_fade", {"machine": m, "n": a.n, "cases": cases, "rows": rows, "ms": times}, md)


def carry_back_times(model, photos, mappings, xs, z0s, vectors) -> dict[int, float]:
    """Median ms (of per-photo medians) of a draft carry-back of "brightness -1" with compositing
    18 and 19's `fade`, alternating."""
    got = {18: [], 19: []}
    for photo, mapping, x, z0 in zip(photos, mappings, xs, z0s):
        vectors.hold.on_photo(z0, x)
        with torch.no_grad():
            before = model.decode(z0.reshape(1, -1))[0]
            after = model.decode(apply_sliders(z0, vectors, {"brightness": -1.0}).reshape(1, -1))[0]
        for _ in range(3):
            for c in COMPOSITINGS:
                ms = []
                for _ in range(15):
                    t = time.perf_counter()
                    paste_back(photo, mapping, before, after, outline=False, fade=c >= 19)
                    ms.append(1000 * (time.perf_counter() - t))
                got[c].append(float(np.median(ms)))
    return {c: float(np.median(v)) for c, v in got.items()}


if __name__ == "__main__":
    main()
