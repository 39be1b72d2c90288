"""A face stroke that runs past the hair: where its ends land on the photo, compositing 11 against 12.

    python -m benchmarks.stroke_ends

A walkthrough drew a black stroke across the astronaut's hair that ran onto the wall at both
ends; the export showed hard-edged dark blocks on the wall there. Beside the face region a face
edit lands within its strokes' bands (compositing 7); the face model cannot draw a black or white
wall, so it paints a smudge exactly the band's shape. Compositing 12 keeps that reach only on what
looks like what the strokes cover inside the face region (editing.face_paste.stroke_colours).

On scikit-image's astronaut (512 px, tuned as the editor tunes a face), horizontal strokes black
and white, 8 px wide, across the hair at three heights from x=130 to 335 (the hair spans about
152-300): each solved once (the default solver, first candidate), then carried back both ways.
Reported: the mean change (photo levels, the largest channel's) under the stroke on the wall past
the hair (x < 146 and x > 310), on the hair beside the face region and inside the face region
(the editor's face region at half weight or more). Writes benchmarks/results/stroke_ends.{json,md}
and a picture (the stroke drawn on the photo; compositing 11; 12).
"""
from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.real_photos import face_region_in_photo
from editing.compositing import MASK_THRESHOLD
from editing.edit import edit_code, solver_config
from editing.export import render_edit
from editing.solver import Stroke
from inversion.invert import Inverter, photo_to_model
from inversion.photo import Photo
from inversion.tuning import tune_to_photo, tuned_model
from training.modelfile import load_model

HEIGHTS = (70, 85, 100)  # photo rows of the strokes: the crown, the hair above the brows, the fringe
X0, X1, RADIUS = 130, 335, 4  # the stroke's ends and half-width, photo pixels
WALL = (146, 310)  # photo columns: the wall lies left of the first and right of the second
COLOURS = {"black": (0.0, 0.0, 0.0), "white": (1.0, 1.0, 1.0)}


def model_stroke(mapping, y: float, colour) -> Stroke:
    """The photo's horizontal stroke at row y (`colour` R, G, B in 0..1), as a photo-space stroke
    file reaches the model (editing.edit.read_strokes), its part in the model's square only: beyond
    it a face edit lands nowhere."""
    r = mapping.resolution
    points = tuple(p for p in (mapping.to_model_point(x, y) for x in range(X0, X1 + 1, 5))
                   if 0 <= p[0] <= r - 1 and 0 <= p[1] <= r - 1)
    return Stroke("color", points, RADIUS * mapping.scale, mapping.model_colour([255 * c for c in colour]))


def band_in_photo(y: int, shape) -> np.ndarray:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return (np.abs(yy - y) <= RADIUS) & (xx >= X0) & (xx <= X1)


def main() -> None:
    import skimage.data

    t0 = time.perf_counter()
    torch.manual_seed(0)
    pixels = skimage.data.astronaut()
    model = load_model("celeba-64")
    photo = Photo(pixels=pixels, path=RESULTS / "astronaut.png", source_mode="RGB", source_format="PNG")
    x, mapping = photo_to_model(model, photo)
    inverter = Inverter.for_model(model)
    z0 = inverter.invert(x).z[0]
    generator, _ = tune_to_photo(model, inverter.lpips, x, z0)
    tuned = tuned_model(model, generator)
    cfg = solver_config(model)
    region = face_region_in_photo(mapping, (pixels.shape[1], pixels.shape[0])) >= 0.5  # at half weight
    xx = np.mgrid[0:pixels.shape[0], 0:pixels.shape[1]][1]
    wall = (xx < WALL[0]) | (xx > WALL[1])
    rows, strips = [], []
    for y in HEIGHTS:
        for name, colour in COLOURS.items():
            stroke = model_stroke(mapping, y, colour)
            z_edit = edit_code(tuned, z0, {}, [stroke], cfg).z_edit
            band = band_in_photo(y, pixels.shape)
            pictures = []
            for compositing in (11, 12):
                out, _ = render_edit(tuned, pixels, mapping, z0, z_edit, MASK_THRESHOLD, compositing,
                                     strokes=(stroke,))
                change = np.abs(out.astype(int) - pixels).max(2)
                rows.append({"row": y, "colour": name, "compositing": compositing,
                             "wall": float(change[band & wall].mean()),
                             "hair beside the face": float(change[band & ~wall & ~region].mean()),
                             "face region": float(change[band & region].mean())})
                pictures.append(out)
            drawn = Image.fromarray(pixels.copy())
            ImageDraw.Draw(drawn).line([(X0, y), (X1, y)], fill=tuple(int(255 * c) for c in colour),
                                       width=2 * RADIUS)
            top = max(0, y - 60)
            strips.append(np.concatenate([np.asarray(drawn)[top:top + 120, 100:370]]
                                         + [p[top:top + 120, 100:370] for p in pictures], 1))
    write(rows, strips, time.perf_counter() - t0)


def write(rows, strips, seconds: float) -> None:
    Image.fromarray(np.concatenate(strips, 0)).save(RESULTS / "stroke_ends.png")
    m = machine()
    md = ("# A face stroke that runs past the hair: where its ends land\n\n"
          f"`python -m benchmarks.stroke_ends` ({seconds:.0f} s). The astronaut, tuned; horizontal "
          f"strokes {2 * RADIUS} px wide from x={X0} to {X1} at three rows, black and white, each "
          f"solved once and carried back as compositing 11 and 12 carry it. Mean change under the "
          f"stroke, photo levels (the largest channel's): on the wall past the hair (x < {WALL[0]} "
          f"or > {WALL[1]}), on the hair beside the face region, inside the face region.\n\n"
          + markdown_table(rows, [("row", "row"), ("colour", "stroke"), ("compositing", "compositing"),
                                  ("wall", "wall"), ("hair beside the face", "hair beside the face"),
                                  ("face region", "face region")])
          + "\n![the stroke on the photo; compositing 11; compositing 12](stroke_ends.png)\n\n"
          + footer(m))
    write_results("stroke_ends", {"machine": m, "rows": rows}, md)
    print(md)


if __name__ == "__main__":
    main()
