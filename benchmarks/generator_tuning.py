"""Per-photo generator tuning (PTI, inversion/tuning.py): its time and what it buys, per step budget.

    OMP_NUM_THREADS=1 python -m benchmarks.generator_tuning [--faces 5] [--products 5] [--threads 1 2]
        [--lr 3e-4 1e-3] [--tune-from 0 32] [--budgets 25 50 75 100 150] [--out generator_tuning]

For the face model: scikit-image's `astronaut` and the first `--faces` held-out CelebA faces
(the test split, never trained on); for the product model the first `--products` Fashion-MNIST
test images. Each is inverted (the default hybrid), then tuned for the longest budget once per
learning rate (with the first thread count; the other thread counts for the astronaut only); a run
of N steps is exactly the first N steps of a longer one (the locality term's directions are
seeded, the learning rate is constant), so every budget is read off one run: the seconds to reach
it (wall clock and the process's CPU time, all threads), the reconstruction's LPIPS, for faces
dlib's identity distance to the photo's face (under 0.6: the same person), and how much of the
sliders' edits the tuned generator keeps: the mean pixel change of every attribute vector at +2
from the pivot, drawn by the tuned generator, as a share of the original generator's (tuning that
pulls the whole neighbourhood onto the photo scores near 0: the sliders barely move it). For faces
also, at the longest budget: the share of the sliders Smiling, Male, Young and Bangs, pushed 2 away
from what the attribute classifier (benchmarks.faces) reads on the photo, whose verdict flips on
the edited code's image by the tuned generator (*flips, tuned G*) and on the photo with the tuned
generator's change added (*flips, photo + change*: what the carry-back exports, at the model's
size); the untuned row measures the model's own generator. `--tune-from S` tunes only the layers
that draw maps of S px or more (TuneConfig.tune_from). What else was running (load average, the
busiest processes) is recorded, since the cores may be shared.
Writes benchmarks/results/OUT.{json,md}.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.faces import CLASSIFIER, probabilities
from inversion.faces import descriptors, identity_distance
from inversion.framing import DomainSpec
from inversion.invert import Inverter, photo_to_model
from inversion.photo import Photo
from editing.vectors import apply_sliders, model_vectors
from inversion.tuning import TuneConfig, decoder, tune, tuned_copy
from training.classifier import load_classifier
from training.data import model_data
from training.modelfile import load_model
from training.pixels import to_uint8

FLIPPED = ("Smiling", "Male", "Young", "Bangs")  # issue 14's sliders expected to flip


def beside() -> dict:
    """What shares the machine now: the load average and the five busiest other processes."""
    top = subprocess.run(["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"], capture_output=True,
                         text=True).stdout.splitlines()[1:]
    others = [line.strip()[:120] for line in top if line.split()[0] != str(os.getpid())][:5]
    return {"loadavg": os.getloadavg(), "busiest": others}


def faces(model, n: int) -> list[tuple[str, torch.Tensor]]:
    """(name, x (1, 3, R, R)): the astronaut framed as the model's faces, then held-out faces."""
    import skimage.data

    photo = Photo(pixels=skimage.data.astronaut(), path=None, source_mode="RGB", source_format="PNG")
    out = [("astronaut", photo_to_model(model, photo)[0])]
    if n:
        test = model_data(model.config, "test", model_folder=model.path)
        out += [(f"celeba test {i}", test.batch(slice(i, i + 1))) for i in range(n)]
    return out


def products(model, n: int) -> list[tuple[str, torch.Tensor]]:
    test = model_data(model.config, "test")
    return [(f"fashion-mnist test {i}", test.batch(slice(i, i + 1))) for i in range(n)]


def run_one(model, inverter, name: str, x: torch.Tensor, threads: int, cfg: TuneConfig,
            budgets: tuple[int, ...]) -> list[dict]:
    """Invert x, tune for cfg.steps; one row per budget (and one for the untuned inversion)."""
    torch.set_num_threads(threads)
    spec = DomainSpec.for_model(model.config)
    face = spec.kind == "face"
    reference = descriptors(to_uint8(x), spec.face_box) if face else None
    z0 = inverter.invert(x).z[0]
    vectors = model_vectors(model)
    edited = torch.stack([apply_sliders(z0, vectors, {name: 2.0}) for name in vectors])  # (A, D)
    with torch.no_grad():
        change = (model.decode(edited) - model.decode(z0[None])).abs().mean()
    flip_codes, flips = None, None
    if face:  # each flip slider pushed 2 away from what the photo shows
        from editing.vector_sets import FACE_ATTRIBUTES

        net = load_classifier(CLASSIFIER)[0].eval()
        columns = [FACE_ATTRIBUTES.index(a) for a in FLIPPED]
        shows = probabilities(net, x)[0, columns] > 0.5
        flip_codes = torch.stack([apply_sliders(z0, vectors, {a: -2.0 if has else 2.0})
                                  for a, has in zip(FLIPPED, shows.tolist())])

        def flips(draw) -> dict:
            """Shares of FLIPPED whose verdict flips: on draw's edited images, on the photo + change."""
            images = draw(flip_codes)
            on_photo = (x + images - draw(z0[None])).clamp(-1, 1)
            p = probabilities(net, torch.cat([images, on_photo]))
            turned = [bool((p[k, c] > 0.5) != has) for k, (c, has) in
                      enumerate(zip(columns * 2, shows.tolist() * 2))]
            n = len(FLIPPED)
            return {"flips_g": sum(turned[:n]) / n, "flips_photo": sum(turned[n:]) / n,
                    "flipped": {a: [turned[k], turned[n + k]] for k, a in enumerate(FLIPPED)}}

    def row(steps, image, wall, cpu, kept=1.0):
        r = {"image": name, "threads": threads, "lr": cfg.lr, "tune_from": cfg.tune_from,
             "steps": steps, "wall_s": wall, "cpu_s": cpu,
             "lpips": float(inverter.lpips(image, x).item()), "edit_kept": kept}
        if face:
            r["identity"] = float(identity_distance(descriptors(to_uint8(image), spec.face_box),
                                                    reference)[0])
        return r

    with torch.no_grad():
        rows = [row(0, model.decode(z0[None]), 0.0, 0.0)]
        if flips is not None:
            rows[0].update(flips(model.decode))
    generator = tuned_copy(model)
    paused_wall = paused_cpu = 0.0  # time spent measuring, not tuning
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for step in tune(model, generator, x, z0, inverter.lpips, cfg):
        if step.step in budgets:
            wall = time.perf_counter() - wall0 - paused_wall
            cpu = time.process_time() - cpu0 - paused_cpu
            w, c = time.perf_counter(), time.process_time()
            with torch.no_grad():
                draw = decoder(model, generator)
                kept = float((draw(edited) - draw(z0[None])).abs().mean() / change)
                rows.append(row(step.step, draw(z0[None]), wall, cpu, kept))
                if flips is not None and step.step == max(budgets):
                    rows[-1].update(flips(draw))
            paused_wall += time.perf_counter() - w
            paused_cpu += time.process_time() - c
    for r in rows:
        print(r, flush=True)
    return rows


def summary_table(rows: list[dict]) -> str:
    """Face rows at the longest budget (and untuned), averaged per tune_from: the means of LPIPS,
    seconds and the flip shares, and the share of faces kept the same person."""
    faces = [r for r in rows if "flips_g" in r and r["threads"] == rows[0]["threads"]]
    if not faces:
        return ""
    groups, untuned = {}, set()
    for r in faces:
        if r["steps"] == 0:  # each variant inverted the same face: count it once
            if r["image"] in untuned:
                continue
            untuned.add(r["image"])
        key = ("untuned" if r["steps"] == 0 else f"tuned from {r['tune_from'] or 'all'}"
               f"{' px' if r['tune_from'] else ''}, lr {r['lr']:g}")
        groups.setdefault(key, []).append(r)
    out = []
    for key, g in groups.items():
        out.append({"variant": key, "faces": len(g), "lpips": statistics.mean(r["lpips"] for r in g),
                    "kept": statistics.mean(r["identity"] < 0.6 for r in g),
                    "wall_s": statistics.median(r["wall_s"] for r in g),
                    "flips_g": statistics.mean(r["flips_g"] for r in g),
                    "flips_photo": statistics.mean(r["flips_photo"] for r in g)})
    return ("\n**Faces, per variant** (means over the faces; seconds: median):\n\n"
            + markdown_table(out, [("variant", "variant"), ("faces", "faces"), ("lpips", "LPIPS"),
                                   ("kept", "same person"), ("wall_s", "tuning s"),
                                   ("flips_g", "flips, G's image"),
                                   ("flips_photo", "flips, photo + change")]))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--faces", type=int, default=5, help="held-out CelebA faces besides the astronaut")
    p.add_argument("--products", type=int, default=5, help="Fashion-MNIST test images")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--lr", type=float, nargs="+", default=[TuneConfig().lr])
    p.add_argument("--tune-from", type=int, nargs="+", default=[TuneConfig().tune_from],
                   help="TuneConfig.tune_from values: tune the layers drawing maps of this many "
                   "pixels or more (0: all)")
    p.add_argument("--budgets", type=int, nargs="+", default=[25, 50, 75, 100, 150])
    p.add_argument("--out", default="generator_tuning", help="results' name in benchmarks/results/")
    a = p.parse_args()
    budgets = tuple(a.budgets)
    rows, before = [], beside()
    for model_name, images in (("celeba-64", faces), ("fashion-mnist-32", products)):
        model = load_model(model_name)
        inverter = Inverter.for_model(model)
        count = a.faces if model_name == "celeba-64" else a.products
        for name, x in images(model, count):
            for threads in a.threads:
                for lr in a.lr:
                    for tune_from in a.tune_from:
                        if threads != a.threads[0] and name != "astronaut":
                            continue  # the other thread counts: the astronaut only
                        cfg = TuneConfig(steps=max(budgets), lr=lr, tune_from=tune_from)
                        rows += [dict(r, model=model_name)
                                 for r in run_one(model, inverter, name, x, threads, cfg, budgets)]
    after = beside()
    m = machine()
    md = (f"# Per-photo generator tuning: time and result per step budget\n\n"
          f"`OMP_NUM_THREADS=1 python -m benchmarks.generator_tuning --faces {a.faces} --products "
          f"{a.products} --threads {' '.join(map(str, a.threads))} --lr {' '.join(map(str, a.lr))} "
          f"--tune-from {' '.join(map(str, a.tune_from))} "
          f"--budgets {' '.join(map(str, budgets))} --out {a.out}`; TuneConfig defaults but the "
          f"step budget, the learning rate and the size tuning starts from. Seconds from the first tuning step (the inversion "
          f"before it not counted); CPU seconds are the process's, all threads. Identity: dlib "
          f"distance to the photo's face (under 0.6: the same person); edit kept: the sliders' "
          f"change drawn by the tuned generator as a share of the original's; steps 0 = the "
          f"inversion alone.\n\n"
          + markdown_table(rows, [("model", "model"), ("image", "image"), ("threads", "threads"),
                                  ("lr", "lr"), ("tune_from", "tune from px"), ("steps", "steps"),
                                  ("wall_s", "wall s"), ("cpu_s", "CPU s"), ("lpips", "LPIPS"),
                                  ("identity", "identity"), ("edit_kept", "edit kept"),
                                  ("flips_g", "flips, tuned G"),
                                  ("flips_photo", "flips, photo + change")])
          + summary_table(rows)
          + f"\nBeside it, before: load {before['loadavg']}, {before['busiest'][:3]}; after: load "
            f"{after['loadavg']}, {after['busiest'][:3]}\n\n"
          + f"{footer(m)}")
    write_results(a.out, {"machine": m, "beside": {"before": before, "after": after}, "rows": rows},
                  md)


if __name__ == "__main__":
    main()
