"""Pure rendering for the editor: code -> image on screen. No Qt here.

The screen shows the photo with the change G(z) - G(z0) carried back (editing.compositing.paste_back),
kept inside the state's region if it has one (editing.region.confine; outside it, the state the
region was painted on: `Outside`); after a drag, onto the frame of the state the drag started on,
moved as the drag moved things, the change measured from the drag's end (editing.motion: `Ground`);
an object's colour strokes each landing the code that followed them within their bands
(Snapshot.layers: editing.layers.layered_bands), at display size (the photo
scaled to at most `max_side` pixels), which keeps slider previews fast on big photos; the export
renders the same change at the photo's full size.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
import torch

from editing.compositing import MASK_THRESHOLD, paste_back
from editing.landing import (face_reaches, face_region_lands, lands_in_bands, layered, moves_hair,
                             moves_sliders)
from editing.layers import drawn_layers, layered_bands
from editing.motion import Motion
from editing.offset import FeatureOffset, decode
from editing.region import confine
from editing.slider_notes import asks_kind
from editor.polyline import clip_to_square, length
from inversion.framing import DomainMapping, DomainSpec, framed
from training.modelfile import GANModel
from training.pixels import to_uint8

DISPLAY_MAX_SIDE = 1024  # photos larger than this are shown (and previewed) scaled down
FRAMES = 16  # display frames a Renderer keeps: what regions keep outside, what drags moved


def rgb_pixels(x: torch.Tensor) -> np.ndarray:
    """A model image (C, H, W) in [-1, 1] -> (H, W, 3) uint8 for the screen (grey repeated)."""
    img = to_uint8(x)
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


@dataclass(frozen=True, eq=False)
class Outside:
    """What a region keeps outside itself: the picture of the state it was painted on."""

    state: object  # that Snapshot (editor.state): the same one is rendered once
    code: torch.Tensor  # (D,) its code
    offset: FeatureOffset | None  # its drags' feature offset
    strokes: tuple  # its strokes and warps' bands (a face edit lands within their reach)
    ground: "Ground | None" = None  # what it lands on after a drag
    hair: bool = False  # it moves a hair slider: a face's edit lands on the photo's hair too
    z_slid: torch.Tensor | None = None  # the code its sliders alone reach (slid_code)
    layers: tuple = ()  # the codes its first strokes land (Snapshot.layer_codes)


@dataclass(frozen=True, eq=False)
class Ground:
    """What a state after a drag lands on (editor.state.Moved): the frame of the state the drag
    started on, moved by the drag's motion, and the picture of the code it ended at, from which
    the state's change is measured."""

    key: object  # the state's Moved: the same one is moved once
    start: object  # the Snapshot the drag started on: its frame is rendered once
    frame: Callable[[], tuple]  # Renderer.render's arguments for that frame (frame_args), found
    # only when it is not cached (a held product slider's code walks)
    motion: Motion
    end: torch.Tensor  # (D,) the code the drag ended at
    offset: FeatureOffset | None  # the drag's feature offset (the end is drawn with it)


def outside_of(snap, vectors, z0: torch.Tensor) -> Outside | None:
    """The Outside of a state (editor.state.Snapshot) with a region painted on an earlier state;
    None without a region, or for a region of an older session (the photo as opened outside)."""
    under = snap.under if snap.region is not None else None
    return None if under is None else Outside(under, under.code(vectors, z0), under.offset,
                                              under.reach_strokes, ground_of(under, vectors, z0),
                                              moves_hair(under.sliders), slid_code(under, vectors, z0),
                                              under.layer_codes(vectors, z0))


def ground_of(snap, vectors, z0: torch.Tensor) -> Ground | None:
    """The Ground of a state after a drag; None for one on the photo as opened."""
    moved = snap.moved
    return None if moved is None else Ground(moved, moved.start, lambda: frame_args(moved.start, vectors, z0),
                                             moved.motion, moved.end, snap.offset)


def slid_code(snap, vectors, z0: torch.Tensor) -> torch.Tensor | None:
    """The code a state's sliders alone reach from the code its change is measured from (z0, or
    after a drag the code the drag ended at, whose picture has the sliders of the state it started
    on): an object's colour strokes' change lands on that code's edit (editing.landing.object_reach).
    None when no slider moves from there: the state moves none, and after a drag neither did the
    state it started on (sliders set back to 0 after a drag move them back)."""
    start = None if snap.moved is None else snap.moved.start
    if not moves_sliders(snap.sliders) and (start is None or not moves_sliders(start.sliders)):
        return None
    offset = snap.code(vectors, z0) - snap.z_base  # the sliders' offset, the same from every base
    if start is None:
        return z0.reshape(-1) + offset
    return snap.moved.end.reshape(-1) + offset - (start.code(vectors, z0) - start.z_base)


def frame_args(snap, vectors, z0: torch.Tensor) -> tuple:
    """Renderer.render's arguments for a state's frame: (code, region, offset, strokes, outside,
    ground, hair, z_slid, layers)."""
    return (snap.code(vectors, z0), snap.region, snap.offset, snap.reach_strokes,
            outside_of(snap, vectors, z0), ground_of(snap, vectors, z0), moves_hair(snap.sliders),
            slid_code(snap, vectors, z0), snap.layer_codes(vectors, z0))


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
        self._frames: OrderedDict = OrderedDict()  # id(state or Moved) -> (it, its display frame)
        self._lock = threading.Lock()

    @property
    def drafts(self) -> bool:
        """Whether a draft frame can differ from the final one: an object's box crop, whose
        outline the carry-back follows (editing.outline_flow); an aligned face's or a whole
        image's carry-back is the same either way."""
        return not self.mapping.affine and not self.mapping.whole_image

    def rebased(self, z0: torch.Tensor) -> "Renderer":
        """The same photo rendered against another original code (an inversion refining)."""
        other = copy.copy(self)
        other.z0 = z0.reshape(-1)
        with torch.no_grad():
            other.before = self.model.decode(other.z0[None])[0]
        other._frames, other._lock = OrderedDict(), threading.Lock()
        return other

    @torch.no_grad()
    def model_image(self, z: torch.Tensor, offset: FeatureOffset | None = None) -> torch.Tensor:
        """G(z) (C, R, R) in [-1, 1], drawn with the drags' feature offset if there is one."""
        return decode(self.model, z.reshape(1, -1), offset)[0]

    @torch.no_grad()
    def display(self, z: torch.Tensor) -> np.ndarray:
        """The photo at display size with the edit from z0 to z carried back, (h, w, 3) uint8."""
        return self.render(z)[0]

    @torch.no_grad()
    def render(self, z: torch.Tensor, region: torch.Tensor | None = None,
               offset: FeatureOffset | None = None, strokes: tuple = (),
               outside: Outside | None = None, ground: Ground | None = None,
               hair: bool = False, z_slid: torch.Tensor | None = None, layers: tuple = (),
               draft: bool = False) -> tuple[np.ndarray, torch.Tensor]:
        """(display, G(z)): one frame of the preview, decoding z once (with the drags' `offset`);
        with a `region` (R, R), the edit kept only inside it, as the export keeps it
        (editing.region.confine), `outside` it the state it was painted on (None: the photo); a
        face edit lands within the `strokes`' reach too, as exported, and with `hair` (a hair
        slider moved) on the photo's hair; an object's colour strokes' within their bands, on top
        of the edit of the sliders alone (`z_slid`, slid_code; editing.landing.object_reach), the
        first of them each landing the code that followed it (`layers`, Snapshot.layer_codes;
        editing.layers.layered_bands); after a drag, on its `ground` (None: the photo). A
        `draft` skips moving the photo along an object's moved outline (editing.outline_flow: a
        few milliseconds a frame), as a slider's frames do while it moves (editor.preview)."""
        image = self.model_image(z, offset)
        reach, colour_reaches = face_reaches(strokes, self.mapping, image.shape[0],  # as the export
                                             sliders_moved=z_slid is not None)
        slid = layered(reach, self.mapping, z_slid)
        under = None if slid is None else self.model_image(slid, offset)
        reach, lower = layered_bands(reach, layers, z)
        lower = drawn_layers(lower, lambda codes: decode(self.model, codes, offset))
        pixels, before = self.ground_pixels(ground, (z, offset, image))
        out, _ = paste_back(pixels, self.display_mapping, before, image, MASK_THRESHOLD, reach=reach,
                            hair=hair, outline=not draft, colour_reaches=colour_reaches, under=under,
                            layers=lower, keep_beneath=True,
                            face=face_region_lands(strokes, self.mapping, sliders_moved=z_slid is not None))
        if region is not None:
            out = confine(self.outside_pixels(outside), out, region.numpy(), self.display_mapping)
        return out, image

    def _cached(self, key, make=None):
        """The frame cached for `key` (a state or a Moved), made by `make()` when it is not (None
        without `make`). The least recently used goes first: a drag's start frame, used at every
        step, stays while the steps' frames come and go."""
        with self._lock:
            hit = self._frames.get(id(key))
            if hit is not None and hit[0] is key:
                self._frames.move_to_end(id(key))
                return hit[1]
        if make is None:
            return None
        value = make()
        with self._lock:
            self._frames[id(key)] = (key, value)  # the key kept alive: its id is not reused
            while len(self._frames) > FRAMES:
                self._frames.popitem(last=False)
        return value

    def outside_pixels(self, outside: Outside | None) -> np.ndarray:
        """The display frame a region keeps outside itself, rendered once per state (a slider
        moving inside the region renders one frame, not two)."""
        if outside is None:
            return self.display_pixels
        return self._cached(outside.state, lambda: self.render(outside.code, None, outside.offset,
                                                                 outside.strokes, None, outside.ground,
                                                                 outside.hair, outside.z_slid,
                                                                 outside.layers)[0])

    def ground_pixels(self, ground: Ground | None, drawn: tuple = ()) -> tuple[np.ndarray, torch.Tensor]:
        """(the display frame an edit lands on, the model's picture its change is measured
        from): the photo and G(z0), or after a drag the frame of the state it started on, moved
        (once per drag), and the picture of its end; `drawn`, (code, offset, its picture) already
        decoded (the drag's own state, shown at every step of a drag: not decoded twice)."""
        if ground is None:
            return self.display_pixels, self.before
        self._warm(ground)

        def end_image():
            if drawn and drawn[1] is ground.offset and torch.equal(drawn[0].reshape(-1),
                                                                   ground.end.reshape(-1)):
                return drawn[2]
            return self.model_image(ground.end, ground.offset)

        def moved():
            start = self._cached(ground.start, lambda: self.render(*ground.frame())[0])
            return ground.motion.move(start, self.display_mapping), end_image()

        return self._cached(ground.key, moved)

    def _warm(self, ground: Ground) -> None:
        """Render the start frames of a chain of drags not cached yet, the oldest first, each then
        finding the one it rests on cached: a session of a hundred drags reopened renders them
        one after another, not one inside another (a RecursionError after about 120)."""
        chain, g = [], ground
        while g is not None and self._cached(g.key) is None and self._cached(g.start) is None:
            args = g.frame()
            chain.append((g, args))
            g = args[5]  # the ground of the state that drag started on
        for g, args in reversed(chain):
            self._cached(g.start, lambda args=args: self.render(*args)[0])

    @torch.no_grad()
    def view(self, z: torch.Tensor, region: torch.Tensor | None = None, offset: FeatureOffset | None = None,
             strokes: tuple = (), outside: Outside | None = None, ground: Ground | None = None,
             hair: bool = False, z_slid: torch.Tensor | None = None, layers: tuple = ()) -> np.ndarray:
        """The frame of code z (as `render`) cropped to the bounding box of the model's square: what
        a candidate's thumbnail shows, the edit on the photo rather than the generator's picture."""
        return self.crop_to_square(self.render(z, region, offset, strokes, outside, ground, hair, z_slid,
                                               layers)[0])

    def crop_to_square(self, out: np.ndarray) -> np.ndarray:
        """A display frame cropped to the bounding box of the model's square (`view`)."""
        xs, ys = zip(*self.editable_outline())
        h, w = out.shape[:2]
        x0, x1 = max(0, int(min(xs))), min(w, int(np.ceil(max(xs))))
        y0, y1 = max(0, int(min(ys))), min(h, int(np.ceil(max(ys))))
        return out[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else out

    @property
    def lands_apart(self) -> bool:
        """Whether what lands on the photo is judged rather than the generator's picture: on a photo
        the model sees unaligned (a product), where the carry-back keeps the photo's own background,
        outline and pixels beyond a stroke's band, so that the picture that lands is not the
        generator's (a stroke's stripe was called "Gone too far" of the item the generator changed
        whole), and the numbers of one document's states compare (the photo at open: 0 from
        itself). An aligned face's edit lands on its region as the generator draws it (but for colour
        strokes alone, which since compositing 26 land within their reach: still judged on the
        generator's picture, an issue of its own)."""
        return not self.mapping.affine

    def as_model_sees(self, frame: np.ndarray) -> torch.Tensor:
        """A display frame as the model sees it (1, C, R, R) in [-1, 1]: what the quality shown
        measures where the generator's picture is not what lands."""
        return framed(frame, self.display_mapping, DomainSpec.for_model(self.model.config))

    def display_point_to_model(self, x: float, y: float) -> tuple[float, float]:
        """A point on the display image -> model pixels."""
        return self.mapping.to_model_point(x / self.factor, y / self.factor)

    def model_radius(self, display_radius: float) -> float:
        return display_radius / self.factor * self.mapping.scale

    def editable_outline(self) -> list[tuple[float, float]]:
        """The model's square (what strokes can change) on the display image: its four corners,
        a rotated square for an aligned face."""
        m = self.mapping.matrix
        inverse = np.linalg.inv(m[:, :2])
        r = self.mapping.resolution
        corners = np.array([(0, 0), (r, 0), (r, r), (0, r)], np.float64) - m[:, 2]
        photo = corners @ inverse.T
        return [(float(x * self.factor), float(y * self.factor)) for x, y in photo]

    def stroke_to_model(self, points: list[tuple[float, float]]) -> tuple[list[tuple[float, float]], bool]:
        """A stroke painted on the display image -> its longest part inside the model's square,
        in model pixels, and whether some of it was left out ([] when none of it lies inside)."""
        model = [self.display_point_to_model(x, y) for x, y in points]
        r = float(self.mapping.resolution)
        longest = max(clip_to_square(model, r), key=length, default=[])
        return longest, not all(0.0 <= x <= r and 0.0 <= y <= r for x, y in model)


def judges_landing(renderer: Renderer | None, state) -> bool:
    """Whether the quality shown of a state measures what lands (as_model_sees_it) rather than the
    generator's picture: after a drag, or on a photo the model sees unaligned."""
    return renderer is not None and (state.moved is not None or renderer.lands_apart)


def candidate_views(renderer: Renderer, frames: list, state) -> tuple[list, torch.Tensor | None]:
    """Candidates' display `frames` of `state` as their thumbnails show them, cropped to the model's
    square (Renderer.view), and where what lands is judged (judges_landing) as the model sees them,
    (K, C, R, R), which their quality measures; None elsewhere."""
    views = [renderer.crop_to_square(f) for f in frames]
    seen = torch.cat([renderer.as_model_sees(f) for f in frames]) if judges_landing(renderer, state) else None
    return views, seen


def judged_by(state, mapping, vectors=None, z0=None) -> dict[str, bool]:
    """The quality rules' allowances for a state (QualityMeter.too_far): `hair`, it moves a hair
    colour slider; `painted`, what lands of it is colour strokes within their bands alone (no
    warp's band among them, no slider moved, no drag: those land wherever they changed); `kind`, it
    asks for another kind of item than the document's code z0 shows (editing.slider_notes.asks_kind)."""
    painted = (lands_in_bands(state.reach_strokes, mapping) and not moves_sliders(state.slider_dict)
               and state.moved is None)
    return {"hair": moves_hair(state.slider_dict), "painted": painted,
            "kind": asks_kind(vectors, state.slider_dict, z0)}


def as_model_sees_it(renderer: Renderer | None, doc, vectors) -> torch.Tensor | None:
    """The document's picture on screen as the model sees it (1, C, R, R), what the quality shown
    measures where the generator's own picture is not what lands: after a drag, the photo the drag
    moved, which the generator's picture no longer reaches (it warned "no longer the photo's
    person" of a sharp, moved photo: walkthrough); on a photo the model sees unaligned
    (Renderer.lands_apart), the photo with the edit carried back. None otherwise (an aligned face:
    the generator's picture is measured then). The editor measures the preview's own frame of the
    state instead of drawing it again (editor.preview.Preview.drawn_in_full)."""
    if not judges_landing(renderer, doc.current):
        return None
    return renderer.as_model_sees(renderer.render(*frame_args(doc.current, vectors, doc.z0))[0])


def model_to_display(renderer: Renderer, x: float, y: float) -> tuple[float, float]:
    """Model pixels -> the display image's pixels (the inverse of display_point_to_model)."""
    m = np.vstack([renderer.mapping.matrix, [0.0, 0.0, 1.0]])
    px, py, _ = np.linalg.solve(m, [x, y, 1.0])
    return float(px * renderer.factor), float(py * renderer.factor)


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
