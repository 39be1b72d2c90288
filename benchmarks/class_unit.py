"""Class sliders in units of the model's own codes (session version 16, editing.vectors.own_unit):
how often "Dress", "Bag" and the other class sliders take a held-out product photo of another kind
to the slider's kind, with the slider's unit the inverted training images' spread (before) and the
model's own codes' (now).

    python -m benchmarks.class_unit [--n 100]

Photos as benchmarks.product_edits makes them: the first `--n` Fashion-MNIST test images as tinted
product photos, inverted by the app's hybrid inversion. Each class slider moves each photo that the
shipped classifier reads as another kind to +1, +2 and +3; each edit is carried back onto the photo
(paste_back), framed again as the app frames a photo it opens, and read by the judge (a classifier
of another seed, which nothing in the editor reads) and by the shipped classifier. Per slider and
unit: *reached*, the share of photos read as the slider's kind at some value; *at +2*, at +2;
*unrealistic at +3*, the share of edits at +3 whose picture the model's discriminator ranks below
editor.quality.UNREALISTIC of the model's own samples (the editor's "Gone too far" rule for
realism). Writes benchmarks/results/class_unit.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import tile
from benchmarks.product_edits import Judges, inverted_photos
from editing.compositing import paste_back
from editing.keep_versions import units_before_16
from editing.vectors import apply_sliders, model_vectors
from editor.quality import UNREALISTIC, typical_realism
from training.classifier import load_classifier
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (1.0, 2.0, 3.0)
JUDGE = "assets/classifiers/fashion-mnist-judge"
SHOWN = (("t-shirt", "pullover"), ("dress", "coat"), ("sandal", "sneaker"), ("sneaker", "ankle_boot"),
         ("pullover", "shirt"))  # the picture's rows: the first photo of a kind, moved to another


@torch.no_grad()
def edited(model, vectors, photo, mapping, x, z0, name: str, value: float) -> tuple[np.ndarray, float]:
    """The photo with class slider `name` at `value` carried back, as an export makes it, and the
    realism of the edit's picture (the model's discriminator)."""
    if getattr(vectors, "hold", None) is not None:
        vectors.hold.on_photo(z0, x)
    pictures = model.decode(torch.stack([z0, apply_sliders(z0, vectors, {name: value})]))
    return paste_back(photo, mapping, pictures[0], pictures[1])[0], float(model.critic(pictures[1:]))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=100)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    names, photos, mappings, xs, z0 = inverted_photos(model, a.n)
    judges = Judges(model, {"classifier": load_classifier()[0], "judge": load_classifier(JUDGE)[0]})
    seen = judges.classes(photos)["classifier"]
    typical = typical_realism(model)
    now = model_vectors(model)
    variants = (("inverted images' spread (before 16)", units_before_16(now)),
                ("model's own codes (now)", now))
    rows, shown = [], {}
    for c, name in enumerate(names):
        others = [i for i in range(a.n) if seen[i] != c]
        for label, vectors in variants:
            reached = {reader: np.zeros(len(others), bool) for reader in judges.classifiers}
            at2, unrealistic = {}, []
            for value in VALUES:
                outs = [edited(model, vectors, photos[i], mappings[i], xs[i], z0[i], name, value)
                        for i in others]
                for reader, read in judges.classes([o for o, _ in outs]).items():
                    reached[reader] |= read == c
                    if value == 2.0:
                        at2[reader] = float(np.mean(read == c))
                if value == 3.0:
                    ranks = np.searchsorted(typical, [r for _, r in outs]) / len(typical)
                    unrealistic = float(np.mean(ranks < UNREALISTIC))
            row = {"slider": name, "unit": label, "spread": vectors[name].spread, "photos": len(others),
                   **{f"reached_{k}": float(v.mean()) for k, v in reached.items()},
                   **{f"at2_{k}": v for k, v in at2.items()}, "unrealistic3": unrealistic}
            rows.append(row)
            print(row, flush=True)
    strips = []
    for kind, name in SHOWN:
        i = next(i for i in range(a.n) if seen[i] == names.index(kind))
        shown[f"{kind} -> {name}"] = i
        strip = [photos[i]] + [edited(model, vectors, photos[i], mappings[i], xs[i], z0[i], name, v)[0]
                               for _, vectors in variants for v in VALUES]
        strips.append(tile([np.asarray(Image.fromarray(s).resize((112, 112))) for s in strip], axis=1,
                           gap=4, fill=160))
    Image.fromarray(stack_rows(strips, fill=160)).save(RESULTS / "class_unit.png")
    took = time.perf_counter() - started
    means = {label: {k: float(np.mean([r[k] for r in rows if r["unit"] == label]))
                     for k in ("reached_judge", "reached_classifier", "at2_judge", "at2_classifier",
                               "unrealistic3")}
             for label, _ in variants}
    for label, m in means.items():
        rows.append({"slider": "mean", "unit": label, **m})
    columns = [("slider", "slider"), ("unit", "unit"), ("spread", "unit in code"), ("photos", "photos"),
               ("reached_judge", "reached (judge)"), ("reached_classifier", "reached (classifier)"),
               ("at2_judge", "at +2 (judge)"), ("at2_classifier", "at +2 (classifier)"),
               ("unrealistic3", "unrealistic at +3")]
    m = machine()
    md = (f"# Class sliders in units of the model's own codes\n\nModel {model.model_id}. "
          f"`python -m benchmarks.class_unit --n {a.n}` ({took:.0f} s). Each class slider moves the "
          f"photos the shipped classifier reads as another kind to {', '.join(f'+{v:g}' for v in VALUES)}; "
          f"exports framed again and read by the judge (which nothing in the editor reads) and the "
          f"shipped classifier. *Reached*: share of photos read as the slider's kind at some value; "
          f"*at +2*: at +2; *unrealistic at +3*: share of edits at +3 that the discriminator ranks below "
          f"{UNREALISTIC:.0%} of the model's own samples (the editor's realism warning).\n\n"
          + markdown_table(rows, columns)
          + "\n\n![rows: " + "; ".join(shown) + ". The photo, then the slider at +1, +2, +3 in the "
            "inverted images' spread (before), then at +1, +2, +3 in the model's own codes' (now)]"
            "(class_unit.png)\n\n" + footer(m))
    write_results("class_unit", {"rows": rows, "shown": shown, "n": a.n, "seconds": took, "machine": m},
                  md)


if __name__ == "__main__":
    main()
