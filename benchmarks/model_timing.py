"""Seconds per photo of inversion, tuning and the stroke solver for two or more models of the same
kind, interleaved photo by photo in one process, so that a model swap is timed side by side
(issue 13: "inversion and solver times within 20% of today's").

    python -m benchmarks.model_timing --models runs/ship/celeba-64-old celeba-64 --name model_timing_faces
    python -m benchmarks.model_timing --models OLD OLD NEW --scored-unfolded 0 --name NAME  # and as before

Each model inverts the same held-out test images (its own test split; models of one data set share
it) with the default hybrid, then tunes its generator to the image (inversion.tuning's defaults),
then solves a colour stroke (the default solver for the model). Medians; one torch thread for the
hybrid and the solver as well as tuning, so that nothing waits on another thread.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from editing.edit import solve_strokes, solver_config
from editing.solver import Stroke, build_constraints
from inversion.invert import BASELINE_CONFIG, DEFAULT_CONFIG, Inverter
from inversion.tuning import TuneConfig, tune_to_photo
from training.data import model_data
from training.modelfile import load_model


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def stroke_for(x: torch.Tensor) -> list[Stroke]:
    """A red-ish colour stroke across the image's middle (model pixels)."""
    r = x.shape[-1]
    color = (0.6, -0.4, -0.4) if x.shape[1] == 3 else (0.8,)
    return [Stroke("color", ((r * 0.3, r * 0.5), (r * 0.7, r * 0.5)), r / 16, color)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True, help="model names or folders")
    p.add_argument("--n", type=int, default=8, help="test images per model")
    p.add_argument("--baseline-n", type=int, default=2, help="images for the 500-step baseline")
    p.add_argument("--tune-n", type=int, default=3, help="images tuned to")
    p.add_argument("--scored-unfolded", type=int, nargs="*", default=[], metavar="I",
                   help="indices into --models whose solver scores realism with the discriminator as "
                   "trained, its spectral normalisations recomputed at every call (as before "
                   "GANModel.critic): a model's timing as it was, beside the same model's now")
    p.add_argument("--name", default="model_timing")
    a = p.parse_args()
    if min(a.n, a.baseline_n, a.tune_n) < 1:
        p.error("--n, --baseline-n and --tune-n need at least one image each")
    if any(not 0 <= i < len(a.models) for i in a.scored_unfolded):
        p.error(f"--scored-unfolded: indices into --models, 0 to {len(a.models) - 1}")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    models = [load_model(m) for m in a.models]
    for i in a.scored_unfolded:
        models[i]._cache["critic"] = models[i].discriminator  # what GANModel.critic replaced
    kinds = {(m.gan.resolution, m.gan.channels, m.config.get("data", {}).get("name")) for m in models}
    if len(kinds) > 1:  # the images come from the first model's test split
        p.error(f"the models are of different kinds (resolution, channels, data): {sorted(kinds, key=str)}")
    inverters = [Inverter.for_model(m) for m in models]
    test = model_data(models[0].config, "test", model_folder=models[0].path)
    x = test.batch(slice(0, a.n))
    times = {(i, k): [] for i in range(len(models)) for k in ("hybrid", "baseline", "tune", "solver")}
    for j in range(a.n):
        xj = x[j:j + 1]
        for i, (model, inv) in enumerate(zip(models, inverters)):
            start = time.perf_counter()
            z = inv.invert(xj, "hybrid", DEFAULT_CONFIG).z[0]
            times[i, "hybrid"].append(time.perf_counter() - start)
            if j < a.baseline_n:
                times[i, "baseline"].append(timed(lambda: inv.invert(xj, "optimize", BASELINE_CONFIG)))
            if j < a.tune_n:
                times[i, "tune"].append(timed(lambda: tune_to_photo(model, inv.lpips, xj, z, TuneConfig())))
            with torch.no_grad():
                constraints = build_constraints(stroke_for(xj), model.generator(z[None])[0])
            cfg = solver_config(model)
            times[i, "solver"].append(timed(lambda: list(solve_strokes(model, z, z, constraints, cfg))))
        print(f"image {j}: " + ", ".join(f"{models[i].model_id} hybrid {times[i, 'hybrid'][-1]:.2f} s"
                                         for i in range(len(models))), flush=True)
    rows = []
    for i, model in enumerate(models):
        row = {"model": model.model_id + (" (D unfolded, as before)" if i in a.scored_unfolded else ""),
               "steps": model.config.get("training", {}).get("steps", "")}
        for k in ("hybrid", "baseline", "tune", "solver"):
            row[k] = statistics.median(times[i, k])
            row[f"{k}_vs_first"] = row[k] / statistics.median(times[0, k])
        rows.append(row)
    m = machine()
    md = (f"# Seconds per image, {len(models)} models side by side\n\n"
          f"`python -m benchmarks.model_timing --models {' '.join(a.models)} --n {a.n} --baseline-n "
          f"{a.baseline_n} --tune-n {a.tune_n}"
          + (f" --scored-unfolded {' '.join(map(str, a.scored_unfolded))}" if a.scored_unfolded else "")
          + f" --name {a.name}`. Interleaved image by image, one torch "
          f"thread; medians over {a.n} held-out test images (hybrid and solver), {a.baseline_n} "
          f"(500-step baseline) and {a.tune_n} (tuning, {TuneConfig().steps} steps). Solver: one colour "
          f"stroke, the model's default solver settings. *x first*: against the first model.\n\n"
          + markdown_table(rows, [("model", "model"), ("steps", "training steps"),
                                  ("hybrid", "hybrid s"), ("hybrid_vs_first", "x first"),
                                  ("baseline", "500 steps s"), ("baseline_vs_first", "x first"),
                                  ("tune", "tuning s"), ("tune_vs_first", "x first"),
                                  ("solver", "solver s"), ("solver_vs_first", "x first")])
          + f"\n{footer(m)}")
    write_results(a.name, {"machine": m, "args": vars(a), "rows": rows}, md)


if __name__ == "__main__":
    main()
