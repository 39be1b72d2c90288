"""What point drags add to a picture: an offset on one of the generator's feature maps
(FeatureOffset), drawn whenever an edited state is drawn (decode, drawing), and the feature map
it lies on (feature_module). A drag state's offset stays part of the edit: strokes, warps, region
solves and exports after a drag all draw through it (editing.drag makes the offsets)."""
from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from training.errors import UserError
from training.modelfile import GANModel


class DragError(UserError):
    """Drag points or a drag mask that cannot be used; the message says which and why."""


@dataclass(frozen=True, eq=False)
class FeatureOffset:
    """What drags added to the generator's feature map at 1 / 2**depth of the output size: its
    values (C, h, h), added to that map's output whenever an edited state is drawn (decode)."""

    depth: int
    values: torch.Tensor  # (C, h, h)

    def to_dict(self) -> dict:
        """JSON-ready and exact: the float32 values as base64 (a quarter the size of a list)."""
        data = self.values.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        return {"depth": self.depth, "shape": list(self.values.shape),
                "float32_base64": base64.b64encode(data).decode("ascii")}

    @classmethod
    def from_dict(cls, d: dict, model: GANModel | None = None) -> "FeatureOffset":
        """The offset from its dict; DragError if it is malformed or (given `model`) does not fit
        that model's feature map."""
        try:
            depth, shape = int(d["depth"]), [int(n) for n in d["shape"]]
            data = base64.b64decode(d["float32_base64"], validate=True)
            values = torch.from_numpy(np.frombuffer(data, "<f4").astype(np.float32).reshape(shape))
        except (KeyError, TypeError, ValueError) as e:
            raise DragError(f"malformed drag offset: {e}") from e
        if len(shape) != 3 or not torch.isfinite(values).all():
            raise DragError(f"malformed drag offset: a (C, h, h) map of finite numbers, not {shape}")
        offset = cls(depth, values)
        if model is not None:
            expected = offset_shape(model, depth)
            if tuple(shape) != expected:
                raise DragError(f"a drag offset of shape {tuple(shape)} does not fit {model.name}'s "
                                f"feature map at 1/{2 ** depth} ({expected})")
        return offset


def feature_module(generator: nn.Module, depth: int = 1) -> nn.Module:
    """The generator's block whose output is the feature map drags work on: the last one at
    1 / 2**depth of the output resolution (DCGAN: the ReLU after that transposed convolution; style
    generator: the second layer at that resolution). Small enough for a CPU, fine enough, enlarged
    bilinearly, for 1-pixel tracking."""
    from training.networks import Generator
    from training.style import StyleGenerator

    if isinstance(generator, Generator):
        blocks = generator.blocks  # (ConvT, BN, ReLU) per doubling, then ConvT, Tanh at R
        if 3 * depth + 2 > len(blocks):
            raise DragError(f"this generator has no feature map at 1/{2 ** depth} of its size")
        return blocks[-3 * depth]
    if isinstance(generator, StyleGenerator):
        layers = generator.synthesis_network.layers  # two per resolution after the first at 4x4
        if 2 * depth + 1 > len(layers):
            raise DragError(f"this generator has no feature map at 1/{2 ** depth} of its size")
        return layers[-2 * depth - 1]
    raise DragError(f"dragging does not know the layers of a {type(generator).__name__}")


class OffsetAdder:
    """While registered, adds `values` (1, C, h, h) to a module's output in the registering thread
    only (the editor's preview decodes with the same generator in another thread meanwhile)."""

    def __init__(self, module: nn.Module, values: torch.Tensor):
        self.values = values
        self._thread = threading.get_ident()
        self._hook = module.register_forward_hook(self._add)

    def _add(self, module, inputs, output):
        if threading.get_ident() == self._thread:
            return output + self.values
        return None

    def close(self) -> None:
        self._hook.remove()


def offset_shape(model: GANModel, depth: int) -> tuple[int, int, int]:
    """(C, h, h) of the model's feature map at 1 / 2**depth of its output (one decode to see it)."""
    box = {}
    hook = feature_module(model.generator, depth).register_forward_hook(
        lambda m, i, o: box.update(shape=tuple(o.shape[1:])))  # None: the output stays
    try:
        with torch.no_grad():
            model.decode(model.mean_code()[None])
    finally:
        hook.remove()
    return box["shape"]


def decode(model: GANModel, code: torch.Tensor, offset: FeatureOffset | None = None) -> torch.Tensor:
    """Images (B, C, R, R) of codes (B, D) drawn with a drag's feature offset (None: plain
    model.decode). Differentiable, as model.decode."""
    if offset is None:
        return model.decode(code)
    adder = OffsetAdder(feature_module(model.generator, offset.depth), offset.values[None])
    try:
        return model.decode(code)
    finally:
        adder.close()


def drawing(model: GANModel, offset: FeatureOffset | None) -> Callable[[torch.Tensor], torch.Tensor]:
    """codes (B, D) -> images (B, C, R, R) as a state with the drags' `offset` is drawn: what the
    solvers optimise through, so that a stroke after a drag is solved on the picture the user sees
    (None: model.decode itself)."""
    if offset is None:
        return model.decode
    return lambda code: decode(model, code, offset)
