"""A second colour stroke on a product: what it does to the first stripe, and how far it draws its own.

    python -m benchmarks.second_stroke [--n 12]

Two colour strokes across a product, solved one after the other as the editor solves them. Solving
the second with the first asked again (session 28) changed the first stripe on the photo where the
second did not paint; settling it (kept as it shows, session 29: editing.solver.build_constraints'
`settled`) changed it less, but a white stroke after a black one broke the black stripe all the
same, since every stroke landed the latest code. Since compositing 17 the first stroke lands the
code that followed it (editing.layers.layered_bands) and the editor leaves it out of the second's
solve (weight 0: editor.strokes.stroke_constraints). Photos: the first `--n` Fashion-MNIST test
images as tinted product photos (benchmarks.product_edits), coded by the app's hybrid inversion. On
each, in the photo's colours, two strokes (white or black, each pair of colours), 12 px wide,
across the item from edge to edge at 35% and then 65% of its height; the first solved, then the
second from the first's code (first candidates), exported as the editor exports them
(editing.export.render_edit). Photo levels of luminance, medians over the photos of means: *first
stripe redrawn*, the export's change from the first stroke's export within the first brush's width
(on the item, away from the second's); *second stripe*, the export's change from the first stroke's
export within the second brush's width (on the item), toward the colour asked. Seconds: the second
stroke's solve. Then the editor's frames of an edit whose strokes land 1 to 16 codes, timed. Writes
benchmarks/results/second_stroke.{json,md} and a picture.
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
from editing.solver import SETTLED, Stroke, build_constraints
from editor.render import Renderer

PAIRS = (("white", "white"), ("black", "black"), ("black", "white"), ("white", "black"))  # first, second
HEIGHTS = (0.35, 0.65)  # the strokes' rows, shares of the item's height from its top
WAYS = {"asked again, one code (28)": (0, SETTLED, False), "settled, one code (29)": (1, SETTLED, False),
        "settled, layered": (1, SETTLED, True), "left out, layered (now)": (1, 0.0, True)}  # (strokes before
# the second when it is solved, their weight: editing.solver.build_constraints; whether the first lands
# the code that followed it: editing.layers.layered_bands), as the editor solves them (editor.strokes)

CODES = (1, 2, 4, 8, 16)  # codes an edit's strokes land, timed (editing.layers.MAX_LAYERS at most)


def frame_times(model, photo: np.ndarray, mapping, z0: torch.Tensor, repeats: int = 12) -> list[dict]:
    """Median milliseconds of the editor's frames (editor.render.Renderer) of an edit whose strokes
    land each number of CODES, one stroke each, across the item: a slider's draft frame while it
    moves (every code moves with the slider: a carry-back each), its final frame, and a stroke's
    candidates' frames (the codes beneath shared, kept by paste_back)."""
    item = item_pixels(photo)
    rows = np.flatnonzero(item.any(1))
    strokes = []
    for share in np.linspace(0.1, 0.9, max(CODES)):
        y = int(rows[0] + (rows[-1] - rows[0]) * share)
        cols = np.flatnonzero(item[y])
        points = tuple(mapping.to_model_point(px, y) for px in range(int(cols[0]), int(cols[-1]) + 1, 4))
        black = mapping.model_colour(COLOURS["black"])
        strokes.append(Stroke("color", points, RADIUS * mapping.scale, black))
    noise = torch.Generator().manual_seed(0)
    codes = [z0 + 0.3 * torch.randn(z0.shape, generator=noise) for _ in strokes]  # each stroke's code
    renderer = Renderer(model, photo, mapping, z0)
    out = []
    for k in CODES:
        layers, top = tuple(codes[:k - 1]), codes[k - 1]
        row = {"codes": k}
        for way, (slid, draft) in {"slider (draft)": (True, True), "slider (final)": (True, False),
                                   "candidates": (False, False)}.items():
            times = []
            for i in range(repeats):
                step = 0.01 * (i + 1) if slid else 0.0  # a slider moves every code; candidates only the top
                t = time.perf_counter()
                renderer.render(top + 0.01 * (i + 1), strokes=tuple(strokes[:k]),
                                layers=tuple(z + step for z in layers), draft=draft)
                times.append(1000 * (time.perf_counter() - t))
            row[way] = float(np.median(times))
        out.append(row)
    return out


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

        def solved(z, strokes, settled, weight=SETTLED):
            with torch.no_grad():
                current = model.decode(z[None])[0]
            constraints = build_constraints(strokes, current, settled, weight)
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
            solves = {}
            for way, (settled, weight, layered) in WAYS.items():
                if (settled, weight) not in solves:
                    t = time.perf_counter()
                    z2 = solved(z1, [first, second], settled, weight)
                    solves[settled, weight] = z2, time.perf_counter() - t
                z2, seconds = solves[settled, weight]
                out = render_edit(model, photo, mapping, z0, z2, strokes=(first, second),
                                  layers=(z1,) if layered else ())[0]
                change = luminance(out) - luminance(once)
                cases.append({"photo": i, "colour": name, "way": way, "seconds": seconds,
                              "redrawn": float(np.abs(change[only_first]).mean()),
                              "second": float(sign[second_colour] * change[under_second].mean()),
                              "first_stripe": float(sign[first_colour]
                                                    * (luminance(once) - lum)[only_first].mean())})
                outs.append(out)
            if i < 2:
                strips.append(np.concatenate([photo, once, *outs], 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = [{"colour": name, "way": way, "photos": len(got),
             **{k: float(np.median([g[k] for g in got]))
                for k in ("first_stripe", "redrawn", "second", "seconds")},
             "redrawn_max": float(np.max([g["redrawn"] for g in got]))}
            for name in dict.fromkeys(c["colour"] for c in cases) for way in WAYS
            for got in [[c for c in cases if c["colour"] == name and c["way"] == way]]]
    Image.fromarray(np.concatenate(strips, 0)).save(RESULTS / "second_stroke.png")
    times = frame_times(model, photos[0], mappings[0], z0s[0])
    m = machine()
    md = (f"# A second stroke on a product: the first stripe\n\n`python -m benchmarks.second_stroke --n "
          f"{a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; {a.n} held-out "
          f"Fashion-MNIST test images as tinted product photos, coded by the app's hybrid inversion; two "
          f"strokes of one colour, or a black one then a white one and the other way round (a "
          f"walkthrough saw a white stroke break the black stripe above it into pieces), "
          f"{2 * RADIUS} px wide, across each item at {HEIGHTS[0]:.0%} and then "
          f"{HEIGHTS[1]:.0%} of its height, the second solved from the first's code with the first "
          f"asked again (session 28), settled (editing.solver.build_constraints' `settled`, session "
          f"29) or left out (weight 0), the first landing the second's code or its own "
          f"(layered: editing.layers.layered_bands, compositing 17; the editor now leaves it out); "
          f"exported as the editor exports them. Luminance levels, medians over the "
          f"photos: *the first stripe*, the first stroke's own change within its brush; *first stripe "
          f"redrawn*, the second stroke's change there (away from the second brush, on the item; "
          f"largest in the next column); *second stripe*, its change within its brush toward the "
          f"colour asked; the second stroke's solve in seconds.\n\n"
          + markdown_table(rows, [("colour", "strokes"), ("way", "strokes before"), ("photos", "photos"),
                                  ("first_stripe", "the first stripe"),
                                  ("redrawn", "first stripe redrawn"), ("redrawn_max", "largest"),
                                  ("second", "second stripe"), ("seconds", "s")])
          + f"\n\nThe editor's frames of an edit whose strokes land several codes (one black stroke each, "
          f"across the first photo, {photos[0].shape[1]}x{photos[0].shape[0]}, each its own code), "
          f"median ms of 12: a slider's draft frame while it moves and its final frame (every code "
          f"moves with it: a carry-back each), and a stroke's candidates' frames (the codes beneath "
          f"shared). Nothing else ran.\n\n"
          + markdown_table(times, [("codes", "codes"), ("slider (draft)", "slider, draft ms"),
                                   ("slider (final)", "slider, final ms"), ("candidates", "a candidate ms")])
          + "\n\n![the photo; the first stroke; both strokes, each way](second_stroke.png)\n\n"
          "Rows: the first two photos, each pair of colours in the table's order. Columns: the photo; "
          "the first stroke's export; both strokes, each way in the table's order.\n\n" + footer(m))
    write_results("second_stroke", {"machine": m, "n": a.n, "cases": cases, "rows": rows, "frames": times},
                  md)


if __name__ == "__main__":
    main()
