"""LPIPS perceptual distance (Zhang et al. 2018, arXiv:1801.03924), AlexNet v0.1, offline.

The network is the `lpips` package's LPIPS(net='alex'), built here with the same layers and
parameter names (`LPIPSNetwork`): importing the package imports torchvision and with it
torch._dynamo, 1.4 s on the editor's GUI thread when the first photo opened (tests check that the
two agree). Its weights (backbone and linear heads) come from assets/lpips/alex.safetensors,
converted once by inversion.convert_lpips, so nothing is downloaded and no pickle is read. Grey
images are repeated to three channels and images smaller than `min_size` are upsampled first:
AlexNet's 11x11 stride-4 first layer sees too little of a 32 px image.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from inversion.convert_lpips import LPIPS_WEIGHTS
from training.features import ALEX_CHANNELS, ALEX_CONVS, ALEX_KERNELS
from training.modelfile import ModelFormatError, load_network


class _Stages(nn.Module):
    """AlexNet's features (training.features.ALEX_CONVS) as five stages (`slice1`..`slice5`, each
    ending in the ReLU whose output LPIPS compares, its layers numbered as torchvision numbers
    them), each one's output kept."""

    def __init__(self):
        super().__init__()
        channels_in = 3
        for k, ((index, stride, padding), kernel, channels) in enumerate(
                zip(ALEX_CONVS, ALEX_KERNELS, ALEX_CHANNELS), 1):
            seq = nn.Sequential()
            if k in (2, 3):
                seq.add_module(str(index - 1), nn.MaxPool2d(3, 2))
            seq.add_module(str(index), nn.Conv2d(channels_in, channels, kernel, stride, padding))
            seq.add_module(str(index + 1), nn.ReLU())
            self.add_module(f"slice{k}", seq)
            channels_in = channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for k in range(1, 6):
            x = getattr(self, f"slice{k}")(x)
            outs.append(x)
        return outs


class _Linear(nn.Module):
    """A stage's learnt 1x1 weighting of its squared feature differences (lpips' NetLinLayer)."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Scaling(nn.Module):
    """[-1, 1] images to the inputs AlexNet was trained on (lpips' ScalingLayer)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.tensor([.458, .448, .450])[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class LPIPSNetwork(nn.Module):
    """lpips.LPIPS(net='alex') v0.1: the same parameter names (`lin0`..`lin4` and `lins` hold the
    same layers, as there) and the same distance (`forward`)."""

    def __init__(self):
        super().__init__()
        self.scaling_layer = _Scaling()
        self.net = _Stages()
        for k, c in enumerate(ALEX_CHANNELS):
            setattr(self, f"lin{k}", _Linear(c))
        self.lins = nn.ModuleList([getattr(self, f"lin{k}") for k in range(5)])

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised activations of the five stages for images (B, 3, H, W) in [-1, 1]."""
        return [unit_normalised(f) for f in self.net(self.scaling_layer(x))]

    def distance(self, fx: list[torch.Tensor], fy: list[torch.Tensor]) -> torch.Tensor:
        """(B, 1, 1, 1) distances between two images' `features`."""
        total = 0.0
        for lin, a, b in zip(self.lins, fx, fy):
            total = total + lin((a - b) ** 2).mean((2, 3), keepdim=True)
        return total

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(B, 1, 1, 1) distances of images (B, 3, H, W) in [-1, 1], as lpips.LPIPS gives them."""
        return self.distance(self.features(x), self.features(y))


def unit_normalised(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Each position's feature vector divided by its length (lpips.normalize_tensor)."""
    return features / (torch.sqrt((features ** 2).sum(dim=1, keepdim=True)) + eps)


def load_lpips_network(path: Path = LPIPS_WEIGHTS) -> LPIPSNetwork:
    """LPIPSNetwork with the shipped weights, frozen, in eval mode."""
    net = LPIPSNetwork()
    if not path.is_file():
        raise ModelFormatError(f"LPIPS weights missing: {path}; recreate them with "
                               f"`python -m inversion.convert_lpips` (see its docstring)")
    load_network(net, path)
    return net.eval().requires_grad_(False)


class LPIPS(nn.Module):
    """d(x, y) per image (B,) for x, y (B, C, H, W) in [-1, 1], grey or colour, any size.

    `features(y)` and `distance(x, feats)` split the computation so that an optimisation against a
    fixed target computes the target's features once instead of at every step.
    """

    def __init__(self, min_size: int = 64, path: Path = LPIPS_WEIGHTS):
        super().__init__()
        self.net = load_lpips_network(path)
        self.min_size = min_size

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if min(x.shape[-2:]) < self.min_size:
            scale = self.min_size / min(x.shape[-2:])
            x = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
        return x

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised AlexNet activations of the five layers, each (B, C_l, H_l, W_l)."""
        return self.net.features(self.prepare(x))

    def distance(self, x: torch.Tensor, target_features: list[torch.Tensor]) -> torch.Tensor:
        """(B,) LPIPS of x against targets given by their `features()`."""
        return self.net.distance(self.features(x), target_features).flatten()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.distance(x, self.features(y))  # (B,)
