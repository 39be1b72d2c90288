"""Do product edits keep the object? Sliders and strokes on held-out product photos, judged as a
user would judge the export: the edited photo is framed again as the app frames a photo it opens,
and a classifier says what it shows. One run, JSON + markdown table.

    .venv/bin/python -m benchmarks.product_edits [--n 500] [--stroke-n 100] [--inversion hybrid]

Photos: Fashion-MNIST test images (not seen in training) enlarged to 280 px, tinted (lavender,
navy, brown, olive, grey) on a light background, as benchmarks.editing makes them. Their codes
come from the app's own inversion (`--inversion hybrid`: the iterative encoder's guess refined
under LPIPS, in batches) or from the encoder alone (`--inversion encoder`, faster); the same codes
for every variant.
- Sliders: every measured slider at -3, -2, -1, +1, +2, +3, side by side, calibrated in measured
  units and steered along each item's own path (editing.steer): with the class hold judging the
  generator's picture (before), and judging the photo with the edit's change added, as the export
  carries it back (the default: editing.keep.ClassHold.on_photo); `--variants all` adds the
  class's straight direction, the uncalibrated hold, the shared within-class direction and
  the per-class directions without a hold. Class kept: the share of edits after which the classifier
  names the same class for the exported photo (framed again) as for the unedited photo (framed the
  same way); also among the photos whose reconstruction already shows their class (an edit cannot
  keep what the inversion lost); and the judge's verdict, a second classifier (`--judge`, trained
  with another seed) that nothing in the editor ever sees, since the hold uses the first.
  Correlation: slider value against the change of the measured attribute in the model's image of
  the edit, pooled over photos and values (as benchmarks.editing), and the median of each photo's
  own correlation; also pooled over the photos whose class the frame does not pin: Fashion-MNIST
  draws every item with its longer side across the frame, so the height of a dress or the width of
  a sneaker is the same for (at least PINNED of) the class's training images, and no code of the
  class changes it.
- Strokes: on each object a short vertical line (through the object pixel nearest its centre),
  solved alone: a colour stroke 80 levels lighter than the photo's object, in the photo's own
  colours, and a sketch stroke; the solver's candidates as the editor offers them, each exported
  and judged: the share that keep the class, the share of first (best-ranked) candidates that do,
  and how much of the stroke's error the first candidate leaves; with the solver reading the class
  on the generator's picture (before) and on the photo with the change added (the default).
  `--name` writes the results under another name (a smaller run beside the 500-photo one).
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.editing import fake_photo, tile
from editing.compositing import paste_back
from editing.edit import solve_strokes, solver_config
from editing.export import render_edit
from editing.keep import ClassHold, SliderSet
from editing.keep_versions import off_photos, unsteered
from editing.measure import CALIBRATED_BY, FRAME_SIZES, MEASURED, UNITS, measure
from editing.solver import Stroke, build_constraints, stroke_loss
from editing.vectors import apply_sliders, model_vectors
from inversion.encoder import load_encoder
from inversion.framing import DomainSpec, to_model
from inversion.invert import Inverter
from training.classifier import load_classifier
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (-3, -2, -1, 1, 2, 3)
TINTS = ((150, 120, 200), (40, 50, 110), (110, 70, 40), (100, 110, 50), (90, 90, 90))
PINNED = 0.8  # a class's extent is pinned by the frame when this share of its images fills it
INVERT_BATCH = 25  # photos inverted together by --inversion hybrid


def tinted_photos(model, n: int, test=None,
                  tints=TINTS) -> tuple[list[np.ndarray], list, list[torch.Tensor]]:
    """The first `n` Fashion-MNIST test images (of `test`, if already read) as tinted product photos
    (benchmarks.editing.fake_photo, `tints` in turn), each framed for `model` as the app frames a
    photo: (photos (H, W, 3) uint8, their mappings, their model-domain pictures (1, C, R, R))."""
    spec = DomainSpec.for_model(model.config)
    test = test if test is not None else load_fashion_mnist("test", 32)
    photos = [fake_photo(test.images[i, 2:30, 2:30, 0].numpy(), tints[i % len(tints)]) for i in range(n)]
    framed_in = [to_model(photo, model.gan.resolution, model.gan.channels, spec) for photo in photos]
    return photos, [m for _, m in framed_in], [x for x, _ in framed_in]


def invert_photos(model, xs: list[torch.Tensor]) -> torch.Tensor:
    """Codes (N, D) of model-domain pictures `xs` by the app's hybrid inversion, INVERT_BATCH at a time."""
    inverter = Inverter.for_model(model)
    return torch.cat([inverter.invert(torch.cat(xs[i:i + INVERT_BATCH])).z
                      for i in range(0, len(xs), INVERT_BATCH)]).detach()


def inverted_photos(model, n: int) -> tuple[list[str], list[np.ndarray], list, list, torch.Tensor]:
    """(the class names, then tinted_photos' photos, mappings and model pictures of the first `n` test
    images, and their codes by the app's inversion): what the class-slider benchmarks start from."""
    test = load_fashion_mnist("test", 32)
    photos, mappings, xs = tinted_photos(model, n, test)
    return list(test.class_names), photos, mappings, xs, invert_photos(model, xs)


@dataclass
class SlidPhotos:
    """Product photos ready to have their sliders moved as the editor moves them (slid_pictures):
    the photos, their mappings and model-domain pictures, codes by the app's inversion, the
    classifier's judge and the class it sees in each photo, the model's vectors, its unedited
    pictures."""
    photos: list
    mappings: list
    xs: list
    z0: torch.Tensor
    judges: "Judges"
    seen: np.ndarray
    vectors: dict
    unedited: torch.Tensor

    @classmethod
    def make(cls, model, n: int) -> "SlidPhotos":
        """The first `n` held-out test images as tinted product photos (tinted_photos), inverted."""
        photos, mappings, xs = tinted_photos(model, n)
        z0 = invert_photos(model, xs)
        judges = Judges(model, {"classifier": load_classifier()[0]})
        with torch.no_grad():
            unedited = model.decode(z0)
        return cls(photos, mappings, xs, z0, judges, judges.classes(photos)["classifier"],
                   model_vectors(model), unedited)


@torch.no_grad()
def slid_pictures(model, vectors, z0: torch.Tensor, xs: list[torch.Tensor], name: str,
                  value: float) -> torch.Tensor:
    """The model's pictures (N, C, R, R) of codes `z0` (N, D) with slider `name` at `value`, each
    photo registered with the hold first (`xs`, as the model sees them), as the editor does when a
    photo opens."""
    z1 = []
    for z, x in zip(z0, xs):
        if getattr(vectors, "hold", None) is not None:
            vectors.hold.on_photo(z, x)
        z1.append(apply_sliders(z, vectors, {name: value}))
    return model.decode(torch.stack(z1))


def pinned_classes(train) -> dict[str, set[int]]:
    """{height/width: the classes whose training images fill the frame that way (at least PINNED
    of them at the largest extent any image has)}."""
    m = measure(train.batch(slice(None)))
    out = {}
    for k in ("height", "width"):
        full = m[k] >= m[k].max() - 1e-6
        out[k] = {int(c) for c in train.labels.unique() if full[train.labels == c].float().mean() >= PINNED}
    return out


class Judges:
    """Classifiers' verdicts on photos as the app frames them (each photo framed once)."""

    def __init__(self, model, classifiers: dict):
        self.model, self.classifiers = model, classifiers
        self.spec = DomainSpec.for_model(model.config)

    @torch.no_grad()
    def classes(self, photos: list[np.ndarray]) -> dict[str, np.ndarray]:
        x = torch.cat([to_model(p, self.model.gan.resolution, self.model.gan.channels, self.spec)[0]
                       for p in photos])
        return {name: c(x).argmax(1).numpy() for name, c in self.classifiers.items()}


def slider_study(model, photos, mappings, xs, z0, vectors, judges, recon_ok, movable) -> tuple[list[dict], list]:
    G = model.generator
    with torch.no_grad():
        unedited = model.decode(z0)
        base = measure(unedited)
    before = judges.classes(photos)
    rows, strips = [], []
    for k in MEASURED:
        kept = {name: [] for name in judges.classifiers}
        values, deltas, typical = [], [], []
        read = CALIBRATED_BY[k]  # the size sliders' typical extent: what the calibration reads
        # Photo by photo, so that each photo's walk is made once (the hold keeps the last few).
        edited = {a: [] for a in VALUES}
        for z, x in zip(z0, xs):
            if getattr(vectors, "hold", None) is not None:
                vectors.hold.on_photo(z, x)  # as the editor does when the photo opens (no-op if off)
            for a in VALUES:
                edited[a].append(apply_sliders(z, vectors, {k: float(a)}))
        for a in VALUES:
            z1 = torch.stack(edited[a])
            with torch.no_grad():
                measured = measure(G(z1))
                deltas.append((measured[k] - base[k]).numpy())
                typical.append((measured[read] - base[read]).numpy())
            values.append(np.full(len(z0), float(a)))
            with torch.no_grad():
                after = model.decode(z1)
            out = [paste_back(p, m, b, x)[0] for p, m, b, x in zip(photos, mappings, unedited, after)]
            for name, c in judges.classes(out).items():
                kept[name].append(c == before[name])
            if a == 3:
                strips.append(out[:6])
        per_photo = np.stack(deltas, 1)
        moving = per_photo.std(1) > 0
        own = [np.corrcoef(VALUES, row)[0, 1] for row in per_photo[moving]]
        free = np.tile(movable[k], len(VALUES))  # photos whose class the frame does not pin
        values, deltas, typical = np.concatenate(values), np.concatenate(deltas), np.concatenate(typical)
        far, sign, side = np.abs(values) >= 2, np.sign(values), model.gan.resolution
        said = sign * typical / UNITS[k] >= np.abs(values) - 0.5  # reached, as the calibration reads it
        box_still = sign * deltas * side < 0.5  # the box did not move half a model pixel that way
        row = {"slider": k, "correlation": float(np.corrcoef(values, deltas)[0, 1]),
               "correlation_free": float(np.corrcoef(values[free], deltas[free])[0, 1]),
               "typical": float(np.corrcoef(values, typical)[0, 1]),
               "typical_free": float(np.corrcoef(values[free], typical[free])[0, 1]),
               "free_share": float(movable[k].mean()),
               "change3": float(np.median(np.abs(typical[np.abs(values) == 3]))),
               "per_photo_correlation": float(np.median(own)) if own else 0.0}
        if k in FRAME_SIZES:
            row["box3"] = float(np.median((sign * deltas)[np.abs(values) == 3]) * side)
            row["said_box_still"] = float(np.mean((said & box_still)[far]))
        for name in judges.classifiers:
            row[f"kept_{name}"] = float(np.mean(kept[name]))
            row[f"kept3_{name}"] = float(np.mean([kept[name][0], kept[name][-1]]))
            # among the photos whose reconstruction shows their class (the inversion's ceiling)
            row[f"kept_ok_{name}"] = float(np.mean(np.stack(kept[name])[:, recon_ok[name]]))
        rows.append(row)
    return rows, strips


def on_object_points(current: torch.Tensor, length: int = 3) -> tuple[tuple[float, float], ...]:
    """A short vertical line of model pixels on the object (C, R, R): through the object pixel
    nearest the object's centre, as far up and down as the object goes (at most `length`)."""
    grey = current.mean(0)
    level = min(-0.5, float(grey.max()) - 0.1)  # a dim item: its brightest part
    ys, xs = torch.nonzero(grey > level, as_tuple=True)
    cy, cx = ys.float().mean(), xs.float().mean()
    i = int(((ys - cy) ** 2 + (xs - cx) ** 2).argmin())
    y, x = int(ys[i]), int(xs[i])
    column = [y + d for d in range(-length, length + 1)
              if 0 <= y + d < grey.shape[0] and grey[y + d, x] > level]
    return tuple((x + 0.5, yy + 0.5) for yy in column)


STROKE_VARIANTS = (("the generator's picture (before)", False), ("the photo with the change (default)", True))


def stroke_study(model, photos, mappings, xs, z0, judges, recon_ok, n: int) -> list[dict]:
    """Two strokes on each object, each solved alone: a colour stroke 80 levels lighter than the
    photo's object (in the photo's colours) and a sketch line, both along a short vertical line on
    the object; every candidate exported and judged. The solver's class term and ranking read the
    class on the generator's picture (before), or on the photo with the change added (the editor's
    and the CLI's default: solve_strokes' `photo`)."""
    cfg = solver_config(model)
    before = judges.classes(photos[:n])
    rows = []
    for (read, on_photo), kind in ((v, k) for v in STROKE_VARIANTS for k in ("color", "sketch")):
        kept = {name: [] for name in judges.classifiers}
        first = {name: [] for name in judges.classifiers}
        change, ms = [], []
        for i in range(n):
            m = mappings[i]
            with torch.no_grad():
                current = model.decode(z0[i][None])[0]
            points = on_object_points(current)
            colour = tuple(min(255, v + 80) for v in TINTS[i % len(TINTS)])
            stroke = Stroke(kind, points, 1.0, m.model_colour(colour) if kind == "color" else (1.0,))
            t0 = time.perf_counter()
            last = None
            for last in solve_strokes(model, z0[i], z0[i], build_constraints([stroke], current), cfg,
                                      photo=xs[i] if on_photo else None):
                pass
            ms.append(1000 * (time.perf_counter() - t0))
            outs = [render_edit(model, photos[i], m, z0[i], z)[0] for z in last.z]
            for name, c in judges.classes(outs).items():
                same = c == before[name][i]
                kept[name].append(same)
                first[name].append(bool(same[0]))
            # The first candidate's stroke error as a share of the unedited image's.
            c = build_constraints([stroke], current)
            with torch.no_grad():
                change.append(float(stroke_loss(last.images[:1], c)[0]
                                    / stroke_loss(current[None], c)[0].clamp_min(1e-9)))
        row = {"read": read, "stroke": kind, "strokes": n, "candidates": cfg.candidates,
               "error_left": float(np.median(change)), "ms_median": float(np.median(ms))}
        for name in judges.classifiers:
            ok = recon_ok[name][:n]
            row[f"kept_{name}"] = float(np.mean(kept[name]))
            row[f"first_kept_{name}"] = float(np.mean(first[name]))
            row[f"first_kept_ok_{name}"] = float(np.mean(np.array(first[name])[ok]))
        rows.append(row)
    return rows


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--stroke-n", type=int, default=100)
    p.add_argument("--judge", default="assets/classifiers/fashion-mnist-judge",
                   help="a second classifier folder that judges too (skipped when absent)")
    p.add_argument("--inversion", choices=("hybrid", "encoder"), default="hybrid",
                   help="the codes: the app's inversion (default) or the encoder's guess alone")
    p.add_argument("--variants", choices=("default", "all", "shipped"), default="default",
                   help="default: before and now; all: also the older ones; shipped: now only")
    p.add_argument("--name", default="product_edits", help="results name in benchmarks/results/")
    a = p.parse_args()
    torch.set_num_threads(1)
    model = load_model(a.model)
    test = load_fashion_mnist("test", 32)
    photos, mappings, xs = tinted_photos(model, a.n, test)
    t0 = time.perf_counter()
    if a.inversion == "hybrid":
        z0 = invert_photos(model, xs)
    else:
        with torch.no_grad():
            z0 = load_encoder(model)(torch.cat(xs))
    invert_s = (time.perf_counter() - t0) / a.n
    print(f"inverted {a.n} photos ({a.inversion}): {invert_s:.2f} s each", flush=True)
    pinned = pinned_classes(load_fashion_mnist("train", 32))
    labels = test.labels[:a.n].numpy()
    movable = {k: ~np.isin(labels, sorted(pinned.get(k, ()))) for k in MEASURED}
    classifiers = {"classifier": load_classifier()[0]}
    if Path(a.judge).is_dir():
        classifiers["judge"] = load_classifier(a.judge)[0]
    judges = Judges(model, classifiers)
    # The ceiling: an edit can keep the class only where the reconstruction has it already.
    with torch.no_grad():
        recon = model.decode(z0)
    seen = judges.classes(photos)
    recon_ok = {name: c(recon).argmax(1).numpy() == seen[name] for name, c in classifiers.items()}
    ceiling = {name: float(ok.mean()) for name, ok in recon_ok.items()}
    shipped = model_vectors(model)  # calibrated and held, as the editor and the CLI use them
    plain = dict(shipped)
    variants = (("steered, class judged on the generator's picture (before)", off_photos(shipped)),
                ("steered, class judged on the photo with the change (default)", shipped))
    if a.variants == "shipped":
        variants = variants[1:]
    if a.variants == "all":
        variants = (("shared direction", {k: replace(v, by_class=None) for k, v in plain.items()}),
                    ("per-class directions", plain),
                    ("per-class + class hold", SliderSet(plain, ClassHold.for_model(model, plain, calibrate=False))),
                    ("calibrated, straight", unsteered(shipped))
                    ) + variants
    slider_rows, strips = [], {}
    for label, vectors in variants:
        rows, strip = slider_study(model, photos, mappings, xs, z0, vectors, judges, recon_ok, movable)
        slider_rows += [{"vectors": label, **r} for r in rows]
        strips[label] = strip
        print(json.dumps(rows), flush=True)
    strokes = stroke_study(model, photos, mappings, xs, z0, judges, recon_ok, a.stroke_n)
    print(json.dumps(strokes), flush=True)
    # Picture: photos, then width +3 with each set of vectors.
    k = MEASURED.index("width")
    picture = tile([tile(photos[:6], 1)] + [tile(strips[label][k], 1) for label, _ in variants], 0)
    Image.fromarray(picture).save(RESULTS / f"{a.name}.png")
    m = machine()
    kept_cols = [(f"kept_{n}", f"class kept ({n})") for n in classifiers]
    kept3_cols = [(f"kept3_{n}", f"kept at +-3 ({n})") for n in classifiers]
    ok_cols = [(f"kept_ok_{n}", f"kept where the inversion kept it ({n})") for n in classifiers]
    names = test.class_names
    md = (f"# Do product edits keep the object?\n\nModel {model.model_id}, {a.n} held-out "
          f"Fashion-MNIST test images as tinted product photos. `python -m benchmarks.product_edits "
          f"--n {a.n} --stroke-n {a.stroke_n} --inversion {a.inversion} --variants {a.variants}"
          + (f" --name {a.name}" if a.name != "product_edits" else "") + "`; "
          f"codes by the {'app' if a.inversion == 'hybrid' else 'encoder'}'s inversion, "
          f"{invert_s:.2f} s a photo.\n\n"
          f"## Sliders (values -3..+3 without 0, exported and framed again)\n\n"
          f"Pinned by the frame (at least {PINNED:.0%} of the class's training images fill it): height "
          f"of {', '.join(names[c] for c in sorted(pinned['height']))}; width of "
          f"{', '.join(names[c] for c in sorted(pinned['width']))}. *Free*: the share of photos "
          f"whose class is not pinned for the slider, and the pooled correlation among them. *Typical "
          f"extent*: height and width read as the mean over the image's columns or rows of the "
          f"object's extent (editing.measure.typical_extent), which the calibrated sliders follow; the "
          f"overall extent (the box) jumps by a pixel when one faint pixel appears beside the object. "
          f"Brightness and area read the same in both columns. *Box at +-3*: the median change of the "
          f"box, in model pixels, the slider's way. *Reached, box still*: the share of size edits at "
          f"+-2 and +-3 that reach their value by the typical extent (within half a unit) while the "
          f"box moved less than half a pixel that way: the item reshaped, not resized (a pinned class "
          f"cannot move its box; a bag's body may grow under a handle that already spans the "
          f"frame).\n\n"
          f"The reconstruction already shows the photo's class for "
          + ", ".join(f"{v:.1%} ({n})" for n, v in ceiling.items()) + " of the photos: an edit "
          "cannot keep a class the inversion lost.\n\n"
          + markdown_table(slider_rows, [("vectors", "vectors"), ("slider", "slider"), *kept_cols,
                                         *kept3_cols, *ok_cols, ("correlation", "correlation (pooled)"),
                                         ("free_share", "free"), ("correlation_free", "correlation where free"),
                                         ("typical", "correlation, typical extent"),
                                         ("typical_free", "typical extent where free"),
                                         ("per_photo_correlation", "per-photo correlation"),
                                         ("change3", "median change at +-3 (typical)"),
                                         ("box3", "box at +-3, px"),
                                         ("said_box_still", "reached, box still")])
          + f"\n## Strokes ({a.stroke_n} of each kind, solved alone, "
            f"{strokes[0]['candidates']} candidates each)\n\n"
          + markdown_table(strokes, [("read", "class read on"), ("stroke", "stroke"),
                                     *[(f"kept_{n}", f"candidates kept ({n})") for n in classifiers],
                                     *[(f"first_kept_{n}", f"first candidate kept ({n})") for n in classifiers],
                                     *[(f"first_kept_ok_{n}", f"first kept where the inversion kept it ({n})")
                                       for n in classifiers],
                                     ("error_left", "stroke error left (median share)"),
                                     ("ms_median", "ms per stroke")])
          + f"\n![width +3: photos, then each variant in the table's order]({a.name}.png)\n\n"
          f"{footer(m)}")
    write_results(a.name, {"machine": m, "model": model.model_id, "n": a.n, "ceiling": ceiling,
                                    "inversion": a.inversion, "invert_s": invert_s,
                                    "pinned": {k: sorted(v) for k, v in pinned.items()},
                                    "sliders": slider_rows, "strokes": strokes}, md)


if __name__ == "__main__":
    main()
