"""An edit kept within its reach on the photo (paste_back's `reach`): on a photo the model sees
unaligned, a colour strokes' edit lands within their bands (editing.landing.object_reach), a region's
within the region; what lies beneath it is the photo, or the edit of its sliders alone, and the
strokes before, each landing its own code within its band (editing.layers). Each carry-back is asked
for only within its reach's box. Split from editing.compositing."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Callable

import numpy as np
import torch

from editing.landing import BrushBand, on_photo
from editing.patch_cache import per_patch
from inversion.framing import DomainMapping

Carry = Callable[..., tuple[np.ndarray, np.ndarray]]  # (picture, into, window) -> paste_back's (photo, mask)


def keep_within(out: np.ndarray, original: np.ndarray, reach, mapping: DomainMapping,
                mask: np.ndarray, original_mask: np.ndarray | None = None,
                before: torch.Tensor | None = None, found=False) -> None:
    """In place: `out` (H, W, 3) uint8, an edit of `original`, kept only within `reach` (R, R, model
    pixels, as editing.region.confine keeps it, or an editing.landing.BrushBand), the original
    elsewhere, bit for bit; `mask` (H, W) weighted by it (and `original_mask`, where the original
    itself changed, by the rest); a BrushBand's, given the model's picture `before`, only where
    the edit moves a pixel toward its stroke's colour (BrushBand.toward), a grey model's moving the
    colour toward the stroke's paint (BrushBand.painted). No full-size copy besides
    the weights: a large photo's export stays lean. `found`: on_photo(reach, mapping), if known."""
    if found is False:
        found = on_photo(reach, mapping)
    if found is None:
        out[...] = original
        mask[...] = 0 if original_mask is None else original_mask
        return
    top, left, weight = found
    bottom, right = top + weight.shape[0], left + weight.shape[1]
    for part in (np.s_[:top], np.s_[bottom:], np.s_[top:bottom, :left], np.s_[top:bottom, right:]):
        out[part] = original[part]
        mask[part] = 0 if original_mask is None else original_mask[part]
    box = np.s_[top:bottom, left:right]
    if before is not None and isinstance(reach, BrushBand):
        weight = weight * reach.toward(mapping, before, out[box], original[box], top, left)
    if isinstance(reach, BrushBand) and reach.paint and mapping.grey:
        out[box] = reach.painted(mapping, out[box], original[box], top, left)
    base = original[box].astype(np.float32)
    mixed = base + (out[box].astype(np.float32) - base) * weight[..., None]
    out[box] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    mask[box] *= weight
    if original_mask is not None:
        mask[box] += original_mask[box] * (1.0 - weight)


_BENEATH: OrderedDict = OrderedDict()  # what a layered edit lands on, per display frame and layers


def _picture_key(*pictures: torch.Tensor | None) -> bytes:
    """Model pictures (None: none) as a cache key: a digest of their values."""
    digest = hashlib.blake2b(digest_size=16)
    for picture in pictures:
        digest.update(b"-" if picture is None else picture.detach().float().cpu().numpy().tobytes())
    return digest.digest()


def paste_within(pixels: np.ndarray, mapping: DomainMapping, before: torch.Tensor, after: torch.Tensor,
                 reach, carry: Carry, flags: tuple, under: torch.Tensor | None = None, layers: tuple = (),
                 keep_beneath: bool = False, in_place: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """paste_back with a `reach` (see there): `after`'s edit, carried back by `carry` (paste_back
    without a reach; `flags`, its options, key the cache) within the reach's box, kept within the
    reach on what lies beneath it: `under`'s edit wherever it changed, then each of `layers`
    ((band, picture), oldest first) within its band."""
    def whole(picture: torch.Tensor, into: bool = False, within=False) -> tuple[np.ndarray, np.ndarray]:
        """`picture`'s edit carried back; only within on_photo's `within` (None: nowhere), if given."""
        window = None
        if within is not False:
            top, left, weight = within or (0, 0, np.zeros((0, 0)))
            window = (top, left, top + weight.shape[0], left + weight.shape[1])
        return carry(picture, into, window)

    found = on_photo(reach, mapping)
    out, mask = whole(after, within=found)

    def beneath(into: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """What the edit lands on beyond its reach: the sliders' edit (into `pixels` itself when
        the photo is not needed after: an export keeps two full-size copies of a large photo,
        not three), then each layer on what lies under it (a layer's frame and mask, and the
        one beneath it, held at a time)."""
        found, found_mask = (pixels, None) if under is None else whole(under, into and not layers)  # (the
        # layers carry back from the photo itself: written into, a recipe rebuilt with sliders and
        # layered strokes differed from its export by up to 18 levels)
        for band, picture in layers:
            where = on_photo(band, mapping)
            lower, lower_mask = whole(picture, within=where)
            keep_within(lower, found, band, mapping, lower_mask, found_mask, before, where)
            found, found_mask = lower, lower_mask
        return found, found_mask

    if layers and keep_beneath:  # the same for each candidate of a stroke (per_patch: a display frame's)
        key = (mapping, _picture_key(before, under, *(picture for _, picture in layers)),
               tuple(band for band, _ in layers), flags)
        beyond, beyond_mask = per_patch(_BENEATH, pixels, key, lambda: beneath(False))
    else:
        beyond, beyond_mask = beneath(in_place)
    keep_within(out, beyond, reach, mapping, mask, beyond_mask, before, found)
    if in_place:
        pixels[...] = out
        out = pixels
    return out, mask
