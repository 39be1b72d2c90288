"""Animations of codes carried back onto photos: a morph between two photos' codes, or a sweep
along one slider, written as animated WebP or GIF (Pillow) or MP4 (OpenCV's bundled FFmpeg,
MPEG-4 part 2; no download).

Every frame is an edit like any other (editing.export.render_edit): the change G(z_t) - G(z0)
carried back onto the photo at its own size, so the background and everything the model does not
see stay the photo's own.

- Sweep: z_t = z + a_t * v for a_t from `low` to `high` (default -3..+3 in units of the codes'
  spread, as the sliders), and back, so the animation loops without a jump.
- Morph from photo A's code to photo B's, linear in the code: onto "first", every frame is A's
  photo carrying G(z_t) - G(z_A); onto "each", frame t blends A's photo carrying G(z_t) - G(z_A)
  with B's (resized to A's size) carrying G(z_t) - G(z_B), weighted by t: each carried back onto
  its own photo's frame.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import torch
from PIL import Image

from editing.export import render_edit
from editing.landing import moves_hair
from editing.region import confine
from editing.vectors import AttributeVector, apply_sliders
from inversion.framing import DomainMapping
from training.errors import UserError
from training.fileio import atomic_path
from training.modelfile import GANModel

ANIMATION_FORMATS = (".webp", ".gif", ".mp4")
ONTO = ("first", "each")


class AnimationError(UserError):
    """An animation that cannot be made or written as asked."""


def animation_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in ANIMATION_FORMATS:
        raise AnimationError(f"cannot write an animation to {Path(path).name}: choose a .webp, .gif "
                             f"or .mp4 file name")
    return suffix


def sweep_values(frames: int, low: float = -3.0, high: float = 3.0) -> list[float]:
    """`frames` slider values from low to high and back (a loop that never jumps): 0 first."""
    if frames < 2:
        raise AnimationError("an animation needs at least 2 frames")
    t = np.sin(np.linspace(0, 2 * np.pi, frames, endpoint=False))  # 0 -> 1 -> 0 -> -1 -> 0
    mid, half = (high + low) / 2, (high - low) / 2
    return [float(mid + half * v) for v in t]


def sweep_frames(model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor,
                 code: torch.Tensor, vectors: dict[str, AttributeVector], name: str, frames: int,
                 low: float = -3.0, high: float = 3.0,
                 region: np.ndarray | None = None, offset=None, strokes=(),
                 outside: np.ndarray | None = None, base_offset=None, hair: bool = False,
                 z_slid: torch.Tensor | None = None, layers: tuple = ()) -> Iterator[np.ndarray]:
    """Photo frames (H, W, 3) uint8 of `code` with slider `name` swept from low to high and back
    (on top of the code's own edit, drawn with its drags' `offset` if any, landing within its
    `strokes`' reach too), each carried back from z0 (drawn with `base_offset`: after a drag,
    `pixels` is the photo the drag moved and z0 the code it ended at, editing.edits.recipe_layers);
    with a `region` (R, R) the change lands only inside it, `outside` it the edit the region was
    painted on (None: `pixels`), as on the screen and in the export (editing.region); `hair`: the
    code's own edit moves a hair slider (a face's frames land on the photo's hair too, as when the
    swept slider is one); `z_slid`: the code the code's own sliders alone reach from z0 (None: it
    moves none), which the swept slider moves too: an unaligned photo's colour strokes land on that
    code's edit (editing.landing.object_reach); `layers`, the codes its first strokes land
    (editing.layers.layered_bands), which the swept slider moves too."""
    if name not in vectors:
        raise AnimationError(f"no slider {name!r} for {model.name}; it has: {', '.join(vectors) or 'none'}")
    for a in sweep_values(frames, low, high):
        z = apply_sliders(code.reshape(-1), vectors, {name: a})
        slid = None if z_slid is None and a == 0 else apply_sliders(  # as the state at each value, by
            (z0 if z_slid is None else z_slid).reshape(-1), vectors, {name: a}, ref=code.reshape(-1))  # z's offset
        lower = tuple(apply_sliders(c.reshape(-1), vectors, {name: a}, ref=code.reshape(-1)) for c in layers)
        frame = render_edit(model, pixels, mapping, z0, z, offset=offset, strokes=strokes,
                            base_offset=base_offset, hair=hair or moves_hair({name: 1.0}), z_slid=slid,
                            layers=lower)[0]
        yield frame if region is None else confine(pixels if outside is None else outside, frame, region,
                                                   mapping)


def morph_frames(model: GANModel, a: tuple[np.ndarray, DomainMapping, torch.Tensor],
                 b: tuple[np.ndarray, DomainMapping, torch.Tensor], frames: int,
                 onto: str = "first") -> Iterator[np.ndarray]:
    """Photo frames from photo A's code to photo B's; a and b are (pixels, mapping, code)."""
    if onto not in ONTO:
        raise AnimationError(f"onto must be one of {', '.join(ONTO)}, not {onto!r}")
    if frames < 2:
        raise AnimationError("an animation needs at least 2 frames")
    (pa, ma, za), (pb, mb, zb) = a, b
    za, zb = za.reshape(-1), zb.reshape(-1)
    if onto == "each":
        h, w = pa.shape[:2]
        factor = (w / pb.shape[1], h / pb.shape[0])
        pb = cv2.resize(pb, (w, h), interpolation=cv2.INTER_AREA)
        mb = mb.scaled(factor[0]) if abs(factor[0] - factor[1]) < 1e-3 else None
        if mb is None:
            raise AnimationError("to morph onto each photo, the photos need the same shape "
                                 "(width to height); use onto first")
    for t in np.linspace(0.0, 1.0, frames):
        z = torch.lerp(za, zb, float(t))
        frame = render_edit(model, pa, ma, za, z)[0]
        if onto == "each":
            other = render_edit(model, pb, mb, zb, z)[0]
            frame = np.clip(np.rint((1 - t) * frame + t * other), 0, 255).astype(np.uint8)
        yield frame


def write_animation(frames: list[np.ndarray], path: str | os.PathLike, fps: float = 12.0,
                    quality: int = 90) -> None:
    """Write frames (H, W, 3) uint8 as a looping animation, atomically; the format follows the name
    (Pillow merges identical consecutive frames of a GIF or WebP into one that shows longer)."""
    suffix = animation_format(path)
    if not frames:
        raise AnimationError("no frames to write")
    if fps <= 0:
        raise AnimationError(f"frames per second must be positive, not {fps}")
    with atomic_path(Path(path)) as tmp:
        if suffix == ".mp4":
            h, w = frames[0].shape[:2]
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            if not writer.isOpened():
                raise AnimationError("this OpenCV cannot write MP4 here; write .webp or .gif instead")
            for f in frames:
                writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            writer.release()
            return
        images = [Image.fromarray(f) for f in frames]
        duration = int(round(1000 / fps))
        if suffix == ".gif":
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                           duration=duration, loop=0, optimize=False)
        else:
            images[0].save(tmp, format="WEBP", save_all=True, append_images=images[1:],
                           duration=duration, loop=0, quality=quality, method=4)
