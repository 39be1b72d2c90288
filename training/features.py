"""Feature extractors for evaluation when no domain classifier exists (a user's own images).

ImageNet AlexNet (the backbone shipped for LPIPS in assets/lpips/alex.safetensors, loaded into
torchvision's AlexNet): images are resized to 128 px, and the global averages of the last three
convolutional layers' activations (384 + 256 + 256 = 896 values) form the feature. It is
independent of the discriminator (which a generator can learn to fool) and, unlike a classifier
trained on the same data, needs no labels; ImageNet features are what the Frechet Inception
Distance uses too, at a smaller scale.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from training.modelfile import ASSETS_DIR, ModelFormatError

ALEX_WEIGHTS = ASSETS_DIR / "lpips" / "alex.safetensors"
# lpips' names for torchvision AlexNet's five convolutions
ALEX_KEYS = {"net.slice1.0": "0", "net.slice2.3": "3", "net.slice3.6": "6", "net.slice4.8": "8",
             "net.slice5.10": "10"}
# torchvision AlexNet's convolutions: (index in `features`, stride, padding), kernel sizes and output
# channels; a max pool (3, stride 2) before the second and the third
ALEX_CONVS = ((0, 4, 2), (3, 1, 2), (6, 1, 1), (8, 1, 1), (10, 1, 1))
ALEX_KERNELS = (11, 5, 3, 3, 3)
ALEX_CHANNELS = (64, 192, 384, 256, 256)
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def alexnet_state(path: Path = ALEX_WEIGHTS) -> dict[str, torch.Tensor]:
    """The shipped ImageNet AlexNet convolutions as a state dict of torchvision's `alexnet().features`
    ("0.weight", "0.bias", ... "10.bias"), read from the LPIPS safetensors file: no download."""
    if not path.is_file():
        raise ModelFormatError(f"AlexNet weights missing: {path}; recreate them with "
                               f"`python -m inversion.convert_lpips` (see its docstring)")
    state = load_file(str(path))
    return {f"{ALEX_KEYS[k.rsplit('.', 1)[0]]}.{k.rsplit('.', 1)[1]}": v
            for k, v in state.items() if k.rsplit(".", 1)[0] in ALEX_KEYS}


class AlexNetFeatures(nn.Module):
    """images (B, C, H, W) in [-1, 1] -> features (B, 896)."""

    feature_dim = 896

    def __init__(self, path: Path = ALEX_WEIGHTS, size: int = 128):
        super().__init__()
        from torchvision.models import alexnet

        self.net = alexnet(weights=None).features
        self.net.load_state_dict(alexnet_state(path), strict=True)
        self.net.eval().requires_grad_(False)
        self.size = size

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        x = ((x + 1) / 2 - IMAGENET_MEAN) / IMAGENET_STD
        feats = []
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i in (7, 9, 11):  # ReLU after conv3, conv4, conv5
                feats.append(x.mean((2, 3)))
        return torch.cat(feats, 1)
