"""Helpers shared by the benchmarks: machine description and writing JSON + markdown results."""
from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from training.fileio import write_bytes_atomic, write_json_atomic
from training.pixels import LUMA

RESULTS = Path(__file__).resolve().parent / "results"


def luminance(pixels: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> (...) float32 luminance levels."""
    return pixels.astype(np.float32) @ np.asarray(LUMA, np.float32)


def machine() -> dict:
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__,
            "cuda": torch.cuda.is_available(), "commit": commit,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def footer(m: dict) -> str:
    """The line under every result: where and when it was measured (m from machine())."""
    return f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['date']}, commit {m['commit']}\n"


def markdown_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """rows of dicts -> a markdown table with (key, header) columns; floats to 3 significant digits."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)
    lines = ["| " + " | ".join(h for _, h in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(k, "")) for k, _ in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def stack_rows(strips: list[np.ndarray], fill: int = 255) -> np.ndarray:
    """Pictures (H, W, 3) uint8 one under another, each padded with `fill` (white) to the widest."""
    width = max(s.shape[1] for s in strips)
    return np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)), constant_values=fill)
                           for s in strips], 0)


def write_results(name: str, data: dict, markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json_atomic(RESULTS / f"{name}.json", data)
    write_bytes_atomic(RESULTS / f"{name}.md", markdown.encode("utf-8"))
    print(markdown)
