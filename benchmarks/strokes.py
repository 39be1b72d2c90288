"""Brush strokes that stay where they are painted: the solver's hold term (SolverConfig.hold,
editing.solver.hold_outside) against none, on real faces and product photos.

    python -m benchmarks.strokes [--faces 10] [--products 10] [--strokes 3] [--holds 0 1 4 16]
        [--name strokes]

Faces: scikit-image's `astronaut` and the first `--faces` held-out CelebA faces (the test split),
each inverted (the default hybrid) and tuned (the default, as the editor does for face models);
products: the first `--products` Fashion-MNIST test images, inverted, not tuned (the default). On
each, `--strokes` seeded colour strokes as a user paints them: a line 10-20% of the picture's side
long, 3-5% of it wide, on the face (the middle of the aligned square) or on the item (pixels
brighter than the background), a colour 0.8 levels lighter than what is under it where that is
dark, darker where it is light (every second stroke *strong*: white on what is dark, black on what
is light, which the generator can rarely draw in a thin line). Each stroke is solved as the editor solves it
(editing.edit.solve_strokes, the model's default settings) with each hold weight, and measured in
the model's domain:

- *stroke reached*: how much of the way to the stroke's colour the painted pixels went
  (1 - U_after / U_before, U the stroke's own error; 1: the colour is there);
- *change beyond reach*: the mean change in photo levels (0-255) of the pixels further than twice
  the hold's margin from the stroke, where a user expects nothing to change;
- *LPIPS to before*: the whole picture after the stroke against before;
- faces: *same person*: dlib's identity distance from the photo's face under 0.6;
- seconds per solve.

Pictures: results/NAME.png, the astronaut at full size with three strokes (forehead, hair, cheek),
each carried back onto the photo (editing.export.render_edit) with no hold and with the default,
beside the photo with the stroke drawn on it; results/NAME-products.png, the first eight products'
first strokes in the model's domain, the same columns.
Writes benchmarks/results/NAME.{json,md,png} and NAME-products.png.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import replace

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, machine, markdown_table, write_results
from editing.edit import solve_strokes, solver_config
from editing.export import render_edit
from editing.solver import Stroke, build_constraints, rasterize, stroke_loss
from inversion.faces import SAME_PERSON, descriptors, identity_distance
from inversion.framing import DomainSpec
from inversion.invert import Inverter, photo_to_model
from inversion.photo import Photo
from inversion.tuning import TuneConfig, tune_to_photo, tuned_model
from training.data import model_data
from training.fileio import write_bytes_atomic
from training.modelfile import load_model
from training.pixels import to_uint8

# The astronaut's strokes for the picture: photo pixels, radius, colour (the walkthrough's white
# stroke on the forehead and the hair, and a red one on the cheek).
ASTRONAUT_STROKES = (("forehead, white", ((200, 95), (230, 85), (260, 90)), 8, (255, 255, 255)),
                     ("hair, white", ((215, 45), (240, 40), (265, 45)), 8, (255, 255, 255)),
                     ("cheek, red", ((190, 150), (195, 170)), 8, (192, 64, 64)))


def astronaut() -> Photo:
    import skimage.data

    return Photo(pixels=skimage.data.astronaut(), path=None, source_mode="RGB", source_format="PNG")


def random_strokes(image: torch.Tensor, n: int, seed: int, face: bool) -> list[Stroke]:
    """n colour strokes on image (C, R, R) as described in the module's docstring."""
    g = np.random.default_rng(seed)
    c, r, _ = image.shape
    if face:
        ys, xs = np.mgrid[int(0.3 * r):int(0.7 * r), int(0.3 * r):int(0.7 * r)]
        candidates = np.stack([xs.ravel(), ys.ravel()], 1)
    else:
        ys, xs = np.nonzero(image.mean(0).numpy() > -0.6)  # the item, not the black background
        candidates = np.stack([xs, ys], 1)
    out = []
    while len(out) < n:
        x0, y0 = candidates[g.integers(len(candidates))] + 0.5
        angle, length = g.uniform(0, 2 * np.pi), g.uniform(0.1, 0.2) * r
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        if not (0 <= x1 <= r and 0 <= y1 <= r):
            continue
        radius = g.uniform(0.03, 0.05) * r
        probe = Stroke("color", ((float(x0), float(y0)), (float(x1), float(y1))), float(radius))
        core = rasterize(probe, r) >= 1
        under = (image * core).flatten(1).sum(1) / core.sum().clamp_min(1)
        level = float(under.mean())
        if len(out) % 2:  # every second stroke strong: black on light, white on dark
            value = (-1.0 if level > 0 else 1.0,) * c
        else:
            value = tuple(float(np.clip(v + (0.8 if level < 0 else -0.8), -1, 1)) for v in under.tolist())
        out.append(replace(probe, value=value))
    return out


def solve_one(model, z0: torch.Tensor, x: torch.Tensor, current: torch.Tensor, stroke: Stroke,
              hold: float):
    """(the best candidate's code, its image (C, R, R), seconds) for one stroke solved as the
    editor does, with the given hold weight."""
    cfg = replace(solver_config(model), hold=hold)
    t = time.perf_counter()
    last = None
    for last in solve_strokes(model, z0, z0, build_constraints([stroke], current), cfg, photo=x):
        pass
    return last.z[0], last.images[0], time.perf_counter() - t


def measure(model, lpips, items, n_strokes: int, holds: list[float], face: bool, seed: int) -> list[dict]:
    """One row per (item, stroke, hold)."""
    rows = []
    spec = DomainSpec.for_model(model.config)
    for i, (name, m, z0, x) in enumerate(items):
        with torch.no_grad():
            current = m.decode(z0.reshape(1, -1))[0]
        reference = descriptors(to_uint8(x), spec.face_box)[0] if face else None
        for k, stroke in enumerate(random_strokes(current, n_strokes, seed + 1000 * i, face)):
            c = build_constraints([stroke], current)
            u0 = float(stroke_loss(current[None], c)[0])
            r = current.shape[-1]
            margin = solver_config(model).hold_margin * r
            painted = (c.color_mask > 0).numpy().astype(np.uint8)
            far = cv2.distanceTransform(1 - painted, cv2.DIST_L2, 5) > 2 * margin
            for hold in holds:
                _, image, seconds = solve_one(m, z0, x, current, stroke, hold)
                u1 = float(stroke_loss(image[None], c)[0])
                change = (image - current).abs().mean(0).numpy() * 127.5
                row = {"item": name, "stroke": k, "kind": "strong" if k % 2 else "mild", "hold": hold,
                       "reached": 1 - u1 / max(u0, 1e-9),
                       "beyond": float(change[far].mean()) if far.any() else 0.0,
                       "lpips": float(lpips(image[None], current[None]).flatten()[0]), "seconds": seconds}
                if face:
                    found = descriptors(to_uint8(image[None]), spec.face_box)
                    row["identity"] = float(identity_distance(found, reference)[0])
                rows.append(row)
            done = rows[-len(holds):]
            print(name, k, [f"{r['hold']:g}: {r['reached']:.2f}/{r['beyond']:.1f}" for r in done], flush=True)
    return rows


def summary(rows: list[dict], holds: list[float], face: bool, model_name: str) -> list[dict]:
    out = []
    for kind, hold in itertools.product(("mild", "strong"), holds):
        sel = [r for r in rows if r["hold"] == hold and r["kind"] == kind]
        if not sel:
            continue
        row = {"model": model_name, "kind": kind, "hold": hold, "n": len(sel),
               "reached": statistics.median(r["reached"] for r in sel),
               "beyond": statistics.median(r["beyond"] for r in sel),
               "beyond_p90": float(np.percentile([r["beyond"] for r in sel], 90)),
               "lpips": statistics.median(r["lpips"] for r in sel),
               "seconds": statistics.median(r["seconds"] for r in sel)}
        if face:
            row["same"] = sum(r["identity"] < SAME_PERSON for r in sel) / len(sel)
        out.append(row)
    return out


def face_items(model, inverter, n: int):
    """(name, tuned model, pivot, photo in the model's domain) for the astronaut and n test faces."""
    out = []
    photos = [("astronaut", photo_to_model(model, astronaut())[0])]
    if n:
        test = model_data(model.config, "test", model_folder=model.path)
        photos += [(f"celeba test {i}", test.batch(slice(i, i + 1))) for i in range(n)]
    for name, x in photos:
        z0 = inverter.invert(x).z[0]
        generator, _ = tune_to_photo(model, inverter.lpips, x, z0, TuneConfig())
        out.append((name, tuned_model(model, generator), z0, x))
    return out


def product_items(model, inverter, n: int):
    test = model_data(model.config, "test")
    out = []
    for i in range(n):
        x = test.batch(slice(i, i + 1))
        out.append((f"fashion-mnist test {i}", model, inverter.invert(x).z[0], x))
    return out


def astronaut_picture(model, inverter, holds: tuple[float, ...], path) -> None:
    """The astronaut's strokes carried back at full size: the photo with the stroke, then one
    column per hold weight."""
    photo = astronaut()
    x, mapping = photo_to_model(model, photo)
    z0 = inverter.invert(x).z[0]
    generator, _ = tune_to_photo(model, inverter.lpips, x, z0, TuneConfig())
    tuned = tuned_model(model, generator)
    with torch.no_grad():
        current = tuned.decode(z0.reshape(1, -1))[0]
    crop, side = (140, 0, 340, 200), 300
    sheet = Image.new("RGB", ((1 + len(holds)) * side, len(ASTRONAUT_STROKES) * side), "white")
    for row, (label, points, radius, colour) in enumerate(ASTRONAUT_STROKES):
        shown = Image.fromarray(photo.pixels)
        ImageDraw.Draw(shown).line(points, fill=colour, width=2 * radius, joint="curve")
        sheet.paste(shown.crop(crop).resize((side, side)), (0, row * side))
        model_points = tuple(mapping.to_model_point(px, py) for px, py in points)
        level = tuple(float(v) for v in mapping.model_colour(colour))
        stroke = Stroke("color", model_points, radius * mapping.scale, level)
        for col, hold in enumerate(holds, 1):
            z, _, _ = solve_one(tuned, z0, x, current, stroke, hold)
            edited, _ = render_edit(tuned, photo.pixels, mapping, z0, z, strokes=(stroke,))  # as exported
            sheet.paste(Image.fromarray(edited).crop(crop).resize((side, side)), (col * side, row * side))
    from io import BytesIO

    buf = BytesIO()
    sheet.save(buf, "PNG")
    write_bytes_atomic(path, buf.getvalue())


def product_picture(items, holds: tuple[float, ...], seed: int, path, side: int = 128) -> None:
    """Each product's first stroke: the item with the stroke drawn on it (red outline), then the
    solved picture for each hold weight, at the model's size enlarged."""
    sheet = Image.new("RGB", ((1 + len(holds)) * side, len(items) * side), "white")
    for row, (_, m, z0, x) in enumerate(items):
        with torch.no_grad():
            current = m.decode(z0.reshape(1, -1))[0]
        stroke = random_strokes(current, 1, seed + 1000 * row, face=False)[0]
        shown = current.clone()
        mask = rasterize(stroke, current.shape[-1]) > 0
        shown[:, mask] = torch.tensor(stroke.value).reshape(-1, 1).expand(shown.shape[0], -1)[:, :1].mean()
        pictures = [shown] + [solve_one(m, z0, x, current, stroke, h)[1] for h in holds]
        for col, image in enumerate(pictures):
            tile = Image.fromarray(to_uint8(image[None])[0].squeeze()).convert("RGB")
            tile = tile.resize((side, side), Image.NEAREST)
            if col == 0:
                ImageDraw.Draw(tile).line([(px * side / current.shape[-1], py * side / current.shape[-1])
                                           for px, py in stroke.points], fill=(255, 0, 0), width=1)
            sheet.paste(tile, (col * side, row * side))
    from io import BytesIO

    buf = BytesIO()
    sheet.save(buf, "PNG")
    write_bytes_atomic(path, buf.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=10)
    p.add_argument("--products", type=int, default=10)
    p.add_argument("--strokes", type=int, default=3, help="strokes per picture")
    p.add_argument("--holds", type=float, nargs="+", default=[0.0, 1.0, 4.0, 16.0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="strokes")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    start = time.time()
    tables, data = [], {"machine": machine(), "args": vars(a)}
    for model_name, n, face in (("celeba-64", a.faces + 1, True), ("fashion-mnist-32", a.products, False)):
        if n == 0:
            continue
        model = load_model(model_name)
        inverter = Inverter.for_model(model)
        items = face_items(model, inverter, a.faces) if face else product_items(model, inverter, n)
        rows = measure(model, inverter.lpips, items, a.strokes, a.holds, face, a.seed)
        data[model_name] = {"rows": rows, "summary": summary(rows, a.holds, face, model_name),
                            "default_hold": solver_config(model).hold}
        tables += data[model_name]["summary"]
        shown = (0.0, solver_config(model).hold)
        if face:
            astronaut_picture(model, inverter, shown, RESULTS / f"{a.name}.png")
        else:
            product_picture(items[:8], shown, a.seed, RESULTS / f"{a.name}-products.png")
    columns = [("model", "model"), ("kind", "strokes"), ("hold", "hold"), ("n", "n"),
               ("reached", "stroke reached (median)"),
               ("beyond", "change beyond reach, levels (median)"), ("beyond_p90", "(90th pct)"),
               ("lpips", "LPIPS to before (median)"), ("same", "same person"), ("seconds", "s per solve")]
    defaults = ", ".join(f"{k} {v['default_hold']:g}" for k, v in data.items() if isinstance(v, dict) and
                         "default_hold" in v)
    md = (f"# Strokes that stay where they are painted\n\n`python -m benchmarks.strokes "
          f"--faces {a.faces} --products {a.products} --strokes {a.strokes} --holds "
          f"{' '.join(f'{h:g}' for h in a.holds)}`, {data['machine']['date']}, {data['machine']['cpu']}, "
          f"{time.time() - start:.0f} s in all. Default hold: {defaults}. What each column means: "
          f"the module's docstring.\n\n" + markdown_table(tables, columns) +
          f"\n![the astronaut's strokes: photo with the stroke, hold 0, the default]({a.name}.png)\n"
          f"\n![products: the item with its stroke (red line), hold 0, the default]({a.name}-products.png)\n")
    write_results(a.name, data, md)


if __name__ == "__main__":
    main()
