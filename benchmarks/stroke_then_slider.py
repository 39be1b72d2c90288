"""A colour stroke across a product, then a slider: where each lands, compositing 14 against 15.

    python -m benchmarks.stroke_then_slider [--n 12]

A walkthrough drew black strokes across a pullover, then moved "brightness +0.5": the pullover
darkened. Since compositing 14 a colour stroke's edit lands within its band; but an edit that also
moved a slider landed whole, the stroke's change over all the item with the slider's. Since 15 the
strokes' change lands within their bands on top of the edit of the sliders alone
(editing.landing.object_reach, paste_back's `under`). Photos: the first `--n` Fashion-MNIST test
images as tinted product photos (benchmarks.product_edits), coded by the app's hybrid inversion,
the class hold registered with the photo as the editor does. On each, a white or a black stroke
12 px wide across the item at the middle of its height, solved as the editor solves it (first
candidate); then brightness moved to +0.5 or -0.5 as the editor shows it (+ lightens the photo's
item) and moves a slider after a stroke (the state's base is the stroke's code; the sliders'
offset taken from z0). On the item (the
photo's pixels 30 levels or more off its background), photo levels of luminance: *beyond the band*
(the item's pixels compositing 14's band of the stroke does not reach), the mean change, and the mean
difference from the slider alone's export (the same slider without the stroke); *under the stroke*, the mean
difference from the stroke alone's export. Writes benchmarks/results/stroke_then_slider.{json,md}
and a picture.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, write_results
from benchmarks.product_stroke_reach import (COLOURS, RADIUS, across_the_middle, beyond_band, coded_products,
                                             item_pixels)
from editing.compositing import MASK_THRESHOLD
from editing.edit import edit_code
from editing.export import render_edit
from editing.vectors import apply_sliders, model_vectors, photo_sign
from editor.render import Renderer

TIMED = 4  # photos whose slider frames after a stroke are timed
VALUES = (0.5, -0.5)  # brightness after the stroke, as the editor shows it (the photo's: a
# light-background photo's item lighter for +; the model's value has the opposite sign then)


def frame_times(model, photo, mapping, z0, code, z_slid, stroke, repeats: int = 30) -> dict:
    """Median milliseconds of the editor's draft frame (editor.render.Renderer, as a slider's frames
    while it moves) of a stroke then a slider: compositing 15's layers (the sliders' edit and the
    stroke's within its band: two carry-backs, two decodes), the same code carried back whole (as
    14 did: one of each), and the slider alone."""
    renderer = Renderer(model, photo, mapping, z0)
    ways = {"layered": lambda: renderer.render(code, strokes=(stroke,), z_slid=z_slid, draft=True),
            "whole": lambda: renderer.render(code, draft=True),
            "slider alone": lambda: renderer.render(z_slid, draft=True)}
    times = {k: [] for k in ways}
    for _ in range(repeats):
        for k, way in ways.items():  # interleaved: the same load on each
            t = time.perf_counter()
            way()
            times[k].append(1000 * (time.perf_counter() - t))
    medians = {k: float(np.median(v)) for k, v in times.items()}
    return {"size": f"{photo.shape[1]}x{photo.shape[0]}", **medians}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=12)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, cfg = coded_products(a.n)
    vectors = model_vectors(model)
    cases, strips, timings = [], [], []
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        vectors.hold.on_photo(z0, x)  # as the editor does when the photo opens
        item = item_pixels(photo)
        y, x0, x1, drawn, stroke_of = across_the_middle(photo, mapping)
        under = drawn & item
        lum = luminance(photo)
        for name, colour in COLOURS.items():
            stroke = stroke_of(colour)
            z_stroke = edit_code(model, z0, {}, [stroke], cfg, photo=x).z_edit
            beyond = beyond_band(item, stroke, mapping)
            stroke_alone = render_edit(model, photo, mapping, z0, z_stroke, strokes=(stroke,))[0]
            for value in VALUES:
                model_value = photo_sign("brightness", mapping) * value
                code = apply_sliders(z_stroke, vectors, {"brightness": model_value}, ref=z0)  # Snapshot.code
                z_slid = z0 + (code - z_stroke)
                slider_alone = render_edit(model, photo, mapping, z0, z_slid)[0]
                outs = {c: render_edit(model, photo, mapping, z0, code, MASK_THRESHOLD, c, strokes=(stroke,),
                                       z_slid=z_slid)[0] for c in (14, 15)}
                for c, out in outs.items():
                    ol = luminance(out)
                    cases.append({
                        "photo": i, "stroke": name, "brightness": value, "compositing": c,
                        "beyond_change": float((ol - lum)[beyond].mean()),
                        "slider_alone_change": float((luminance(slider_alone) - lum)[beyond].mean()),
                        "beyond_off": float(np.abs(ol - luminance(slider_alone))[beyond].mean()),
                        "under_off": float(np.abs(ol - luminance(stroke_alone))[under].mean()),
                        "under_stroke": float((luminance(stroke_alone) - lum)[under].mean())})
                if i < TIMED and value == VALUES[0]:
                    timed = frame_times(model, photo, mapping, z0, code, z_slid, stroke)
                    timings.append({"stroke": name, **timed})
                if len(strips) < 8 and value == VALUES[0]:
                    shown = Image.fromarray(photo.copy())
                    ImageDraw.Draw(shown).line([(x0, y), (x1, y)], fill=(255, 0, 0) if name == "white"
                                               else (0, 160, 255), width=2 * RADIUS)
                    strips.append(np.concatenate([np.asarray(shown), stroke_alone, slider_alone,
                                                  outs[14], outs[15]], 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    keys = ("beyond_change", "slider_alone_change", "beyond_off", "under_off", "under_stroke")
    rows = []
    for name in COLOURS:
        for value in VALUES:
            for c in (14, 15):
                got = [k for k in cases if k["stroke"] == name and k["brightness"] == value
                       and k["compositing"] == c]
                rows.append({"stroke": name, "brightness": f"{value:+g}", "compositing": c,
                             "edits": len(got), **{k: float(np.median([g[k] for g in got])) for k in keys}})
    Image.fromarray(np.concatenate(strips, 0)).save(RESULTS / "stroke_then_slider.png")
    m = machine()
    md = (f"# A colour stroke across a product, then a slider\n\n`python -m benchmarks.stroke_then_slider "
          f"--n {a.n}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; {a.n} held-out "
          f"Fashion-MNIST test images as tinted product photos, coded by the app's hybrid inversion, the "
          f"class hold registered with the photo; a white or a black stroke, {2 * RADIUS} px wide, across "
          f"each item at the middle of its height, solved as the editor solves it (first candidate), "
          f"then brightness moved as the editor moves a slider after a stroke (its value as the editor "
          f"shows it: + lightens the photo's item); exported with "
          f"compositing 14 and 15. Medians over the photos of means over the item's pixels, luminance "
          f"levels: *beyond the band*, the item's pixels the strokes' band does not reach: the export's "
          f"change there, the slider alone's (its export without the stroke), and the export's "
          f"difference from the slider alone's; *under the stroke*: the stroke alone's change, and the "
          f"export's difference from the stroke alone's.\n\n"
          + markdown_table(rows, [("stroke", "stroke"), ("brightness", "then brightness"),
                                  ("compositing", "compositing"), ("edits", "edits"),
                                  ("beyond_change", "beyond the band: change"),
                                  ("slider_alone_change", "the slider alone's change"),
                                  ("beyond_off", "off the slider alone's"),
                                  ("under_stroke", "under the stroke: the stroke alone's change"),
                                  ("under_off", "off the stroke alone's")])
          + "\n\nThe editor's draft frame (a slider's, while it moves) after the stroke, median ms of "
          "30, interleaved, on the first photos at their own size: layered (15 on, as the editor "
          "draws now: two decodes and "
          "carry-backs), "
          "the same code carried back whole (as 14), the slider alone (no stroke).\n\n"
          + markdown_table(timings, [("size", "photo"), ("stroke", "stroke"), ("layered", "layered ms"),
                                     ("whole", "whole ms"),
                                     ("slider alone", "slider alone ms")])
          + "\n![the stroke drawn; the stroke alone; the slider alone; both, compositing 14; both, 15]"
          "(stroke_then_slider.png)\n\nRows: the first four photos, a white then a black stroke each, "
          f"then brightness {VALUES[0]:+g}. Columns: the stroke drawn on the photo (red for white, blue "
          "for black); the stroke alone's export; the slider alone's; both, exported with compositing "
          "14; with 15.\n\n" + footer(m))
    write_results("stroke_then_slider", {"machine": m, "n": a.n, "cases": cases, "rows": rows,
                                          "timings": timings}, md)


if __name__ == "__main__":
    main()
