"""Training checkpoints: one safetensors file holding every tensor of the training state.

Tensors: generator, discriminator, EMA generator, both optimisers' state, torch's RNG state.
Everything else (step, configs, optimiser hyper-parameters, loss history, numpy's RNG state) is JSON
in the safetensors header's metadata. No pickle anywhere, so a checkpoint is safe to share too.
Written atomically: a crash mid-write keeps the previous checkpoint. The one before the latest is
kept beside it (checkpoint.previous.safetensors), so a run whose latest checkpoint was damaged
afterwards (a full disk, a copy cut short) resumes from the previous one (`latest_checkpoint`).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from training.errors import UserError, check_version
from training.fileio import atomic_path

CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.safetensors"
PREVIOUS_NAME = "checkpoint.previous.safetensors"  # the one before; resumed from if the latest is damaged
log = logging.getLogger(__name__)


class CheckpointError(UserError):
    """A run's checkpoint is missing, damaged or from a newer version of this program."""


def flatten_optimizer(prefix: str, state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimiser state dict into tensors (flat keys) and JSON-able hyper-parameters."""
    tensors = {}
    for idx, per_param in state["state"].items():
        for key, value in per_param.items():
            tensors[f"{prefix}.state.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().clone()
    return tensors, {"param_groups": state["param_groups"]}


def unflatten_optimizer(prefix: str, tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + ".state."):
            idx, name = key[len(prefix) + 7:].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def save_checkpoint(path: str | os.PathLike, modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], meta: dict) -> None:
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for k, v in module.state_dict().items():
            tensors[f"{name}.{k}"] = v.detach().cpu().contiguous()
    opt_meta = {}
    for name, opt in optimizers.items():
        t, m = flatten_optimizer(name, opt.state_dict())
        tensors.update(t)
        opt_meta[name] = m
    tensors["rng.torch"] = torch.get_rng_state()
    np_state = np.random.get_state()
    meta = dict(meta, version=CHECKPOINT_VERSION, optimizers=opt_meta,
                rng_numpy=[np_state[0], np_state[1].tolist(), *np_state[2:]])
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"checkpoint": json.dumps(meta)})
        if _opens(path):  # the new one is complete: the latest becomes the previous one
            os.replace(path, path.with_name(PREVIOUS_NAME))  # (a damaged latest is just replaced)


def _opens(path: Path) -> bool:
    """True if `path` is a whole safetensors file (its header opens, and covers the file's length)."""
    try:
        with safe_open(str(path), framework="pt"):
            return True
    except Exception:  # noqa: BLE001 - safetensors' own error types: missing, truncated, not one
        return False


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, meta) of a checkpoint file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: is this the run folder?")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["checkpoint"])
            check_version(meta.get("version"), CHECKPOINT_VERSION, f"checkpoint {path}")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except UserError:
        raise
    except Exception as e:  # safetensors raises its own error types for a damaged file
        raise CheckpointError(f"{path} is damaged, not a readable checkpoint (truncated?): {e}") from e
    if not isinstance(meta, dict) or not isinstance(meta.get("step"), int):
        raise CheckpointError(f"the checkpoint {path} is damaged: its step is missing")
    return tensors, meta


def holds_run(folder: str | os.PathLike) -> bool:
    """True if a folder holds a training run: its latest checkpoint, or only the previous one (the
    latest lost), which a new run there would overwrite."""
    return any((Path(folder) / name).exists() for name in (CHECKPOINT_NAME, PREVIOUS_NAME))


def saved_step(run: str | os.PathLike) -> int | None:
    """The step of a run folder's latest checkpoint, read from its header alone (no tensors); None
    when there is none or it cannot be read (missing, half-written, damaged)."""
    try:
        with safe_open(str(Path(run) / CHECKPOINT_NAME), framework="pt") as f:
            return int(json.loads(f.metadata()["checkpoint"])["step"])
    except Exception:  # noqa: BLE001 - safetensors' own error types, a header without the step
        return None


def latest_checkpoint(run: str | os.PathLike) -> tuple[Path, dict[str, torch.Tensor], dict]:
    """(path, tensors, meta) of a run folder's latest readable checkpoint: checkpoint.safetensors,
    or, when that one is damaged or missing, the previous one kept beside it (with a warning
    naming the damaged file). CheckpointError names the damaged file when neither can be read."""
    run = Path(run)
    latest, previous = run / CHECKPOINT_NAME, run / PREVIOUS_NAME
    try:
        return (latest, *read_checkpoint(latest))
    except CheckpointError as damaged:
        if not previous.is_file():
            raise
        try:
            tensors, meta = read_checkpoint(previous)
        except CheckpointError:
            raise damaged from None
        log.warning("%s is damaged: using the previous checkpoint %s (step %d) instead (%s)",
                    latest, previous.name, meta["step"], damaged)
        return previous, tensors, meta


def module_state(tensors: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    return {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}


def restore_checkpoint(path: str | os.PathLike, modules: dict[str, torch.nn.Module],
                       optimizers: dict[str, torch.optim.Optimizer]) -> dict:
    """Load weights (strict), optimiser states and RNG states from a checkpoint file, or from a run
    folder's latest readable checkpoint (latest_checkpoint); return the JSON metadata."""
    tensors, meta = latest_checkpoint(path)[1:] if Path(path).is_dir() else read_checkpoint(path)
    for name, module in modules.items():
        module.load_state_dict(module_state(tensors, name), strict=True)
    for name, opt in optimizers.items():
        opt.load_state_dict(unflatten_optimizer(name, tensors, meta["optimizers"][name]))
    torch.set_rng_state(tensors["rng.torch"])
    s = meta["rng_numpy"]
    np.random.set_state((s[0], np.asarray(s[1], dtype=np.uint32), *s[2:]))
    return meta
