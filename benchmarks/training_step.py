"""Seconds per training step at 32 px, batch 64, for the generator/discriminator pairs, with and
without each candidate speed trick, side by side in one run (issue 13, part 3).

Configurations (width 64, hinge loss, CPU, all threads):
  dcgan+dcgan          today's networks, no augmentation
  dcgan+projected      DCGAN G, projected D (AlexNet at 64 px), DiffAugment translation,cutout,color
  style+projected      style G, projected D, same augmentation
Variants, each one change from the configuration as shipped ("as shipped"):
  channels_last        every network's weights and activations channels-last
  projected D channels_last  only the projected D's activations into AlexNet channels-last
  AlexNet at 128 px    the projected D reading 128 px instead of 64 (cost of a larger resize)
  torch.compile        D and G training calls compiled (the first step, with compiling, apart)
  bf16 autocast        bfloat16 autocast on the CPU
The variants of one configuration are timed step by step in turn (A, B, C, A, B, C, ...), so the
load of other users of this shared machine falls on all of them alike; medians after warm-up.
bf16 is timed for a few steps only (it is many times slower on this AVX2 CPU without AMX or
avx512_bf16), and torch.compile on dcgan+dcgan only (compiling the larger pairs takes minutes).
Data loading is timed on its own: its share of a step bounds what moving it off the critical path
could win. A torch.profiler table of the top operators per configuration is written too. Lazy
regularisation has nothing to save: the loop has no R1 term (hinge + spectral norm; Projected GAN
uses no R1 either), and wgan-gp's gradient penalty is part of that objective's definition.

    .venv/bin/python -m benchmarks.training_step [--steps 10] [--warmup 2] [--compile]

Writes benchmarks/results/training_step.{json,md}.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from dataclasses import replace

import torch

from training.data import DataError, ImageSet, load_fashion_mnist
from training.loop import TrainConfig, Trainer
from training.networks import GANConfig

BATCH = 64
AUGMENT = ("translation", "cutout", "color")
CONFIGS = {
    "dcgan+dcgan": TrainConfig(gan=GANConfig(), batch_size=BATCH, device="cpu"),
    "dcgan+projected": TrainConfig(gan=GANConfig(discriminator="projected"), batch_size=BATCH,
                                   augment=AUGMENT, device="cpu"),
    "style+projected": TrainConfig(gan=GANConfig(generator="style", discriminator="projected"),
                                   batch_size=BATCH, augment=AUGMENT, device="cpu"),
}


def load_data() -> tuple[ImageSet, str]:
    try:
        return load_fashion_mnist("train", 32), "fashion-mnist"
    except DataError:  # no Debian package here: random images cost the same per step
        g = torch.Generator().manual_seed(0)
        images = torch.randint(0, 256, (4096, 32, 32, 1), dtype=torch.uint8, generator=g)
        return ImageSet(images, "synthetic"), "synthetic (Fashion-MNIST not installed)"


class TrickTrainer(Trainer):
    """The Trainer with one variant switched on from outside (the loop itself is unchanged)."""

    def __init__(self, cfg: TrainConfig, data: ImageSet, trick: str):
        super().__init__(cfg, data, tempfile.mkdtemp())
        self.trick = trick
        if trick == "channels_last":
            for net in (self.G, self.D, self.G_ema):
                net.to(memory_format=torch.channels_last)
        elif trick == "projected D channels_last":
            self.D.channels_last = True
        elif trick == "compile":
            self.G_train, self.D_train = torch.compile(self.G), torch.compile(self.D)

    def _autocast(self):
        if self.trick == "bf16 autocast":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def variants(name: str, use_compile: bool) -> list[tuple[str, TrainConfig]]:
    """(variant, config) pairs timed in turn; the variant names a TrickTrainer trick."""
    cfg = CONFIGS[name]
    out = [("as shipped", cfg), ("channels_last", cfg)]
    if cfg.gan.discriminator == "projected":
        out += [("projected D channels_last", cfg),
                ("AlexNet at 128 px", replace(cfg, gan=replace(cfg.gan, feature_size=128)))]
    if use_compile and name == "dcgan+dcgan":
        out.append(("torch.compile", cfg))
    return out


def time_interleaved(trainers: dict[str, Trainer], steps: int, warmup: int) -> dict[str, dict]:
    """Per variant: the seconds of each timed step, and of the first step (with any compiling)."""
    out = {k: {"times": [], "first_s": 0.0} for k in trainers}
    for i in range(warmup + steps):
        for k, t in trainers.items():
            t0 = time.perf_counter()
            t.train_step()
            dt = time.perf_counter() - t0
            if i == 0:
                out[k]["first_s"] = dt
            elif i >= warmup:
                out[k]["times"].append(dt)
    return out


def data_seconds(trainer: Trainer, n: int = 20) -> float:
    """Median seconds to draw one step's real batch (indices + uint8 -> float)."""
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        trainer.data.batch(trainer.batch_indices(i, 0), trainer.device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def profile_table(trainer: Trainer, steps: int = 3) -> list[dict]:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            trainer.train_step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [{"op": e.key, "self_ms_per_step": e.self_cpu_time_total / 1000 / steps,
             "share": e.self_cpu_time_total / total} for e in events[:8]]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--bf16-steps", type=int, default=2)
    p.add_argument("--compile", action="store_true", help="also time torch.compile (a minute)")
    a = p.parse_args()
    from benchmarks.common import footer, machine, markdown_table, write_results

    data, data_name = load_data()
    rows, profiles = [], {}
    for name in CONFIGS:
        trainers = {k: TrickTrainer(cfg, data, "compile" if k == "torch.compile" else k)
                    for k, cfg in variants(name, a.compile)}
        if name == "dcgan+dcgan":
            trainers["bf16 autocast"] = TrickTrainer(CONFIGS[name], data, "bf16 autocast")
        bf16 = trainers.pop("bf16 autocast", None)
        timed = time_interleaved(trainers, a.steps, a.warmup)
        if bf16 is not None:
            timed.update(time_interleaved({"bf16 autocast": bf16}, a.bf16_steps, 1))
        base = statistics.median(timed["as shipped"]["times"])
        for k, r in timed.items():
            med = statistics.median(r["times"])
            rows.append({"config": name, "variant": k, "median_step_s": med,
                         "min_step_s": min(r["times"]), "vs_shipped": base / med,
                         "first_step_s": r["first_s"], "steps_timed": len(r["times"])})
            print(f"{name:16s} {k:18s} {med:.3f} s/step (min {min(r['times']):.3f})", flush=True)
        rows.append({"config": name, "variant": "(data batch alone)",
                     "median_step_s": data_seconds(trainers["as shipped"])})
        profiles[name] = profile_table(trainers["as shipped"])
    md = (f"# Seconds per training step, 32 px, batch {BATCH}\n\nWidth 64, hinge loss, CPU, "
          f"{torch.get_num_threads()} threads, data: {data_name}. Variants of one configuration "
          f"timed in turn, step by step; median of {a.steps} steps after {a.warmup} warm-up steps "
          f"(bf16: {a.bf16_steps} steps). `vs shipped` > 1 is faster than the configuration as "
          f"shipped (no trick adopted yet). `first step` includes "
          f"compiling where there is any. The machine is shared: compare rows within a "
          f"configuration, and the min column too.\n\n"
          f"`python -m benchmarks.training_step --steps {a.steps} --warmup {a.warmup}"
          f"{' --compile' if a.compile else ''}`\n\n"
          + markdown_table(rows, [("config", "G+D"), ("variant", "variant"),
                                  ("median_step_s", "median s/step"), ("min_step_s", "min s/step"),
                                  ("vs_shipped", "vs shipped"), ("first_step_s", "first step s")]))
    for name, table in profiles.items():
        md += f"\n## Profile, {name} as shipped (self CPU time over 3 steps, top operators)\n\n"
        md += markdown_table(table, [("op", "operator"), ("self_ms_per_step", "ms/step"),
                                     ("share", "share")])
    m = machine()
    md += f"\n{footer(m)}"
    write_results("training_step", {"machine": m, "batch": BATCH, "data": data_name,
                                    "rows": rows, "profiles": profiles}, md)


if __name__ == "__main__":
    main()
