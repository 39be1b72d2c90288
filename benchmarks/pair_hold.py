"""Class pairs held (session version 15): how often "Sneaker → ankle boot" and the other class pairs
make an item a third kind of item, free (as before) and held, on held-out product photos.

    python -m benchmarks.pair_hold [--n 200]

Photos as benchmarks.product_edits makes them: the first `--n` Fashion-MNIST test images as tinted
product photos, inverted by the app's hybrid inversion. Each class pair moves each photo of its two
kinds toward the other kind (an item of its first kind up, of its second down) to 0.5, 1, ... 3;
each edit is carried back onto the photo (paste_back), framed again as the app frames a photo it
opens, and read by the shipped classifier (the one the hold reads) and by the judge (another seed,
which nothing in the editor reads). Per pair and variant: *third kind*, the share of photos that read
as neither of the pair's kinds at some value (their own kind aside: a photo the classifier reads as
a third kind to begin with is left out); *other kind*, the share that read as the pair's other kind
at some value; *edits ...*, the same among all edits (each photo at each value), the judge's; *at
3*, the median value a slider asked for 3 reaches (the hold's). Writes
benchmarks/results/pair_hold.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import tile
from benchmarks.product_edits import Judges, invert_photos, tinted_photos
from editing.compositing import paste_back
from editing.keep import held_sliders
from editing.keep_versions import unheld_pairs
from editing.vector_sets import FASHION_PAIRS
from editing.vectors import apply_sliders, model_vectors
from training.classifier import load_classifier
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
SHOWN = (1.0, 2.0, 3.0)  # the values the picture shows
JUDGE = "assets/classifiers/fashion-mnist-judge"


@torch.no_grad()
def exported(model, vectors, photo, mapping, x, z0, name: str, value: float) -> np.ndarray:
    """The photo with slider `name` at `value` carried back, as an export makes it (the photo
    registered with the hold first, as the editor does when it opens)."""
    if getattr(vectors, "hold", None) is not None:
        vectors.hold.on_photo(z0, x)
    before, after = model.decode(torch.stack([z0, apply_sliders(z0, vectors, {name: value})]))
    return paste_back(photo, mapping, before, after)[0]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    test = load_fashion_mnist("test", 32)
    names = list(test.class_names)
    photos, mappings, xs = tinted_photos(model, a.n, test)
    z0 = invert_photos(model, xs)
    judges = Judges(model, {"classifier": load_classifier()[0], "judge": load_classifier(JUDGE)[0]})
    seen = judges.classes(photos)
    held = model_vectors(model)
    variants = (("free (before version 15)", unheld_pairs(held)), ("held (now)", held))
    rows, pictures = [], []
    for first, second in FASHION_PAIRS:
        strips = {}  # item -> [the photo, then each variant at SHOWN]
        name, kinds = f"{first}->{second}", (names.index(first), names.index(second))
        for label, vectors in variants:
            row = {"pair": name, "variant": label}
            for reader in judges.classifiers:
                mine = [i for i in range(a.n) if seen[reader][i] in kinds]
                third, other = np.zeros(len(mine), bool), np.zeros(len(mine), bool)
                edits_third, edits_other = [], []
                for value in VALUES:
                    outs = [exported(model, vectors, photos[i], mappings[i], xs[i], z0[i], name,
                                     value if seen[reader][i] == kinds[0] else -value) for i in mine]
                    read = judges.classes(outs)[reader]
                    goal = np.array([kinds[1] if seen[reader][i] == kinds[0] else kinds[0] for i in mine])
                    third |= ~np.isin(read, kinds)
                    other |= read == goal
                    edits_third.append(~np.isin(read, kinds))
                    edits_other.append(read == goal)
                row[f"photos_{reader}"] = len(mine)
                row[f"third_{reader}"] = float(third.mean()) if mine else float("nan")
                row[f"other_{reader}"] = float(other.mean()) if mine else float("nan")
                row[f"edits_third_{reader}"] = float(np.mean(edits_third)) if mine else float("nan")
                row[f"edits_other_{reader}"] = float(np.mean(edits_other)) if mine else float("nan")
            mine = [i for i in range(a.n) if seen["classifier"][i] == kinds[0]]
            reached = [held_sliders(vectors, z0[i], {name: 3.0}).get(name, 3.0) for i in mine]
            row["at3"] = float(np.median(reached)) if reached else float("nan")
            rows.append(row)
            print(row, flush=True)
            for i in mine[:3]:  # three items of the pair's first kind at +1, +2, +3
                strips.setdefault(i, [photos[i]]).extend(
                    exported(model, vectors, photos[i], mappings[i], xs[i], z0[i], name, v) for v in SHOWN)
        pictures += [tile([np.asarray(Image.fromarray(s).resize((112, 112))) for s in strip], axis=1, gap=4,
                          fill=160) for strip in strips.values()]
    Image.fromarray(stack_rows(pictures, fill=160)).save(RESULTS / "pair_hold.png")
    took = time.perf_counter() - started
    columns = [("pair", "pair"), ("variant", "variant"), ("photos_classifier", "photos"),
               ("third_classifier", "third kind (classifier)"), ("third_judge", "third kind (judge)"),
               ("other_classifier", "other kind (classifier)"), ("other_judge", "other kind (judge)"),
               ("edits_third_judge", "edits a third kind (judge)"),
               ("edits_other_judge", "edits the other kind (judge)"), ("at3", "at 3")]
    m = machine()
    md = (f"# Class pairs held\n\nModel {model.model_id}. `python -m benchmarks.pair_hold --n {a.n}` "
          f"({took:.0f} s). Each pair moves its kinds' photos toward the other kind at "
          f"{', '.join(f'{v:g}' for v in VALUES)}; exports read by the shipped classifier (which the "
          f"hold reads) and the judge (which nothing in the editor reads). *Third kind*: share of photos "
          f"read as neither of the pair's kinds at some value; *other kind*: read as the pair's other "
          f"kind at some value; *edits ...*: the same shares of all edits (photos and values); *at 3*: "
          f"median value reached when 3 is asked (items of the first kind).\n\n"
          + markdown_table(rows, columns)
          + "\n\n![for each pair, three items of its first kind: the photo, then free at +1, +2, +3, "
            "then held at +1, +2, +3](pair_hold.png)\n\n" + footer(m))
    write_results("pair_hold", {"rows": rows, "n": a.n, "seconds": took, "machine": m}, md)


if __name__ == "__main__":
    main()
