"""A colour stroke across a product: what changes beyond it, compositing 13 against 14 and 16.

    python -m benchmarks.product_stroke_reach [--n 16]

A walkthrough drew a white stroke across brown trousers: the model cannot draw a white band across
trousers, and the export paled a whole leg from hip to hem, where nothing was painted. Since
compositing 14 an edit made by colour strokes on an unaligned photo lands within the strokes' bands
(editing.landing.object_reach), and since 16 within each brush's own width on the photo
(editing.landing.BrushBand: a 12 px brush had landed as a blocky band 48 px tall). Photos: the first
`--n` Fashion-MNIST test images as tinted product photos (benchmarks.product_edits), coded by the
app's hybrid inversion. On each, two strokes in turn, 12 px wide, across the item at the middle of
its height from edge to edge: white and black, in the photo's colours; each solved once as the
editor solves it (the class held, the first candidate), then carried back each way. On the item (the
photo's pixels 30 levels or more off its background): the mean change (photo levels, the largest
channel's) under the stroke and beyond compositing 14's band (the item's pixels it does not reach),
the share of the item beyond it changed by 8 levels or more, and how tall the change is: in each of
the item's columns the stroke crosses, the photo's rows changed by 8 levels or more (median). Writes
benchmarks/results/product_stroke_reach.{json,md} and a picture (the stroke drawn on the photo;
compositing 13; 14; 16).
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, footer, luminance, machine, markdown_table, write_results
from benchmarks.product_edits import TINTS, invert_photos, tinted_photos
from editing.brush_band import forget_bands
from editing.compositing import MASK_THRESHOLD
from editing.edit import BAND_HOLD, OBJECT_HOLD, edit_code, solver_config
from editing.export import COMPOSITING, render_edit
from editing.landing import object_reach, on_photo
from editing.solver import Stroke
from editor.quality import QualityMeter
from editor.render import Renderer
from inversion.perceptual import LPIPS
from training.classifier import model_classifier
from training.modelfile import load_model

RADIUS = 6  # photo pixels: the stroke's half-width
COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0)}
COMPOSITINGS = (13, 14, 16)
ROWS = ((13, OBJECT_HOLD), (14, OBJECT_HOLD), (16, OBJECT_HOLD), (COMPOSITING, BAND_HOLD))  # (compositing, hold)


def item_pixels(photo: np.ndarray) -> np.ndarray:
    """(H, W) bool: the photo's pixels 30 levels or more off its background (its border's median)."""
    background = np.median(np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]]), 0)
    return np.abs(photo.astype(np.float32) - background).max(2) >= 30


def across_the_middle(photo: np.ndarray, mapping) -> tuple[int, int, int, np.ndarray, Callable]:
    """A stroke across the item at the middle of its height, from edge to edge: (its row, first
    and last column, the photo's pixels it is drawn over (H, W) bool, colour (R, G, B) -> the
    Stroke, RADIUS photo pixels wide each side, in model pixels)."""
    item = item_pixels(photo)
    rows = np.flatnonzero(item.any(1))
    y = int((rows[0] + rows[-1]) // 2)
    cols = np.flatnonzero(item[y])
    x0, x1 = int(cols[0]), int(cols[-1])
    drawn = np.zeros_like(item)
    drawn[y - RADIUS:y + RADIUS + 1, x0:x1 + 1] = True
    points = tuple(mapping.to_model_point(px, y) for px in range(x0, x1 + 1, 4))
    return y, x0, x1, drawn, lambda colour: Stroke("color", points, RADIUS * mapping.scale,
                                                   mapping.model_colour(colour))


def band_of(stroke: Stroke, mapping, shape: tuple[int, int], share: float = 0.0) -> np.ndarray:
    """(H, W) bool: where compositing 16's band of the stroke (editing.landing.BrushBand) weighs
    more than `share` on the photo."""
    top, left, weights = on_photo(object_reach((stroke,), mapping, 1, 16), mapping)
    out = np.zeros(shape, bool)
    out[top:top + weights.shape[0], left:left + weights.shape[1]] = weights > share
    return out


def beyond_band(item: np.ndarray, stroke: Stroke, mapping) -> np.ndarray:
    """(H, W) bool: the `item`'s pixels that compositing 14's band of the stroke does not reach
    (editing.landing.object_reach; from 16 on the band is the brush's width, within it)."""
    top, left, weights = on_photo(object_reach((stroke,), mapping, 1, 14), mapping)
    beyond = item.copy()
    beyond[top:top + weights.shape[0], left:left + weights.shape[1]] &= weights == 0
    return beyond


def band_times(model, photo: np.ndarray, mapping, factors=(1, 3, 11), repeats: int = 15) -> list[dict]:
    """Median ms of where a stroke across the item lands on the photo enlarged by each factor:
    compositing 16's band (brush_band, its cache emptied) and 14's (the model's band enlarged)."""
    stroke = across_the_middle(photo, mapping)[4]((0, 0, 0))
    out = []
    for factor in factors:
        scaled = mapping.scaled(factor)
        def brush(scaled=scaled):
            forget_bands()
            return on_photo(object_reach((stroke,), scaled, 1), scaled)

        def model_band(scaled=scaled):
            return on_photo(object_reach((stroke,), scaled, 1, 14), scaled)

        ways = {"brush": brush, "model": model_band}
        times = {k: [] for k in ways}
        for _ in range(repeats):
            for k, way in ways.items():
                t = time.perf_counter()
                way()
                times[k].append(1000 * (time.perf_counter() - t))
        width, height = scaled.photo_size
        out.append({"size": f"{width}x{height}", **{k: float(np.median(v)) for k, v in times.items()}})
    return out


def coded_products(n: int, tints=TINTS):
    """(model, photos, mappings, xs, z0s, solver config): the shipped product model, the first `n`
    Fashion-MNIST test images as product photos tinted with `tints` in turn, coded by the app's hybrid inversion; the
    solver's settings for colour strokes on them (held as their change lands: within their bands)."""
    torch.set_num_threads(2)
    model = load_model("fashion-mnist-32")
    photos, mappings, xs = tinted_photos(model, n, tints=tints)
    return model, photos, mappings, xs, invert_photos(model, xs), solver_config(model, banded=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=16)
    a = p.parse_args()
    t0 = time.perf_counter()
    model, photos, mappings, xs, z0s, cfg = coded_products(a.n)
    holds = {OBJECT_HOLD: replace(cfg, hold=OBJECT_HOLD), BAND_HOLD: replace(cfg, hold=BAND_HOLD)}
    classifier = model_classifier(model)
    cases, strips, judged = [], [], []
    lpips = LPIPS()
    for i, (photo, mapping, x, z0) in enumerate(zip(photos, mappings, xs, z0s)):
        meter = QualityMeter(model, lpips, x, start=z0)  # the editor's quality line
        renderer = Renderer(model, photo, mapping, z0)
        item = item_pixels(photo)
        y, x0, x1, band_drawn, stroke_of = across_the_middle(photo, mapping)
        under = band_drawn & item
        with torch.no_grad():
            shown_class = int(classifier(x).argmax())
        for name, colour in COLOURS.items():
            stroke = stroke_of(colour)
            beyond = beyond_band(item, stroke, mapping)
            crossed = [c for c in range(x0, x1 + 1) if item[y, c]]
            asked = luminance(photo)[under] - luminance(np.array([[colour]], np.uint8))[0, 0]
            outs = []
            for hold, solver in holds.items():
                z_edit = edit_code(model, z0, {}, [stroke], solver, photo=x).z_edit
                landed = renderer.as_model_sees(renderer.render(z_edit, strokes=(stroke,))[0])
                with torch.no_grad():
                    kept = int(classifier(landed).argmax()) == shown_class
                ways = (("the generator's picture", meter.measure_code(z_edit), False),
                        ("what lands", meter.measure(landed)[0], True))
                for way, q, landed_on in ways[hold != OBJECT_HOLD:]:
                    judged.append({"colour": name, "hold": hold, "judged on": way, "lpips": q.lpips,
                                   "warned_lpips": meter.warning(q, landed=landed_on) is not None,
                                   "warned": meter.warning(q, landed=landed_on, painted=True) is not None,
                                   "kept": kept})
                for compositing in COMPOSITINGS if hold == OBJECT_HOLD else (COMPOSITING,):
                    out, _ = render_edit(model, photo, mapping, z0, z_edit, MASK_THRESHOLD, compositing,
                                         strokes=(stroke,))
                    change = np.abs(out.astype(int) - photo).max(2)
                    gone = luminance(photo)[under] - luminance(out)[under]
                    moved = (luminance(out) - luminance(photo))[band_of(stroke, mapping, photo.shape[:2])]
                    wrong = moved >= 8 if name == "black" else moved <= -8  # away from the colour
                    cases.append({"photo": i, "colour": name, "compositing": compositing, "hold": hold,
                                  "under": float(change[under].mean()),
                                  "way": float(np.median(gone / np.where(np.abs(asked) < 1, 1, asked))),
                                  "beyond": float(change[beyond].mean()),
                                  "beyond8": float((change[beyond] >= 8).mean()),
                                  "beyond_share": float(beyond.sum() / item.sum()),
                                  "wrong": float(wrong.mean()),
                                  "rows": float(np.median((change[:, crossed] >= 8).sum(0)))})
                    outs.append(out)
            if len(strips) < 8:
                drawn = Image.fromarray(photo.copy())
                ImageDraw.Draw(drawn).line([(x0, y), (x1, y)], fill=(255, 0, 0) if name == "white"
                                           else (0, 160, 255), width=2 * RADIUS)
                strips.append(np.concatenate([np.asarray(drawn), *outs], 1))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for name in COLOURS:
        for compositing, hold in ROWS:
            got = [c for c in cases if c["colour"] == name and c["compositing"] == compositing
                   and c["hold"] == hold]
            rows.append({"colour": name, "compositing": compositing, "hold": hold, "strokes": len(got),
                         **{k: float(np.median([c[k] for c in got]))
                            for k in ("under", "way", "beyond", "beyond8", "beyond_share", "rows")},
                         "wrong_max": float(max(c["wrong"] for c in got))})
    quality = [{"colour": name, "hold": hold, "judged on": way, "strokes": len(got),
                "lpips": float(np.median([g["lpips"] for g in got])),
                "warned_lpips": float(np.mean([g["warned_lpips"] for g in got])),
                "warned": float(np.mean([g["warned"] for g in got])),
                "kept": float(np.mean([g["kept"] for g in got]))}
               for name in COLOURS for hold, way in ((OBJECT_HOLD, "the generator's picture"),
                                                     (OBJECT_HOLD, "what lands"), (BAND_HOLD, "what lands"))
               for got in [[j for j in judged if j["colour"] == name and j["judged on"] == way
                            and j["hold"] == hold]]]
    Image.fromarray(np.concatenate(strips, 0)).save(RESULTS / "product_stroke_reach.png")
    timings = band_times(model, photos[0], mappings[0])
    m = machine()
    md = (f"# A colour stroke across a product: what changes beyond it\n\n`python -m "
          f"benchmarks.product_stroke_reach --n {a.n}` ({time.perf_counter() - t0:.0f} s). Model "
          f"{model.model_id}; {a.n} held-out Fashion-MNIST test images as tinted product photos, coded "
          f"by the app's hybrid inversion; a white and a black stroke, {2 * RADIUS} px wide, across each "
          f"item at the middle of its height, each solved as the editor solves it (first candidate), with "
          f"the solver's hold of the model's picture beyond the stroke at {OBJECT_HOLD:g} (as before) and "
          f"{BAND_HOLD:g} (editing.edit.BAND_HOLD, since the stroke's change lands only within the "
          f"brush), and carried back with compositing 13, 14 (the same as 15 without sliders) and 16. "
          f"Medians over the photos, photo levels (the largest channel's change): *under the stroke*, "
          f"on the item; *of the way*: how far the item's luminance under the stroke went toward the "
          f"stroke's colour (1: all the way); *beyond its band*, on the item's pixels compositing 14's "
          f"band (editing.landing.object_reach) does not reach, which are *share of the item* of it; "
          f"*changed by 8 or more*: the share of those; *rows changed*: in each of the item's columns "
          f"the stroke crosses, the photo's rows changed by 8 levels or more (the brush is "
          f"{2 * RADIUS} px wide); *wrong way, most*: the largest share over the photos of the pixels "
          f"where compositing 16's band lands that moved 8 levels or more away from the stroke's colour "
          f"(a white notch at a black stripe's end; since BrushBand.toward, none should).\n\n"
          + markdown_table(rows, [("colour", "stroke"), ("compositing", "compositing"), ("hold", "hold"),
                                  ("strokes", "strokes"), ("under", "under the stroke"),
                                  ("way", "of the way"),
                                  ("beyond", "beyond its band"), ("beyond8", "changed by 8 or more"),
                                  ("beyond_share", "share of the item"), ("rows", "rows changed"),
                                  ("wrong_max", "wrong way, most")])
          + "\n\nThe editor's quality line after the stroke (editor.quality.QualityMeter, against the "
          "photo as the model sees it): judged on the generator's picture, as it was, or on what lands "
          "(the frame on screen as the model sees it, editor.render.as_model_sees_it, since a walkthrough "
          "saw 'Gone too far' said of a stripe), each against the unedited picture of its kind: the "
          "reconstruction, or the photo itself (QualityMeter.too_far's `landed`); the median LPIPS "
          "from the photo, the share of strokes warned 'Gone too far' by every rule (as before) and "
          "as the editor warns now (what lands of a stroke kept within its band, what the user painted, "
          "not judged by how far it moved the picture from the photo: QualityMeter.too_far's "
          "`painted`), and the share whose class the product classifier still reads on what lands as on "
          "the photo.\n\n"
          + markdown_table(quality, [("colour", "stroke"), ("hold", "hold"), ("judged on", "judged on"),
                                     ("strokes", "strokes"), ("lpips", "LPIPS from the photo"),
                                     ("warned_lpips", "warned, every rule"), ("warned", "warned now"),
                                     ("kept", "class kept")])
          + "\n\nWhere the band lands on the photo (editing.landing.on_photo), the first photo's stroke "
          "with the photo enlarged: drawn at the photo's resolution (16, brush_band, uncached) against "
          "the model's band enlarged (14 and 15); median ms of 15, interleaved.\n\n"
          + markdown_table(timings, [("size", "photo"), ("brush", "16: ms"), ("model", "14-15: ms")])
          + "\n![the stroke drawn (red: white, blue: black); compositing 13; 14; 16; "
          f"{COMPOSITING} with hold {BAND_HOLD:g}](product_stroke_reach.png)"
          "\n\nRows: the first four photos, a white then a black stroke each. Columns: the stroke drawn "
          f"on the photo (red for white, blue for black); exported with compositing 13; 14; 16 (hold "
          f"{OBJECT_HOLD:g}); {COMPOSITING} with hold {BAND_HOLD:g}, as the editor paints now.\n\n"
          + footer(m))
    write_results("product_stroke_reach", {"machine": m, "n": a.n, "cases": cases, "rows": rows,
                                            "quality": quality, "timings": timings}, md)


if __name__ == "__main__":
    main()
