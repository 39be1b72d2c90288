"""Training throughput (images/s) at 32 px, batch 64 (global), on this machine.

Configurations, each in a fresh process, alternated over rounds so they share the machine's state:
  1 process with all cores' threads; 1 process, 1 thread; torchrun with 2 processes (gloo, 1
  thread each, 32 images per process). Shipped architecture and objective (DCGAN width 64, hinge).

    .venv/bin/python -m benchmarks.training_throughput [--steps 60] [--rounds 2]

Writes benchmarks/results/training_throughput.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 64


def worker(steps: int, warmup: int, out: str) -> None:
    """Time `steps` training steps after `warmup`; rank 0 writes the step times to `out`."""
    import torch

    from training.data import load_fashion_mnist
    from training.loop import TrainConfig, Trainer, init_distributed, pick_device
    from training.networks import GANConfig

    cfg = TrainConfig(gan=GANConfig(), batch_size=BATCH, steps=10**9, device="cpu")
    info = init_distributed(pick_device("cpu"))
    trainer = Trainer(cfg, load_fashion_mnist("train", 32), tempfile.mkdtemp(), dist_info=info)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        trainer.train_step()
        if info.world > 1:
            torch.distributed.barrier()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    if info.main:
        Path(out).write_text(json.dumps({"times": times, "threads": torch.get_num_threads(),
                                         "world": info.world}))


def run_config(kind: str, steps: int, warmup: int) -> dict:
    out = tempfile.mktemp(suffix=".json")
    script = [__file__, "--worker", "--steps", str(steps), "--warmup", str(warmup), "--out", out]
    env = dict(os.environ)
    if kind == "1 process, 1 thread":
        env["OMP_NUM_THREADS"] = "1"
        cmd = [sys.executable, *script]
    elif kind == "torchrun, 2 processes":
        env["OMP_NUM_THREADS"] = "1"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               *script]
    else:
        env.pop("OMP_NUM_THREADS", None)
        cmd = [sys.executable, *script]
    subprocess.run(cmd, env=env, check=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(Path(out).read_text())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--worker", action="store_true")
    p.add_argument("--out")
    a = p.parse_args()
    if a.worker:
        worker(a.steps, a.warmup, a.out)
        return
    from benchmarks.common import footer, machine, markdown_table, write_results

    kinds = ["1 process, all threads", "1 process, 1 thread", "torchrun, 2 processes"]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    meta: dict[str, dict] = {}
    for _ in range(a.rounds):
        for k in kinds:
            r = run_config(k, a.steps, a.warmup)
            times[k] += r["times"]
            meta[k] = {"threads_per_process": r["threads"], "processes": r["world"]}
    base = statistics.median(times[kinds[0]])
    rows = []
    for k in kinds:
        med = statistics.median(times[k])
        rows.append({"config": k, **meta[k], "median_step_s": med, "p90_step_s":
                     statistics.quantiles(times[k], n=10)[-1], "images_per_s": BATCH / med,
                     "speed_vs_1_process": base / med, "steps_timed": len(times[k])})
    md = (f"# Training throughput, 32 px, batch {BATCH}\n\nDCGAN width 64, hinge loss, CPU. "
          f"`python -m benchmarks.training_throughput --steps {a.steps} --rounds {a.rounds}`\n\n"
          + markdown_table(rows, [("config", "configuration"), ("processes", "processes"),
                                  ("threads_per_process", "threads each"),
                                  ("median_step_s", "median s/step"), ("p90_step_s", "p90 s/step"),
                                  ("images_per_s", "images/s"),
                                  ("speed_vs_1_process", "vs 1 process")]))
    m = machine()
    md += f"\n{footer(m)}"
    write_results("training_throughput", {"machine": m, "batch": BATCH, "rows": rows}, md)


if __name__ == "__main__":
    main()
