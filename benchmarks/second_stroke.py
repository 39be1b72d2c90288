"""A second colour stroke on a product: what it does to the first stripe, the strokes painted before
asked again against settled.

    python -m benchmarks.second_stroke [--n 12]

Two black strokes across a product, solved one after the other as the editor solves them: solving
the second one asked for the first stroke's colour again, and the first stripe changed on the photo
where the second did not paint (the solver pushed it further toward its colour). Since
editor.strokes.stroke_constraints settles the strokes painted before
(editing.solver.build_constraints' `settled`), the picture keeps them as it shows them. Photos: the
first `--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits), coded by
the app's hybrid inversion. On each, in the photo's colours, two strokes of one colour (white, or
black), 12 px wide, across the item from edge to edge at 35% and then 65% of its height; the first
solved, then the second from the first's code (first candidates), exported as the editor exports
them (editing.export.render_edit). Photo levels of luminance, medians over the photos of means:
*first stripe redrawn*, the export's change from the first stroke's export within the first brush's
width (on the item, away from the second's); *second stripe*, the export's change from the first
stroke's export within the second brush's width (on the item), toward the colour asked. Seconds: the
second stroke's solve. Writes benchmarks/results/second_stroke.{json,md} and a picture.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, write_results
from benchmarks.product_stroke_reach import COLOURS, RADIUS, band_of, coded_products, item_pixels
from editing.edit import solve_strokes
from editing.export import render_edit
from editing.solver import Stroke, build_constraints

PAIRS = (("white", "white"), ("black", "black"), ("black", "white"), ("white", "black"))  # first, second
HEIGHTS = (0.35, 0.65)  # the strokes' rows, shares of the item's height from its top
WAYS = {"asked again (before)": 0, "settled (now)": 1}  # strokes settled when the second is solved


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=12)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, cfg = coded_products(a.n)
    cases, strips = [], []
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        item = item_pixels(photo)
        rows = np.flatnonzero(item.any(1))

        def across(share: float, colour) -> Stroke:
            y = int(rows[0] + (rows[-1] - rows[0]) * share)
            cols = np.flatnonzero(item[y])
            points = tuple(mapping.to_model_point(px, y) for px in range(int(cols[0]), int(cols[-1]) + 1, 4))
            return Stroke("color", points, RADIUS * mapping.scale, mapping.model_colour(colour))

        def solved(z, strokes, settled):
            with torch.no_grad():
                current = model.decode(z[None])[0]
            constraints = build_constraints(strokes, current, settled)
            return list(solve_strokes(model, z0, z, constraints, cfg, photo=x))[-1].z[0]

        lum = luminance(photo)
        for first_colour, second_colour in PAIRS:
            name = first_colour if first_colour == second_colour else f"{first_colour}, then {second_colour}"
            first = across(HEIGHTS[0], COLOURS[first_colour])
            second = across(HEIGHTS[1], COLOURS[second_colour])
            z1 = solved(z0, [first], 0)
            once = render_edit(model, photo, mapping, z0, z1, strokes=(first,))[0]
            only_first = (band_of(first, mapping, item.shape, 0.99) & ~band_of(second, mapping, item.shape)
                          & item)
            under_second = band_of(second, mapping, item.shape, 0.99) & item
            sign = {"white": 1.0, "black": -1.0}  # toward the colour asked
            outs = []
            for way, settled in WAYS.items():
                t = time.perf_counter()
                z2 = solved(z1, [first, second], settled)
                seconds = time.perf_counter() - t
                out = render_edit(model, photo, mapping, z0, z2, strokes=(first, second))[0]
                change = luminance(out) - luminance(once)
                cases.append({"photo": i, "colour": name, "way": way, "seconds": seconds,
                              "redrawn": float(np.abs(change[only_first]).mean()),
                              "second": float(sign[second_colour] * change[under_second].mean()),
                              "first_stripe": float(sign[first_colour]
                                                    * (luminance(once) - lum)[only_first].mean())})
                outs.append(out)
            if len(strips) < 8 and first_colour == second_colour:
                strips.append(np.concatenate([photo, once, *outs], 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = [{"colour": name, "way": way, "photos": len(got),
             **{k: float(np.median([g[k] for g in got]))
                for k in ("first_stripe", "redrawn", "second", "seconds")},
             "redrawn_max": float(np.max([g["redrawn"] for g in got]))}
            for name in dict.fromkeys(c["colour"] for c in cases) for way in WAYS
            for got in [[c for c in cases if c["colour"] == name and c["way"] == way]]]
    Image.fromarray(np.concatenate(strips, 0)).save(RESULTS / "second_stroke.png")
    m = machine()
    md = (f"# A second stroke on a product: the first stripe\n\n`python -m benchmarks.second_stroke --n "
          f"{a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; {a.n} held-out "
          f"Fashion-MNIST test images as tinted product photos, coded by the app's hybrid inversion; two "
          f"strokes of one colour, or a black one then a white one and the other way round (a "
          f"walkthrough saw a white stroke break the black stripe above it into pieces), "
          f"{2 * RADIUS} px wide, across each item at {HEIGHTS[0]:.0%} and then "
          f"{HEIGHTS[1]:.0%} of its height, the second solved from the first's code with the first "
          f"asked again (as before) or settled (editing.solver.build_constraints' `settled`, as the "
          f"editor does now); exported as the editor exports them. Luminance levels, medians over the "
          f"photos: *the first stripe*, the first stroke's own change within its brush; *first stripe "
          f"redrawn*, the second stroke's change there (away from the second brush, on the item; "
          f"largest in the next column); *second stripe*, its change within its brush toward the "
          f"colour asked; the second stroke's solve in seconds.\n\n"
          + markdown_table(rows, [("colour", "strokes"), ("way", "strokes before"), ("photos", "photos"),
                                  ("first_stripe", "the first stripe"),
                                  ("redrawn", "first stripe redrawn"), ("redrawn_max", "largest"),
                                  ("second", "second stripe"), ("seconds", "s")])
          + "\n\n![the photo; the first stroke; both, asked again; both, settled](second_stroke.png)\n\n"
          "Rows: the first four photos, white strokes then black. Columns: the photo; the first "
          "stroke's export; both strokes, the first asked again; both, the first settled.\n\n" + footer(m))
    write_results("second_stroke", {"machine": m, "n": a.n, "cases": cases, "rows": rows}, md)


if __name__ == "__main__":
    main()
