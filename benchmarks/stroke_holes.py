"""Colour strokes on a colour model's unaligned photos: how much of the brush's band is left as the
photo was, compositing 22 against 23, on the same solved edits.

    python -m benchmarks.stroke_holes --model MODEL [--n 6] [--name stroke_holes]

Walkthrough 47 painted a dark red stroke across dark hair with a model of the user's own face
photos (a centre crop, 32 px colour: README, "A model of your own images") and the band came out
orange with grey, jagged patches of the photo's hair: compositing 16-22 land a stroke's edit only
where it brings a pixel's luminance toward its paint's (editing.landing.BrushBand.toward), and the
hair's lighter strands, moved to an orange lighter than the red, stayed. Compositing 23 also lands
it where the pixel's colour comes nearer the paint's. Photos: the first `--n` files of the model's
test split (never trained on), each with one stroke across its upper third in three colours (dark
red, gold, blue), solved as `latent-edit edit --strokes` solves it, then carried back both ways
from the same codes (the recipe rebuilt at 22). *Holes*: pixels of the band at full weight left
within 2 levels of the photo where the photo lies 40 levels or more from the paint; *darker*
besides: those the carry-back moved away from the paint. Writes benchmarks/results/NAME.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from editing.cli import main as latent_edit
from editing.export import read_recipe, read_strokes
from editing.landing import BrushBand
from inversion.framing import DomainMapping
from training.data import find_recorded, model_data
from training.modelfile import load_model

COLOURS = {"dark red": "#aa0000", "gold": "#e0c060", "blue": "#3050c0"}
FAR = 40.0  # photo levels from the paint past which a pixel left as it was is a hole


def holes(photo: np.ndarray, out: np.ndarray, band: tuple[int, int, np.ndarray], paint: np.ndarray) -> int:
    """Pixels of the band at full weight left within 2 levels of `photo` where it lies FAR or more
    from `paint` (RGB)."""
    top, left, weight = band
    box = np.s_[top:top + weight.shape[0], left:left + weight.shape[1]]
    p, o = photo[box].astype(np.float32), out[box].astype(np.float32)
    kept = np.abs(o - p).max(axis=2) <= 2
    far = np.linalg.norm(p - paint, axis=2) >= FAR
    return int((kept & far & (weight >= 1.0)).sum())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--name", default="stroke_holes")
    a = p.parse_args()
    t0 = time.perf_counter()
    model = load_model(a.model)
    test = model_data(model.config, "test", model_folder=model.path)
    rows, work, picture = [], Path(tempfile.mkdtemp()), []
    folder = Path(find_recorded(model.config.get("training", {}), "data_source", model.path))  # (the
    # files are named within it)
    for file in (folder / name for name in test.files[:a.n]):
        photo = np.asarray(Image.open(file).convert("RGB"))
        h, w = photo.shape[:2]
        line = [[w * x, h * (0.25 - 0.08 * np.sin(np.pi * x))] for x in np.linspace(0.2, 0.8, 7)]
        for word, colour in COLOURS.items():
            strokes = work / "strokes.json"
            strokes.write_text(json.dumps({"space": "photo", "strokes": [
                {"kind": "color", "points": line, "radius": w / 20, "colour": colour, "strength": 1.0}]}))
            new, old = work / "new.png", work / "old.png"
            latent_edit(["edit", str(file), "--model", a.model, "--strokes", str(strokes), "--out", str(new),
                         "--overwrite"])
            recipe = read_recipe(str(new) + ".recipe.json")
            recipe["export"]["compositing"] = 22
            (work / "old.recipe.json").write_text(json.dumps(recipe))
            latent_edit(["edit", "--recipe", str(work / "old.recipe.json"), "--out", str(old), "--overwrite"])
            mapping = DomainMapping.from_dict(recipe["mapping"])
            band = BrushBand(read_strokes(recipe, mapping, model), mapping.resolution, 3).on_photo(mapping)
            paint = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
            strip = [photo]
            for version, path in ((22, old), (23, new)):
                out = np.asarray(Image.open(path).convert("RGB"))
                strip.append(out)
                rows.append({"photo": Path(file).name, "colour": word, "compositing": version,
                             "band": int((band[2] >= 1.0).sum()), "holes": holes(photo, out, band, paint)})
            print(rows[-2], rows[-1], flush=True)
            if len(picture) < 2 * len(COLOURS):  # the first two photos: the photo, 22, 23 side by side
                picture.append(np.concatenate([x[: h // 2] for x in strip], 1))
    summary = []
    for word in COLOURS:
        for version in (22, 23):
            got = [r for r in rows if r["colour"] == word and r["compositing"] == version]
            summary.append({"colour": word, "compositing": version, "strokes": len(got),
                            "band": int(np.sum([r["band"] for r in got])),
                            "holes": int(np.sum([r["holes"] for r in got])),
                            "with holes": sum(r["holes"] >= 20 for r in got)})
    m = machine()
    md = (f"# Colour strokes on a colour model's photos: what of the band is left as it was\n\n"
          f"`python -m benchmarks.stroke_holes --model {a.model} --n {a.n}` "
          f"({time.perf_counter() - t0:.0f} s). "
          f"Model {model.model_id}; see the module's docstring. *Band*: photo pixels at the band's full "
          f"weight, summed over the strokes; *holes*: those left as the photo was though {FAR:g} levels "
          f"or more from the paint; *with holes*: strokes leaving 20 or more.\n\n"
          + markdown_table(summary, [("colour", "colour"), ("compositing", "compositing"),
                                     ("strokes", "strokes"), ("band", "band px"), ("holes", "holes px"),
                                     ("with holes", "strokes with holes")])
          + "\n\n" + footer(m))
    md = md.replace("\n\n" + footer(m), f"\n\n![the photo, compositing 22, 23]({a.name}.png)\n\nRows: "
                    f"the first two photos' upper halves, each colour in turn.\n\n" + footer(m))
    Image.fromarray(np.concatenate([r for r in picture if r.shape == picture[0].shape], 0)).save(
        RESULTS / f"{a.name}.png")
    write_results(a.name, {"machine": m, "model": model.model_id, "rows": rows, "summary": summary}, md)


if __name__ == "__main__":
    main()
