"""LPIPS perceptual distance (Zhang et al. 2018, arXiv:1801.03924), AlexNet v0.1, offline.

The `lpips` package builds the network; its weights (backbone and linear heads) come from
assets/lpips/alex.safetensors, converted once by inversion.convert_lpips, so nothing is downloaded
and no pickle is read. Grey images are repeated to three channels and images smaller than
`min_size` are upsampled first: AlexNet's 11x11 stride-4 first layer sees too little of a 32 px image.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from inversion.convert_lpips import LPIPS_WEIGHTS
from training.modelfile import ModelFormatError, load_network


def load_lpips_network(path: Path = LPIPS_WEIGHTS) -> nn.Module:
    """lpips.LPIPS(net='alex') with the shipped weights, frozen, in eval mode."""
    import lpips

    with warnings.catch_warnings():  # torchvision's notice about its deprecated `pretrained`
        warnings.simplefilter("ignore", UserWarning)
        net = lpips.LPIPS(pretrained=False, net="alex", pnet_rand=True, verbose=False)
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
        import lpips

        outs = self.net.net(self.net.scaling_layer(self.prepare(x)))
        return [lpips.normalize_tensor(o) for o in outs]

    def distance(self, x: torch.Tensor, target_features: list[torch.Tensor]) -> torch.Tensor:
        """(B,) LPIPS of x against targets given by their `features()`."""
        total = 0.0
        for lin, fx, fy in zip(self.net.lins, self.features(x), target_features):
            total = total + lin((fx - fy) ** 2).mean((2, 3))
        return total.flatten()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.distance(x, self.features(y))  # (B,)
