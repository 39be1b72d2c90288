"""A grey model's change toward a tinted product's background, compositing 18, 19 and 22.

    python -m benchmarks.dye_fade [--n 16]

A walkthrough moved "Sandal -> sneaker" to +2 on a lavender boot: where the sneaker's white sole
lightened the boot, a lilac haze stayed under it. The product model is grey; its change was added
to every channel alike (compositing 18), so a pixel lightened toward the white background kept its
tint whole. Compositing 19 moves it toward the background's colour as far as its luminance moves,
as less of a dye on the background would show (editing.compositing.apply_change's `dye`), and new
parts take the tint in proportion to their level (editing.silhouette.Fill.tint_share); but only
FADE_APART (20) levels or more from the background's luminance: a pale item nearer it kept its whole
tint, past the background's brightness too, and one a level farther could lose all of it.
Compositing 22 lands such a change as a stroke's toward its paint (editing.toward.soft_move): the
luminance no further than the background's, the tint faded by the levels moved out of the way or
PAINT_SOFT, with no step.

Photos: the first `--n` Fashion-MNIST test images as product photos, once with the benchmarks'
darker tints (benchmarks.product_edits.TINTS) and once with PASTELS (pale tints within FADE_APART of
the white), coded by the app's hybrid inversion. On each, every slider of SLIDERS at each of VALUES,
exported with each of COMPOSITINGS. *Haze* (as in the first version of this benchmark): the pixels
the edit took to within NEAR levels of the background's luminance from farther; means over them,
medians over the photos: their tint (the spread of the three channels; the background's own is about
0) and their luminance change. *Toward*: the pixels the grey change (as 18 adds it) moves STEP levels
or more toward the background, split at FADE_APART from it: the share of their tint kept, and how
far past the background's luminance they go. *Beyond*: the pixels the edit took more than BEYOND
levels past the background's luminance (whiter than a white backdrop: the blobs a walkthrough saw
beside a shrunk bag). Writes benchmarks/results/dye_fade.{json,md} and a picture.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, stack_rows, write_results
from benchmarks.product_edits import TINTS
from benchmarks.product_stroke_reach import coded_products
from editing.compositing import MASK_THRESHOLD, paste_back
from editing.export import render_edit
from editing.silhouette import FADE_APART
from editing.vectors import apply_sliders, model_vectors

SLIDERS = ("brightness", "area", "width")
VALUES = (-2.0, 2.0)
NEAR = 30.0  # photo levels of luminance from the background's within which a lightened pixel is haze
BEYOND = 3.0  # levels of luminance past the background's (lighter than a light one) that show as a blob
STEP = 8.0  # photo levels of luminance toward the background a pixel moved by counts as moved toward it
COMPOSITINGS = (18, 19, 22)
PASTELS = ((250, 240, 140), (200, 245, 250), (255, 222, 240))  # pale yellow, cyan, pink (luminance 16-18
# levels under fake_photo's white 250)
SHOWN = 3  # photos of each set in the picture


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=16)
    a = p.parse_args()
    t0 = time.perf_counter()
    cases, strips, sets = [], [], {}
    for name, tints in (("darker", TINTS), ("pastel", PASTELS)):
        model, photos, mappings, xs, z0s, _ = coded_products(a.n, tints)
        sets[name] = photos, mappings, xs, z0s
        vectors = model_vectors(model)
        for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
            vectors.hold.on_photo(z0, x)  # as the editor does when the photo opens
            row = measure(model, vectors, photo, mapping, z0, {"tints": name, "photo": i}, cases)
            if i < SHOWN:
                strips.append(np.concatenate(row, 1))
            print(f"{name} photo {i + 1} of {len(photos)}", flush=True)
    rows = summary(cases)
    times = carry_back_times(model, *(v[:6] for v in sets["pastel"]), vectors)
    Image.fromarray(stack_rows(strips)).save(RESULTS / "dye_fade.png")
    m = machine()
    md = (f"# A grey model's change toward a tinted product's background: the tint fades\n\n`python -m "
          f"benchmarks.dye_fade --n {a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; "
          f"{a.n} held-out Fashion-MNIST test images as product photos, once in the benchmarks' darker tints "
          f"and once in pale ones (yellow, cyan, pink, 16-18 levels of luminance under the white "
          f"background), coded by the app's hybrid inversion; each slider at "
          f"{', '.join(f'{v:+g}' for v in VALUES)}, exported with compositing 18 (the grey change added to "
          f"every channel alike), 19 (toward the background, {FADE_APART:.0f} levels or more from it, the "
          f"colour moves toward the background's as far as the luminance moves; nearer, as 18) and 22 "
          f"(toward the background, the luminance no further than its own and the tint faded by the "
          f"levels moved out of the way or 32, whichever is more: editing.toward.soft_move).\n\n"
          f"*Haze*: the pixels the edit took to within {NEAR:.0f} levels of the background's luminance "
          f"from farther (photos with 20 or more such pixels; medians over them of the means): how many, "
          f"their tint (the spread of the three channels, levels; the background's is about 0) and their "
          f"luminance change. *Toward*: the pixels the grey change moves {STEP:.0f} levels or more toward "
          f"the background's luminance, nearer than {FADE_APART:.0f} levels to it (*near*) or not "
          f"(*far*): how many (medians over the photos), the share of their tint kept (the sum of their "
          f"tints after over before) and how far past the background's luminance they went (mean levels), "
          f"medians over the photos with 20 or more such pixels. *Beyond the background*: the pixels the "
          f"edit took more than {BEYOND:.0f} levels past the background's luminance (whiter than the "
          f"white backdrop: the blobs a walkthrough saw beside a shrunk bag), mean per photo, and in how "
          f"many photos. Last, the luminance change over every "
          f"pixel the edit changed (medians over all photos), which should not move much.\n\n"
          + markdown_table(rows, [("tints", "tints"), ("slider", "slider"), ("compositing", "compositing"),
                                  ("haze_photos", "haze photos"), ("haze_pixels", "haze pixels"),
                                  ("haze_tint", "haze tint"), ("haze_luminance", "haze luminance change"),
                                  ("near_pixels", "near pixels"), ("near_kept", "near: tint kept"),
                                  ("near_past", "near: past the background"), ("far_pixels", "far pixels"),
                                  ("far_kept", "far: tint kept"),
                                  ("beyond", "beyond the background: pixels"),
                                  ("beyond_photos", "beyond: photos"),
                                  ("luminance", "luminance change, all changed")])
          + "\n\nThe cost: a slider's draft carry-back (paste_back, no outline flow) of brightness -1 on "
          "the first 6 pale photos (320x360), 15 calls each, three rounds alternating, median ms of the "
          "medians: " + ", ".join(f"compositing {c} {t:.2f}" for c, t in times.items()) + "."
          "\n\nSlider values are the model's: these light-background photos reach it reversed, so "
          "brightness -2 lightens them (the editor shows the photo's sign).\n\n"
          "![the photo; brightness -2, 19 and 22; area -2, 19 and 22; the same with the backdrop's contrast "
          "raised](dye_fade.png)\n\n"
          f"Rows: the first {SHOWN} photos in darker tints, then in pale ones. Columns: the photo; "
          "brightness -2 with compositing 19, then 22; area -2 with 19, then 22; the last two again with the "
          "levels from 10 under the backdrop's up stretched 17 times (the backdrop mid grey, black under it, "
          "white over it: a pixel past it shows white).\n\n" + footer(m))
    write_results("dye_fade", {"machine": m, "n": a.n, "cases": cases, "rows": rows, "ms": times}, md)


def measure(model, vectors, photo: np.ndarray, mapping, z0: torch.Tensor, case: dict, cases: list) -> list:
    """Each slider of SLIDERS at each of VALUES on one photo, exported with each of COMPOSITINGS and
    measured into `cases`; returns the picture's row (the photo, then brightness and area at -2 with
    19 and 22, then area -2 with the backdrop's contrast raised)."""
    background = float(luminance(np.asarray(mapping.background, np.float32).reshape(1, 1, 3))[0, 0])
    before = luminance(photo)
    tint_before = np.ptp(photo.astype(np.float64), axis=2)
    row = [photo]
    for s in SLIDERS:
        for v in VALUES:
            z1 = apply_sliders(z0, vectors, {s: v})
            out = {c: render_edit(model, photo, mapping, z0, z1, MASK_THRESHOLD, c)[0] for c in COMPOSITINGS}
            added = luminance(out[18])  # the grey change added: which pixels it moves, and how far
            changed = np.abs(out[18].astype(int) - photo).max(2) > 4
            lightened = changed & (np.abs(added - background) < NEAR) & (np.abs(before - background) >= NEAR)
            gap = background - before
            toward = ((added - before) * np.sign(gap) >= STEP)
            near, far = toward & (np.abs(gap) < FADE_APART), toward & (np.abs(gap) >= FADE_APART)
            side = 1.0 if background > 127.5 else -1.0  # beyond a light background: lighter
            for c, o in out.items():
                tint, lum = np.ptp(o.astype(np.float64), axis=2), luminance(o)
                past = (lum - background) * np.sign(gap)
                beyond = ((lum - background) * side > BEYOND) & ((before - background) * side <= BEYOND)

                cases.append({**case, "slider": s, "value": v, "compositing": c,
                              "haze_pixels": int(lightened.sum()),
                              "haze_tint": float(tint[lightened].mean()) if lightened.any() else None,
                              "haze_luminance": float((lum - before)[lightened].mean())
                              if lightened.any() else None,
                              "near_pixels": int(near.sum()), "near_kept": _share(tint, tint_before, near),
                              "near_past": float(np.maximum(past[near], 0).mean()) if near.any() else None,
                              "far_pixels": int(far.sum()), "far_kept": _share(tint, tint_before, far),
                              "beyond": int(beyond.sum()),
                              "luminance": float((lum - before)[changed].mean()) if changed.any() else 0.0})
            if s in ("brightness", "area") and v < 0:
                row += [out[19], out[22]]
            if s == "area" and v < 0:  # the backdrop's contrast raised: blobs past it show
                row += [np.clip((o.astype(np.float32) - (background - 10)) * 17, 0, 255).astype(np.uint8)
                        for o in (out[19], out[22])]
    return row


def _share(after: np.ndarray, before: np.ndarray, where: np.ndarray) -> float | None:
    """The sum of `after` over `where` out of `before`'s; None where `before` sums to 0 there."""
    whole = before[where].sum()
    return float(after[where].sum() / whole) if whole else None


def summary(cases: list) -> list[dict]:
    """Medians over the photos, a row per set of tints, slider value and compositing."""
    def median(got, key, enough=None):
        values = [k[key] for k in got if k[key] is not None and (enough is None or k[enough] >= 20)]
        return float(np.median(values)) if values else None

    rows = []
    for tints in ("darker", "pastel"):
        for s in SLIDERS:
            for v in VALUES:
                for c in COMPOSITINGS:
                    got = [k for k in cases if (k["tints"], k["slider"], k["value"], k["compositing"])
                           == (tints, s, v, c)]
                    rows.append({"tints": tints, "slider": f"{s} {v:+g}", "compositing": c,
                                 "haze_photos": sum(k["haze_pixels"] >= 20 and k["haze_tint"] is not None
                                                    for k in got),
                                 "haze_pixels": median(got, "haze_pixels", "haze_pixels"),
                                 "haze_tint": median(got, "haze_tint", "haze_pixels"),
                                 "haze_luminance": median(got, "haze_luminance", "haze_pixels"),
                                 "near_pixels": median(got, "near_pixels"),
                                 "near_kept": median(got, "near_kept", "near_pixels"),
                                 "near_past": median(got, "near_past", "near_pixels"),
                                 "far_pixels": median(got, "far_pixels"),
                                 "far_kept": median(got, "far_kept", "far_pixels"),
                                 "beyond": float(np.mean([k["beyond"] for k in got])),
                                 "beyond_photos": sum(k["beyond"] > 0 for k in got),
                                 "luminance": median(got, "luminance")})
    return rows


def carry_back_times(model, photos, mappings, xs, z0s, vectors) -> dict[int, float]:
    """Median ms (of per-photo medians) of a draft carry-back of "brightness -1" as each of
    COMPOSITINGS makes it (18: no fade; 19: its dye; 22: the soft one), alternating."""
    got = {c: [] for c in COMPOSITINGS}
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
                    paste_back(photo, mapping, before, after, outline=False, fade=c >= 19, clear=c >= 20,
                               soft=c >= 22)
                    ms.append(1000 * (time.perf_counter() - t))
                got[c].append(float(np.median(ms)))
    return {c: float(np.median(v)) for c, v in got.items()}


if __name__ == "__main__":
    main()
