"""A white, a black or a near grey stroke across a tinted product: how near the stripe comes to the
colour painted, compositing 17 against 18, 19 and 20.

    python -m benchmarks.stroke_paint [--n 16]

Walkthroughs painted white across a navy pullover and brown trousers and saw pale blue and tan
stripes: the product model is grey, and its change of luminance was added to every channel alike,
the item's tint kept whole. Since compositing 18 a grey model's stroke moves each pixel's colour
toward its paint (a grey level) as far as it moves the pixel's luminance
(editing.landing.BrushBand.painted): the luminance is the same, the tint fades in proportion. Photos:
the first `--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits),
coded by the app's hybrid inversion. On each, a white and a black stroke in turn, 12 px wide, across
the item at the middle of its height, each solved once as the editor solves it (first candidate),
exported with compositing 17 and 18. Within the brush (its band's full weight) on the item, means
over its pixels, then medians over the photos: the luminance change, the distance from the paint
(RGB, levels per channel), and the tint (the spread of the three channels, levels; the photo's own
beside it). Then how far each stroke got, as the status bar says it (editor.strokes.reached): the
solver's share in the model's picture, which it said before, against the share of the way to the
paint that lands on the photo (editing.landing.BrushBand.reached), which it says now.

A third stroke paints a grey close to the item's own level (NEAR levels darker than the photo's
median luminance under the brush): a walkthrough's Level 125 on a brown bag came out as hard-edged
grey patches (compositing 18 took the share of a way of a few levels, all of it for a move of a few,
and the whole tint with it). Measured on each: the share of the brush's item pixels that lost half
their tint or more while their luminance moved less than 16 levels (grey patches), and the hardest
steps within the brush (the 99th percentile of the largest channel's difference between
neighbouring pixels, the photo's own beside it). Compositing 19 (a grey change toward the
background fades the tint) reaches strokes where `painted` leaves the edit as carried back. Writes benchmarks/results/stroke_paint.{json,md} and a picture.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, stack_rows, write_results
from benchmarks.product_stroke_reach import COLOURS, across_the_middle, band_of, coded_products, item_pixels
from editing.compositing import MASK_THRESHOLD
from editing.edit import edit_code
from editing.export import render_edit
from editing.landing import PAINT_FAR, object_reach
from editing.toward import PAINT_SOFT
from editing.solver import build_constraints, stroke_loss
from editor.strokes import FAR_SHORT

COMPOSITINGS = (17, 18, 19, 20)
SHOWN = 4  # photos in the picture
NEAR = 12  # levels: the near grey stroke paints the photo's median luminance under the brush less this
PATCH_MOVE = 16  # levels: a pixel that lost half its tint moving less than this in luminance is a grey patch
PICTURED = (19, 20)  # the compositings in the picture


def steps(pixels: np.ndarray, where: np.ndarray) -> float:
    """The 99th percentile of the largest channel's difference between neighbouring pixels (right
    and down) of `pixels` (H, W, 3) uint8, where both lie in `where` (H, W) bool."""
    p = pixels.astype(np.int16)
    right = np.abs(p[:, 1:] - p[:, :-1]).max(2)[where[:, 1:] & where[:, :-1]]
    down = np.abs(p[1:] - p[:-1]).max(2)[where[1:] & where[:-1]]
    both = np.concatenate([right, down])
    return float(np.percentile(both, 99)) if both.size else 0.0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=16)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, cfg = coded_products(a.n)
    cases, strips = [], []
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        item = item_pixels(photo)
        y, x0, x1, _, stroke_of = across_the_middle(photo, mapping)
        row = []
        inside = band_of(stroke_of((0, 0, 0)), mapping, item.shape, 0.999) & item
        near = float(np.clip(np.median(luminance(photo)[inside]) - NEAR, 0, 255))
        for name, colour in {**COLOURS, "near grey": (near,) * 3}.items():
            stroke = stroke_of(colour)
            result = edit_code(model, z0, {}, [stroke], cfg, photo=x)
            z_edit = result.z_edit
            with torch.no_grad():
                constraints = build_constraints([stroke], model.decode(z0.reshape(1, -1))[0])
            asked = float(stroke_loss(constraints.preserve_target[None], constraints)[0])
            solver_share = 1.0 - float(result.solver.stroke_error[0]) / asked
            for compositing in COMPOSITINGS:
                out, _ = render_edit(model, photo, mapping, z0, z_edit, MASK_THRESHOLD, compositing,
                                     strokes=(stroke,))
                pixels = out[inside].astype(np.float64)
                tint, photo_tint = np.ptp(pixels, axis=1), np.ptp(photo[inside].astype(np.float64), axis=1)
                moved = np.abs(luminance(out) - luminance(photo))[inside]
                band = object_reach((stroke,), mapping, model.gan.channels, compositing)
                landed = band.reached(mapping, photo, out)  # how far it got, as the status bar says now
                cases.append({"photo": i, "colour": name, "compositing": compositing,
                              "luminance": float((luminance(out) - luminance(photo))[inside].mean()),
                              "off_paint": float(np.abs(pixels - colour).mean()),
                              "tint": float(tint.mean()), "photo_tint": float(photo_tint.mean()),
                              "patches": float(((tint <= photo_tint / 2) & (moved < PATCH_MOVE)).mean()),
                              "steps": steps(out, inside), "photo_steps": steps(photo, inside),
                              "paint": float(np.mean(colour)),
                              "solver_share": solver_share, "landed_share": landed})
                if i < SHOWN and compositing in PICTURED:
                    top, bottom = max(0, y - 40), min(photo.shape[0], y + 40)
                    row.append(out[top:bottom, max(0, x0 - 10):x1 + 10])
        if i < SHOWN:
            top, bottom = max(0, y - 40), min(photo.shape[0], y + 40)
            strips.append(np.concatenate([photo[top:bottom, max(0, x0 - 10):x1 + 10], *row], 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = [{"colour": name, "compositing": c, "strokes": len(got),
             **{k: float(np.median([g[k] for g in got]))
                for k in ("luminance", "off_paint", "tint", "photo_tint", "patches", "steps", "photo_steps")}}
            for name in (*COLOURS, "near grey") for c in COMPOSITINGS
            for got in [[k for k in cases if k["colour"] == name and k["compositing"] == c]]]
    shares = []  # how far each stroke got, as the status bar says it (editor.strokes.reached)
    for name in COLOURS:
        got = [k for k in cases if k["colour"] == name and k["compositing"] == COMPOSITINGS[-1]]
        landed = [1.0 if k["landed_share"] is None else k["landed_share"] for k in got]
        solver = [k["solver_share"] for k in got]
        shares.append({"colour": name, "strokes": len(got), "solver": float(np.median(solver)),
                       "landed": float(np.median(landed)),
                       "short_solver": sum(v < FAR_SHORT for v in solver),
                       "short_landed": sum(v < FAR_SHORT for v in landed),
                       "disagree": sum((a < FAR_SHORT) != (b < FAR_SHORT) for a, b in zip(solver, landed))})
    Image.fromarray(stack_rows(strips)).save(RESULTS / "stroke_paint.png")
    m = machine()
    md = (f"# A white, black or near grey stroke across a tinted product: the colour painted\n\n`python -m "
          f"benchmarks.stroke_paint --n {a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; "
          f"{a.n} held-out Fashion-MNIST test images as tinted product photos, coded by the app's hybrid "
          f"inversion; a white, a black and a near grey stroke (the photo's median luminance under the "
          f"brush less {NEAR} levels), 12 px wide, across each item at the middle of its "
          f"height, each solved once as the editor solves it (first candidate), exported with "
          f"compositing 17 (the grey model's change added to every channel alike), 18 (each pixel's "
          f"colour moved toward the paint as far as its luminance moved: editing.landing.BrushBand."
          f"painted), 19 (besides, a change toward the background fades the tint) and 20 (the tint fading by the levels moved out of the way "
          f"or {PAINT_SOFT:.0f}, whichever is more). Within the brush on the item, means over its pixels, "
          f"medians over the photos: the luminance change (levels), the distance from the paint (RGB, "
          f"levels per channel), the tint (the spread of the three channels; the photo's own beside "
          f"it), grey patches (the share of the pixels that lost half their tint or more while their "
          f"luminance moved less than {PATCH_MOVE} levels), the hardest steps (the 99th percentile of the "
          f"largest channel's difference between neighbouring pixels; the photo's own beside it).\n\n"
          + markdown_table(rows, [("colour", "stroke"), ("compositing", "compositing"),
                                  ("strokes", "strokes"),
                                  ("luminance", "luminance change"), ("off_paint", "off the paint"),
                                  ("tint", "tint"), ("photo_tint", "the photo's tint"),
                                  ("patches", "grey patches"), ("steps", "hardest steps"),
                                  ("photo_steps", "the photo's")])
          + f"\n\nHow far each stroke got, as the status bar says it (editor.strokes.reached: under "
          f"{FAR_SHORT:.0%} it says the strokes fell short): the solver's share, in the model's picture "
          f"(before), and what lands on the photo with compositing {COMPOSITINGS[-1]} (now: "
          f"editing.landing.BrushBand.reached, the mean share of the way to the paint over the brush's "
          f"pixels that had {PAINT_FAR:.0f} levels or more to go); medians, and how many strokes each "
          f"says fell short:\n\n"
          + markdown_table(shares, [("colour", "stroke"), ("strokes", "strokes"),
                                    ("solver", "solver's share"), ("landed", "landed share"),
                                    ("short_solver", "short, by the solver"),
                                    ("short_landed", "short, landed"), ("disagree", "they disagree")])
          + "\n\n![the photo; white, compositing 19, 20; black, 19, 20; near grey, 19, 20]"
          "(stroke_paint.png)\n\n"
          "Rows: the first photos, cut around the stroke. Columns: the photo; the white stroke with "
          "compositing 19, then 20; the black stroke with 19, then 20; the near grey with 19, then 20.\n\n"
          + footer(m))
    write_results("stroke_paint", {"machine": m, "n": a.n, "cases": cases, "rows": rows, "shares": shares},
                  md)


if __name__ == "__main__":
    main()
