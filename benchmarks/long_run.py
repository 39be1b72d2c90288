"""A long training run against the shipped model it continues (issue 13's long runs): the same
quality measures as benchmarks.generators (Frechet distance, KID, precision and recall in the
domain classifier's feature space, on the same real sets), and a 64-sample grid of each to look at.

    python -m benchmarks.long_run [--run runs/long/faces-dcgan-cont] [--shipped celeba-64] [--n 5000]
        [--model FOLDER] [--name long_run]
    python -m benchmarks.long_run --run runs/long/NAME --watch 300     # beside the training

The run's checkpoint is exported (`latent-gan export`: its EMA generator) to a temporary model
folder first, or `--model` names an export to measure instead (the best one `--watch` kept);
nothing in assets/ changes. With `--watch N`, every N steps of the running training are measured
the same way and appended to runs/long/NAME-fd.log (one JSON line per checkpoint), and the export
with the lowest Frechet distance so far is kept in runs/long/NAME-best-model: a GAN's quality
swings from one checkpoint to the next, so the one to ship is picked by measurement. The report
lists that log when there is one. Writes benchmarks/results/NAME.{json,md,png}.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.generators import Judge
from training.modelfile import load_model
from training.pixels import to_uint8

DOMAIN_OF = {3: "faces", 1: "products"}  # by the model's channels
QUALITY = [("frechet", "Frechet"), ("ratio", "x floor"), ("kid_x1000", "KID x1000"),
           ("precision", "precision"), ("recall", "recall")]  # the report's columns


def grid(model, n: int = 64) -> np.ndarray:
    """(8 rows of n / 8) samples of seed 0, as one uint8 picture."""
    with torch.no_grad():
        images = to_uint8(model.sample(n, seed=0))
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, -1)
    side = int(np.sqrt(n))
    return np.concatenate([np.concatenate(list(images[r * side:(r + 1) * side]), 1) for r in range(side)], 0)


def export(run: str | Path, out: Path) -> str:
    """Export the run's latest checkpoint to `out`; its step."""
    done = subprocess.run([sys.executable, "-m", "training.cli", "export", str(run), "--out", str(out)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"export failed: {done.stderr.strip()}")
    return done.stdout.strip().rsplit("step ", 1)[-1].rstrip(")")


def read_log(run: Path) -> tuple[Path, list[dict]]:
    """The run's --watch log (runs/long/NAME-fd.log) and its measurements so far."""
    log = run.parent / f"{run.name}-fd.log"
    return log, [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def keep_best(out: Path, best_dir: Path) -> None:
    """Make the export `out` (on the same file system) the kept one: the previous one is moved
    aside first and removed only once the new one is in its place; one left aside by a stop
    between the two moves is put back first."""
    previous = best_dir.with_name(best_dir.name + ".previous")
    if previous.exists() and not best_dir.exists():
        previous.rename(best_dir)
    shutil.rmtree(previous, ignore_errors=True)
    if best_dir.exists():
        best_dir.rename(previous)
    out.rename(best_dir)
    shutil.rmtree(previous, ignore_errors=True)


def watch(run: Path, every: int, n: int) -> None:
    """Measure the run every `every` steps while it trains (forever; stop it with Ctrl-C)."""
    from training.checkpoint import saved_step

    (log, seen), best_dir = read_log(run), run.parent / f"{run.name}-best-model"
    best = min((r["frechet"] for r in seen), default=float("inf"))
    marks, judge = {int(r["step"]) // every for r in seen}, None
    while True:
        now = saved_step(run)
        if now is not None and now // every not in marks:
            # exported under the kept folder's name (the model is called that) and at its depth
            # below the same folder two levels up: its data paths, relative to its folder, stay
            # right when it becomes the kept one
            with tempfile.TemporaryDirectory(dir=best_dir.resolve().parent.parent,
                                             prefix=".measuring-") as tmp:
                out = Path(tmp) / best_dir.name
                try:
                    step = export(run, out)
                except SystemExit as failed:  # e.g. the checkpoint replaced meanwhile: next time
                    print(failed, file=sys.stderr, flush=True)
                    time.sleep(60)
                    continue
                model = load_model(out)
                judge = judge or Judge(DOMAIN_OF[model.gan.channels], n)
                quality = {k: round(float(v), 4) for k, v in judge.quality(model.sample(n, seed=0)).items()}
                with open(log, "a") as f:
                    f.write(json.dumps({"step": int(step), **quality}) + "\n")
                marks.add(int(step) // every)
                if quality["frechet"] < best:
                    best = quality["frechet"]
                    keep_best(out, best_dir)
                print(json.dumps({"step": int(step), **quality}), flush=True)
        time.sleep(60)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", default="runs/long/faces-dcgan-cont", help="run folder with checkpoint.safetensors")
    p.add_argument("--shipped", default="celeba-64", help="the shipped model the run continues")
    p.add_argument("--n", type=int, default=5000, help="samples for the quality measures")
    p.add_argument("--model", help="an exported model folder to measure instead of the run's latest "
                   "checkpoint (e.g. runs/long/NAME-best-model)")
    p.add_argument("--name", default="long_run", help="results' name in benchmarks/results/")
    p.add_argument("--watch", type=int, metavar="STEPS", help="measure the running training every "
                   "STEPS steps, keeping the best export (see above); runs until stopped")
    a = p.parse_args()
    torch.set_num_threads(1)
    run = Path(a.run)
    if a.watch:
        return watch(run, a.watch, a.n)
    with tempfile.TemporaryDirectory() as tmp:
        if a.model:  # a model folder or name
            trained = load_model(a.model)
            step, name = str(trained.config["training"]["steps"]), Path(a.model).name
        else:
            out = Path(tmp) / "model"
            step, name = export(run, out), run.name
            trained = load_model(out)
        shipped = load_model(a.shipped)
        judge = Judge(DOMAIN_OF[shipped.gan.channels], a.n)
        rows = []
        for label, model in ((f"{a.shipped} (shipped)", shipped), (f"{name}, step {step}", trained)):
            quality = judge.quality(model.sample(a.n, seed=0))
            rows.append({"model": label, **quality})
            print(json.dumps(rows[-1]), flush=True)
        pictures = [grid(shipped), grid(trained)]
    gap = np.full((pictures[0].shape[0], 16, 3), 255, np.uint8)
    Image.fromarray(np.concatenate([pictures[0], gap, pictures[1]], 1)).save(RESULTS / f"{a.name}.png")
    log, history = read_log(run)
    m = machine()
    options = f" --model {a.model}" if a.model else ""
    md = (f"# A long run against the shipped model it continues\n\n`python -m benchmarks.long_run --run "
          f"{a.run} --shipped {a.shipped} --n {a.n}{options} --name {a.name}`: {a.n} samples "
          f"(seed 0) of each, measured as "
          f"benchmarks.generators measures them (the domain classifier's feature space, against the "
          f"held-out set; ratio: Frechet distance / the real-vs-real floor).\n\n"
          + markdown_table(rows, [("model", "model"), *QUALITY])
          + f"\n\n![64 samples, seed 0: shipped (left), the run (right)]({a.name}.png)\n\n"
          + (f"Measured while it trained (`--watch`, {log.name}), the same way:\n\n"
             + markdown_table(history, [("step", "step"), *QUALITY]) + "\n" if history else "")
          + f"{footer(m)}")
    write_results(a.name, {"machine": m, "run": a.run, "model": a.model, "step": step, "rows": rows,
                           "history": history}, md)


if __name__ == "__main__":
    main()
