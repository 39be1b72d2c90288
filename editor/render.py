"""Pure rendering for the editor: code -> image on screen. No Qt here.

The screen shows the photo with the change G(z) - G(z0) carried back (editing.compositing.paste_back)
at display size (the photo scaled to at most `max_side` pixels), which keeps slider previews fast
on big photos; the export renders the same change at the photo's full size.
"""
from __future__ import annotations

import copy

import cv2
import numpy as np
import torch

from editing.compositing import MASK_THRESHOLD, paste_back
from inversion.framing import DomainMapping
from training.modelfile import GANModel
from training.pixels import to_uint8

DISPLAY_MAX_SIDE = 1024  # photos larger than this are shown (and previewed) scaled down


def rgb_pixels(x: torch.Tensor) -> np.ndarray:
    """A model image (C, H, W) in [-1, 1] -> (H, W, 3) uint8 for the screen (grey repeated)."""
    img = to_uint8(x)
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


class Renderer:
    """Renders codes of one document; holds G(z0) and the display-size photo."""

    def __init__(self, model: GANModel, pixels: np.ndarray, mapping: DomainMapping,
                 z0: torch.Tensor, max_side: int = DISPLAY_MAX_SIDE):
        self.model = model
        h, w = pixels.shape[:2]
        self.factor = min(1.0, max_side / max(h, w))
        self.pixels = pixels
        if self.factor < 1.0:
            size = (max(1, int(round(w * self.factor))), max(1, int(round(h * self.factor))))
            self.display_pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        else:
            self.display_pixels = pixels
        self.mapping = mapping
        self.display_mapping = mapping.scaled(self.factor) if self.factor < 1 else mapping
        self.z0 = z0.reshape(-1)
        with torch.no_grad():
            self.before = model.decode(self.z0[None])[0]

    def rebased(self, z0: torch.Tensor) -> "Renderer":
        """The same photo rendered against another original code (an inversion refining)."""
        other = copy.copy(self)
        other.z0 = z0.reshape(-1)
        with torch.no_grad():
            other.before = self.model.decode(other.z0[None])[0]
        return other

    @torch.no_grad()
    def model_image(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) (C, R, R) in [-1, 1]."""
        return self.model.decode(z.reshape(1, -1))[0]

    @torch.no_grad()
    def display(self, z: torch.Tensor) -> np.ndarray:
        """The photo at display size with the edit from z0 to z carried back, (h, w, 3) uint8."""
        return self.render(z)[0]

    @torch.no_grad()
    def render(self, z: torch.Tensor) -> tuple[np.ndarray, torch.Tensor]:
        """(display, G(z)): one frame of the preview, decoding z once."""
        image = self.model_image(z)
        out, _ = paste_back(self.display_pixels, self.display_mapping, self.before, image, MASK_THRESHOLD)
        return out, image

    def display_point_to_model(self, x: float, y: float) -> tuple[float, float]:
        """A point on the display image -> model pixels."""
        return self.mapping.to_model_point(x / self.factor, y / self.factor)

    def model_radius(self, display_radius: float) -> float:
        return display_radius / self.factor * self.mapping.scale


def sample_document_pixels(model: GANModel, z: torch.Tensor, scale: int = 8
                           ) -> tuple[np.ndarray, DomainMapping]:
    """A model sample as a 'photo' (R*scale square, RGB) with the mapping that fits it exactly."""
    with torch.no_grad():
        x = model.decode(z.reshape(1, -1))[0]
    r = model.gan.resolution
    img = rgb_pixels(x)
    side = r * scale
    big = cv2.resize(img, (side, side), interpolation=cv2.INTER_CUBIC)
    mapping = DomainMapping(photo_size=(side, side), box=(0.0, 0.0, float(side), float(side)),
                            resolution=r, content=r, grey=model.gan.channels == 1, invert=False,
                            background=(0.0, 0.0, 0.0), black_point=0.0, whole_image=True)
    return big, mapping
