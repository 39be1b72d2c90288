"""Whether a class slider's kind note ("Bag +2.00: the model still draws a dress here, not a bag")
says what a person sees in the export: the rule before (the classifier's reading of the photo with
the edit's change added, named whatever its confidence) against now (editing.slider_notes.kind_notes:
no note where the model's own picture reads as the slider's kind; the kind drawn named only where
both readings agree on it and the classifier gives it NAMED_FROM or more).

    python -m benchmarks.kind_notes [--n 100]

Photos as benchmarks.class_unit makes them: the first `--n` Fashion-MNIST test images as tinted
product photos, inverted by the app. Each class slider moves each photo the shipped classifier reads
as another kind to +1, +2 and +3; each edit is carried back onto the photo as an export is, framed
again and read by the judge (a classifier of another seed, which nothing in the editor reads): the
stand-in for the eye. Per rule: the notes said; those that name a kind, and the share of them the
judge reads as that kind; notes said over an export the judge reads as the slider's kind (wrong);
edits at +2 or +3 the judge reads as another kind with no note (missed). Writes
benchmarks/results/kind_notes.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.class_unit import JUDGE, VALUES, edited
from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.product_edits import Judges, inverted_photos
from editing.slider_notes import NAMED_FROM, STILL_FROM, kind_notes
from editing.vectors import apply_sliders, model_vectors
from training.classifier import load_classifier
from training.modelfile import DEFAULT_MODEL, load_model


def note_before(read, name: str, value: float) -> tuple[str, str] | None:
    """The note session 39's rule said of class slider `name` at `value` raised: ("named", kind) or None."""
    third = read.now != read.was and read.now != name
    still = read.now == read.was != name and value >= STILL_FROM
    return ("named", read.now) if third or still else None


def note_now(sliders, z0: torch.Tensor, code: torch.Tensor, name: str,
             value: float) -> tuple[str, str] | None:
    """The note kind_notes says now: ("named", kind), ("not", the slider's kind) or None."""
    notes = kind_notes(sliders, z0, {name: value}, lambda: code)
    if not notes:
        return None
    if "does not draw" in notes[0].why:
        return "not", name
    return "named", sliders.hold.read_kind(z0, code).now


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
    sliders = model_vectors(model)
    edits = []  # (slider, value, judge's reading of the export, note before, note now)
    for i in range(a.n):
        sliders.hold.on_photo(z0[i], xs[i])
        for c, name in enumerate(names):
            if seen[i] == c:
                continue
            for value in VALUES:
                code = apply_sliders(z0[i], sliders, {name: value})
                export, _ = edited(model, sliders, photos[i], mappings[i], xs[i], z0[i], name, value)
                judged = names[int(judges.classes([export])["judge"][0])]
                read = sliders.hold.read_kind(z0[i], code)
                edits.append((name, value, judged, note_before(read, name, value),
                              note_now(sliders, z0[i], code, name, value)))
        print(i, f"{time.perf_counter() - started:.0f} s", flush=True)
    rows = []
    for rule, k in (("before (session 39)", 3), ("now", 4)):
        said = [e for e in edits if e[k] is not None]
        named = [e for e in said if e[k][0] == "named"]
        due = [e for e in edits if e[1] >= 2 and e[2] != e[0]]
        rows.append({"rule": rule, "edits": len(edits), "said": len(said), "named": len(named),
                     "named_agrees": float(np.mean([e[2] == e[k][1] for e in named])) if named else None,
                     "wrong": sum(e[2] == e[0] for e in said),
                     "missed": sum(e[k] is None for e in due), "due": len(due)})
        print(rows[-1], flush=True)
    took = time.perf_counter() - started
    columns = [("rule", "rule"), ("edits", "edits"), ("said", "notes said"),
               ("named", "notes naming a kind"),
               ("named_agrees", "the judge reads the kind named"),
               ("wrong", "notes over an export the judge reads as the slider's kind"),
               ("missed", "edits at +2, +3 read as another kind, no note"),
               ("due", "of edits at +2, +3 read so")]
    m = machine()
    md = (f"# Kind notes against the export\n\nModel {model.model_id}. `python -m benchmarks.kind_notes "
          f"--n {a.n}` ({took:.0f} s). Each class slider moves the photos the shipped classifier reads as "
          f"another kind to {', '.join(f'+{v:g}' for v in VALUES)}; the export, framed again, read by the "
          f"judge (a classifier nothing in the editor reads). Now: no note where the model's own picture "
          f"reads as the slider's kind; the kind drawn named only where the model's own picture reads as "
          f"it too and the classifier gives it {NAMED_FROM} or more (else \"the model does not draw a bag "
          f"here\").\n\n" + markdown_table(rows, columns) + "\n\n" + footer(m))
    write_results("kind_notes", {"rows": rows, "n": a.n, "seconds": took, "machine": m}, md)


if __name__ == "__main__":
    main()
