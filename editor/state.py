"""The editor's document: what is being edited and its history. No Qt here.

The image on screen is a pure function of a `Snapshot` (the base code, slider values and strokes)
and the photo, so undo and redo restore exactly the previous image. The current code is
`apply_sliders(z_base, sliders)`; choosing a solver candidate sets z_base so that the current code
becomes the candidate while the sliders keep their positions.

The document tells its subscribers (the window, the panels) after every change of its history, so
no one has to update every view by hand.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from editing.keep_versions import lowered_maybe, moved_by_12, paired_maybe, rescaled_maybe
from editing.layers import with_layer
from editing.motion import Motion
from editing.offset import FeatureOffset
from editing.solver import Stroke
from editing.vectors import AttributeVector, apply_sliders
from editing.warp import Warp, reach_strokes
from inversion.framing import DomainMapping
from training.errors import UserError
from training.fileio import sha256_file, write_json_atomic
from training.modelfile import GANModel

SESSION_FORMAT = "latent-editor-session"
SESSION_VERSION = 16  # 16: a class slider moves in units of the model's own codes (editing.vectors.own_unit);
# 15: a class pair is held before the item reads as neither of its kinds (editing.keep's PAIR_KINDS); 14: a
# class slider lowered is held before the item's kind is in doubt (LOWERED_KINDS); 13: a state's strokes each
# land the code that followed them (`layers`, indices into `codes`: editing.layers.layered_bands); 12: a
# steered slider's value lands between the neighbouring readings of its walk (editing.steer.Walk.to_steps);
# 11: the brightness slider holds the item's width and height still too (editing.measure.HOLD_STILL); 10: a
# drag may move a part as a whole (editing.motion's `whole`); 9: a state after a drag lands on the photo the
# drag moved (`moved`, into `moves`: editing.motion; the state it started on, the motion, the code it ended
# at); 8: states keep the warps that made them (`warps`: where a face edit lands); 7: a region keeps, outside
# it, the state it was painted on (`under`); 6: the class hold judges on the photo; 5: measured sliders
# steered; 4: states may hold a drag's feature offset; 3: states may hold a region; 2: measured sliders in
# measured units (editing.keep; a version 1 session opens as it looked)


def _same_region(a: torch.Tensor | None, b: torch.Tensor | None) -> bool:
    return a is b or (a is not None and b is not None and torch.equal(a, b))


class SessionError(UserError):
    """A session file that cannot be opened; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    label: str  # what the user did, for the history panel: "slider area +1.5", "stroke", ...
    z_base: torch.Tensor  # (D,) code the sliders move from
    sliders: tuple[tuple[str, float], ...] = ()  # non-zero slider values, sorted by name
    strokes: tuple[Stroke, ...] = ()
    region: torch.Tensor | None = None  # (R, R) in [0, 1], model pixels: the edit lands only here
    # (editing.region, as recorded: editing.region.as_recorded); None: everywhere
    offset: FeatureOffset | None = None  # what point drags added to the generator's features
    # (editing.drag); it stays through later edits, as the drag's result does; None: nothing
    warps: tuple[Warp, ...] = ()  # the warps applied so far (editing.warp): with the strokes,
    # where a face edit lands besides the face region (`reach_strokes`)
    under: "Snapshot | None" = field(default=None, repr=False, compare=False)  # with a region: the
    # state it was painted on (itself without a region), shown outside the region, so that what
    # was done before the region stays there; None: the photo as opened (sessions before version 7)
    moved: "Moved | None" = field(default=None, repr=False, compare=False)  # after a drag: the
    # photo it lands on is the frame of the state the drag started on, moved as the drag moved
    # things; None: the photo as opened (no drag, or a drag of a session before version 9)
    layers: tuple[torch.Tensor, ...] = field(default=(), repr=False, compare=False)  # for each of the
    # first strokes, the base (z_base) of the state the next stroke was painted on: an object's colour
    # strokes each land that code (its sliders' offset added) within their bands, the strokes after them
    # this state's (editing.layers.layered_bands; editor.strokes.layered); after a drag, none (the
    # frame it started on holds them)

    @property
    def slider_dict(self) -> dict[str, float]:
        return dict(self.sliders)

    def shows_same(self, other: "Snapshot | None") -> bool:
        """Whether `other` is this edit, its label aside: the same code, sliders, strokes, warps
        and region (by value), and the same drag offset and states under a region or a drag (as
        the same objects: a state reached by moving sliders and setting them back keeps them)."""
        if other is None:
            return False
        return other is self or (
            torch.equal(self.z_base, other.z_base) and self.sliders == other.sliders
            and self.strokes == other.strokes and self.warps == other.warps
            and _same_region(self.region, other.region) and self.offset is other.offset
            and self.under is other.under and self.moved is other.moved
            and len(self.layers) == len(other.layers)
            and all(torch.equal(a, b) for a, b in zip(self.layers, other.layers)))

    @property
    def reach_strokes(self) -> tuple[Stroke, ...]:
        """The strokes and the warps' bands: where a face edit lands besides the face region."""
        return reach_strokes(self.strokes, self.warps)

    @property
    def painted_over(self) -> tuple[torch.Tensor, ...]:
        """The layers of a stroke painted next on this state: each stroke so far without one lands
        this state's base (editing.layers.with_layer)."""
        return with_layer(self.layers, len(self.strokes), self.z_base)

    def layer_codes(self, vectors: dict[str, AttributeVector], ref: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The codes its first strokes land (`layers`, its sliders' offset added), () after a drag."""
        if not self.layers or self.moved is not None:
            return ()
        offset = self.code(vectors, ref) - self.z_base
        return tuple(base + offset for base in self.layers)

    def code(self, vectors: dict[str, AttributeVector], ref: torch.Tensor | None = None) -> torch.Tensor:
        """The code shown: z_base moved by the sliders. A product's sliders take their class's
        direction and their limits from `ref` (the document's z0, `Document.code`), so that the
        sliders' offset is the same from every base and a chosen candidate is applied exactly."""
        return apply_sliders(self.z_base, vectors, self.slider_dict, ref=ref)

    def showing(self, z: torch.Tensor, vectors: dict[str, AttributeVector], ref: torch.Tensor,
                **changes) -> "Snapshot":
        """This state with its base moved so that its code (sliders from `ref`) is exactly z, the
        sliders where they are; `changes`, other fields to replace (label, strokes, ...)."""
        offset = self.code(vectors, ref) - self.z_base  # the sliders' offset, the same from every base
        return replace(self, z_base=z - offset, **changes)

    def to_dict(self, region_index: int | None = None, offset_index: int | None = None,
                under_index: int | None = None, moved_index: int | None = None,
                layer_indices: list[int] | None = None) -> dict:
        """The state as a session holds it; its region is `region_index` into the session's
        `regions`, its drag offset `offset_index` into its `offsets`, its drag's motion
        `moved_index` into its `moves`, its layers `layer_indices` into its `codes` (each written
        once however many states share it), the state under its region `under_index` into the
        history."""
        d = {"label": self.label, "z_base": self.z_base.tolist(), "sliders": dict(self.sliders),
             "strokes": [s.to_dict() for s in self.strokes]}
        if region_index is not None:
            d["region"] = region_index
        if offset_index is not None:
            d["offset"] = offset_index
        if under_index is not None:
            d["under"] = under_index
        if self.warps:
            d["warps"] = [w.to_dict() for w in self.warps]
        if moved_index is not None:
            d["moved"] = moved_index
        if layer_indices:
            d["layers"] = layer_indices
        return d

    @classmethod
    def from_dict(cls, d: dict, regions: list | None = None, offsets: list[FeatureOffset] | None = None,
                  earlier: list["Snapshot"] | None = None,
                  moves: Callable[[int], "Moved"] | None = None,
                  codes: list[torch.Tensor] | None = None) -> "Snapshot":
        """The state from its dict; `regions`, `offsets` and `codes` (its layers), the session's
        (states share them); `earlier`, the history's states before it (the one under its region
        is among them); `moves`, index -> the session's Moved (states share them)."""
        region, offset, under, moved = d.get("region"), d.get("offset"), d.get("under"), d.get("moved")
        return cls(d["label"], torch.tensor(d["z_base"], dtype=torch.float32),
                   tuple(sorted((k, float(v)) for k, v in d["sliders"].items())),
                   tuple(Stroke.from_dict(s) for s in d["strokes"]),
                   None if region is None else torch.as_tensor(regions[region], dtype=torch.float32),
                   None if offset is None else offsets[offset],
                   tuple(Warp.from_dict(w) for w in d.get("warps", [])),
                   None if under is None or region is None else earlier[under],
                   None if moved is None else moves(moved),
                   tuple(codes[i] for i in d.get("layers", ())))


@dataclass(frozen=True, eq=False)
class Moved:
    """How a state after a drag lands on the photo (editing.motion): on the frame of `start`, the
    state the drag started on, moved by `motion`; its change measured from `end`, the code the
    drag ended at (drawn with the state's drag offset)."""

    start: Snapshot
    motion: Motion
    end: torch.Tensor  # (D,)


@dataclass
class Tuning:
    """The generator tuned to a document's photo at its z0 (pivotal tuning, inversion.tuning), as the
    model that draws with it; `files` remembers the weights files written from it (path ->
    ((mtime, size), SHA-256)), so that the autosave writes them once, not after every edit."""

    model: GANModel  # the document's model with the tuned generator (inversion.tuning.tuned_model)
    steps: int  # tuning steps that made it
    tune_from: int | None = None  # the map size its tuned layers start at (None: not recorded)
    files: dict[Path, tuple] = field(default_factory=dict, repr=False)


def sliders_tuple(values: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, float(v)) for k, v in values.items() if v != 0))


@dataclass
class Document:
    """One photo (or model sample) being edited, with its undo history."""

    model_path: Path
    model_id: str
    pixels: np.ndarray  # (H, W, 3) uint8, the photo (or the upscaled sample)
    mapping: DomainMapping
    z0: torch.Tensor  # (D,) the inversion's code
    photo_path: Path | None = None  # None for "new from model"
    seed: int | None = None  # the sample's seed for "new from model"
    history: list[Snapshot] = field(default_factory=list)
    index: int = 0  # current position in history
    photo_sha256: str | None = None  # of the photo file, computed once (autosave runs often)
    target: torch.Tensor | None = field(default=None, repr=False, compare=False)  # (1, C, R, R) the
    # photo in the model's domain, for the quality shown (editor.quality); not saved, framed anew
    tuning: Tuning | None = field(default=None, repr=False, compare=False)  # the generator tuned to
    # the photo (editor.tuning), or None; sessions write its weights beside them (editor.session)
    tuning_stopped: bool = field(default=False, repr=False, compare=False)  # its tuning (or the
    # inversion before it) was cancelled or failed: the switch shows off for it until turned on
    held_lowered: frozenset[str] | None = field(default=None, repr=False, compare=False)  # the class
    # sliders its model's hold holds when lowered (editing.keep: ClassHold.lowered), for the version a
    # session is written as; None: not told (the editor tells its documents), any slider below 0 may be
    held_pairs: frozenset[str] | None = field(default=None, repr=False, compare=False)  # the class pairs
    # it holds (ClassHold.pairs), the same way; None: not told, any "a->b" slider may be
    own_units: frozenset[str] | None = field(default=None, repr=False, compare=False)  # its model's
    # sliders in units of its own codes (editing.keep_versions.rescaled), the same way; None: not told
    listeners: list[Callable[["Document"], None]] = field(default_factory=list, repr=False,
                                                          compare=False)  # told after each change

    def __post_init__(self) -> None:
        if not self.history:
            self.history = [Snapshot("open", self.z0.clone())]
        if self.photo_path is not None and self.photo_sha256 is None and Path(self.photo_path).is_file():
            self.photo_sha256 = sha256_file(self.photo_path)

    def subscribe(self, listener: Callable[["Document"], None]) -> None:
        """Call `listener(document)` after every change of the history or of z0 (once, however
        often the same listener subscribes: a document shown again keeps its listeners)."""
        if listener not in self.listeners:
            self.listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    @property
    def current(self) -> Snapshot:
        return self.history[self.index]

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.history) - 1

    def push(self, snapshot: Snapshot) -> None:
        """Record a new state after the current one; what was undone is dropped."""
        del self.history[self.index + 1:]
        self.history.append(snapshot)
        self.index = len(self.history) - 1
        self._changed()

    def replace(self, snapshot: Snapshot) -> None:
        """`snapshot` in the current state's place (another candidate of its stroke); redo dropped."""
        del self.history[self.index + 1:]
        self.history[self.index] = snapshot
        self._changed()

    def undo(self) -> Snapshot:
        if self.can_undo:
            self.index -= 1
            self._changed()
        return self.current

    def redo(self) -> Snapshot:
        if self.can_redo:
            self.index += 1
            self._changed()
        return self.current

    def jump(self, index: int) -> Snapshot:
        index = max(0, min(index, len(self.history) - 1))
        if index != self.index:
            self.index = index
            self._changed()
        return self.current

    def rebase(self, z0: torch.Tensor) -> None:
        """Make `z0` the original code (an inversion refining, or finished): the history starts
        again from it (its first line keeps its label), and the edit is measured from G(z0)."""
        self.z0 = z0.reshape(-1).clone()
        self.tuning = None  # tuned at the old code: it would draw the photo somewhere else
        self.history = [Snapshot(self.history[0].label, self.z0.clone())]
        self.index = 0
        self._changed()

    def with_sliders(self, values: dict[str, float], label: str) -> Snapshot:
        return replace(self.current, label=label, sliders=sliders_tuple(values))

    def with_candidate(self, z: torch.Tensor, strokes: tuple[Stroke, ...],
                       vectors: dict[str, AttributeVector], label: str, **changes) -> Snapshot:
        """A state whose current code is exactly z, keeping the slider positions; `changes`, other
        fields to replace (the stroke's layers, ...)."""
        return self.current.showing(z, vectors, self.z0, label=label, strokes=strokes, **changes)

    def with_region(self, region: torch.Tensor | None, label: str) -> Snapshot:
        """The current state with another region (None: the edit lands everywhere again). A first
        region keeps the current state outside it (`under`); a region changed keeps the same."""
        now = self.current
        under = None if region is None else now.under if now.region is not None else now
        return replace(now, label=label, region=region, under=under)

    def code(self, vectors: dict[str, AttributeVector]) -> torch.Tensor:
        """The current code, the sliders' class and limits taken from z0 (see Snapshot.code)."""
        return self.current.code(vectors, self.z0)

    # -------------------------------------------------------------- sessions

    def to_dict(self) -> dict:
        regions: dict[int, int] = {}  # id(region tensor) -> its place in "regions"
        offsets: dict[int, int] = {}  # id(drag offset) -> its place in "offsets"
        for s in self.history:
            if s.region is not None:
                regions.setdefault(id(s.region), len(regions))
            if s.offset is not None:
                offsets.setdefault(id(s.offset), len(offsets))
        unique = {id(s.region): s.region for s in self.history if s.region is not None}
        unique_offsets = {id(s.offset): s.offset for s in self.history if s.offset is not None}
        place = {id(s): i for i, s in enumerate(self.history)}  # `under` and a drag's start by index
        moves: dict[int, int] = {}  # id(Moved) -> its place in "moves" (its start in the history)
        for s in self.history:
            if s.moved is not None and id(s.moved.start) in place:
                moves.setdefault(id(s.moved), len(moves))
        unique_moves = {id(s.moved): s.moved for s in self.history if s.moved is not None}
        codes: dict[int, int] = {}  # id(layer code) -> its place in "codes" (states share them)
        unique_codes = {}
        for s in self.history:
            for z in s.layers:
                unique_codes.setdefault(codes.setdefault(id(z), len(codes)), z)
        data = {"format": SESSION_FORMAT, "version": SESSION_VERSION,
                "model": {"path": str(self.model_path), "id": self.model_id},
                "photo": {"path": str(self.photo_path) if self.photo_path else None,
                          "sha256": self.photo_sha256},
                "seed": self.seed, "mapping": self.mapping.to_dict(), "z0": self.z0.tolist(),
                "history": [s.to_dict(None if s.region is None else regions[id(s.region)],
                                      None if s.offset is None else offsets[id(s.offset)],
                                      None if s.under is None else place.get(id(s.under)),
                                      None if s.moved is None else moves.get(id(s.moved)),
                                      [codes[id(z)] for z in s.layers])
                            for s in self.history], "index": self.index}
        if codes:
            data["codes"] = [z.tolist() for z in unique_codes.values()]
        if regions:
            data["regions"] = [unique[key].tolist() for key in regions]
        if offsets:
            data["offsets"] = [unique_offsets[key].to_dict() for key in offsets]
        if moves:
            data["moves"] = [{"start": place[id(m.start)], "motion": m.motion.to_dict(),
                              "end": m.end.tolist()} for m in (unique_moves[key] for key in moves)]
        # What it needs, as recipes are written: an editor before 12 would land a calibrated slider
        # elsewhere, one before 11 would move brightness differently, one before 10 opens it when
        # no part moves whole.
        if self._moves(self.own_units, rescaled_maybe):  # one before 16 would move it less
            return data
        if self._moves(self.held_pairs, paired_maybe):  # one before 15 would not hold a pair
            data["version"] = 15
            return data
        if self._moves(self.held_lowered, lowered_maybe, down=True):  # one before 14 would not hold it
            data["version"] = 14
            return data
        if codes:  # an editor before 13 would land every stroke its state's code
            data["version"] = 13
            return data
        if any(moved_by_12(s.slider_dict) for s in self.history):
            data["version"] = 12
        else:
            data["version"] = 10 if any(m["motion"].get("whole") for m in data.get("moves", ())) else 9
        return data

    def _moves(self, names: frozenset[str] | None, maybe, down: bool = False) -> bool:
        """Whether a state moves (`down`: lowers) one of `names`, its model's sliders of a kind it
        was told of (held_lowered, held_pairs, own_units), or, not told (None), may (`maybe`, from
        editing.keep_versions: lowered_maybe, paired_maybe, rescaled_maybe)."""
        if names is None:
            return any(maybe(s.slider_dict) for s in self.history)
        return any((v < 0 if down else v) and name in names for s in self.history for name, v in s.sliders)

    def save(self, path: str | os.PathLike) -> None:
        write_json_atomic(path, self.to_dict())
