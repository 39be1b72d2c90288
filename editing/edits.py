"""An edit as an export's recipe holds it, built on other edits: what it lands on and what it keeps.

An edit is its code (`z_edit`), strokes, drag offset (`feature_offset`) and warps, carried back onto
the photo (editing.export.render_edit), on a face's hair too when it moves a hair colour slider
(`hair`: true); an unaligned photo's colour strokes' change lands within their bands, on top of
the edit of its sliders alone (`z_slid`: the code they reach, written when they move; in
compositing 14, `sliders_moved`: true, and the edit landed whole), from compositing 17 on the first
strokes each landing the code that followed them (`layers`). Two kinds of edit rest on
another one:
- a region-limited edit (editing.region) keeps, outside its region, the edit the region was painted
  on (`region_under`);
- an edit after a drag lands on the frame of the edit the drag started on, moved as the drag moved
  things (editing.motion), its change measured from the code the drag ended at (`moved`: the
  start, the motion, the end).
A recipe lists those other edits once, flat (`edits`, each referring only to earlier ones by
index), and the recipe itself is the last edit, which may refer to any of them: however many drags
and regions an edit went through, its recipe grows with their number, and each is rendered once.
Recipes before version 3 hold `region_under` as an edit of its own (a dict), which still reads.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from editing.export import (
    MAX_CODE,
    check_offset,
    check_warps,
    read_offset,
    read_strokes,
    read_warps,
    render_edit,
)
from editing.landing import lands_near_strokes, moves_sliders
from editing.layers import MAX_LAYERS, layer_count
from editing.motion import Motion
from editing.offset import FeatureOffset
from editing.region import confine, region_record
from editing.warp import WarpError, reach_strokes
from inversion.framing import DomainMapping
from training.modelfile import GANModel
from training.validate import Fields

MAX_EDITS = 512  # edits a recipe lists besides its own (each is a render at the photo's size)


def edit_entry(code: torch.Tensor, strokes=(), offset: FeatureOffset | None = None, warps=(),
               region: torch.Tensor | None = None, under: int | None = None,
               moved: tuple[int, Motion, torch.Tensor] | None = None, hair: bool = False,
               z_slid: torch.Tensor | None = None, layers: tuple = ()) -> dict:
    """An edit as a recipe holds it: its code, strokes, drag offset and warps; with a `region`, the
    index of the edit the region was painted on (`under`, None: the photo); after a drag, (the
    index of the edit it started on, its motion, the code it ended at); `hair` (written only when
    true): its sliders move a hair slider, and a face's edit lands on the photo's hair too
    (editing.landing.moves_hair); `z_slid` (written only when it moves sliders): the code its
    sliders alone reach from the code its change is measured from, whose edit an unaligned photo's
    colour strokes land on (editing.landing.object_reach); `layers` (written only when there are
    some): the codes the first strokes land, each the one that followed it
    (editing.layers.layered_bands)."""
    entry = {"z_edit": code.reshape(-1).tolist(), "strokes": [s.to_dict() for s in strokes],
             "feature_offset": None if offset is None else offset.to_dict(),
             "warps": [w.to_dict() for w in warps]}
    if region is not None:
        entry["region"] = region_record(region)
        if under is not None:
            entry["region_under"] = under
    if moved is not None:
        start, motion, end = moved
        entry["moved"] = {"start": start, "motion": motion.to_dict(), "end": end.reshape(-1).tolist()}
    if hair:
        entry["hair"] = True
    if z_slid is not None:
        entry["z_slid"] = z_slid.reshape(-1).tolist()
    if layers:
        entry["layers"] = [z.reshape(-1).tolist() for z in layers]
    return entry


def sliders_layer(entry: dict, compositing: int) -> torch.Tensor | None:
    """The code an edit's sliders alone reach (render_edit's `z_slid`), None when they move none;
    an edit of compositing 14 that moved sliders (`sliders_moved`), or one written by hand that moves
    them without `z_slid`: its own code, the whole change being the sliders' (as 14 landed it)."""
    if compositing >= 15 and entry.get("z_slid") is not None:
        return torch.tensor(entry["z_slid"])
    if entry.get("sliders_moved") is True or moves_sliders(entry.get("sliders") or {}):
        return torch.tensor(entry["z_edit"])
    return None


def refers_to(entry: dict) -> list[int]:
    """The indices of the listed edits an edit rests on."""
    found = [entry["region_under"]] if isinstance(entry.get("region_under"), int) else []
    return found + ([entry["moved"]["start"]] if entry.get("moved") else [])


def check_edits(f: Fields, recipe: dict, length: int, resolution: int) -> None:
    """The edits a recipe lists, then its own (whose code and strokes check_recipe checks)."""
    edits = f.list(recipe.get("edits") or [], "edits", MAX_EDITS)
    for j, entry in enumerate(edits):
        where = f"edits[{j}]"
        f.dict(entry, where)
        f.numbers(f.key(entry, "z_edit", where), f"{where}.z_edit", length, -MAX_CODE, MAX_CODE)
        for i, stroke in enumerate(f.list(entry.get("strokes", []), f"{where}.strokes", 10_000)):
            f.dict(stroke, f"{where}.strokes[{i}]")
        check_edit(f, entry, f"{where}.", length, resolution, earlier=j)
    check_edit(f, recipe, "", length, resolution, earlier=len(edits))
    total = sum(layer_count(entry.get("layers") or []) for entry in (*edits, recipe))
    if total > MAX_EDITS:  # each a render of the photo, as an edit is
        f.fail("layers", f"at most {MAX_EDITS} codes over all the edits", total)


def check_edit(f: Fields, entry: dict, where: str, length: int, resolution: int, earlier: int) -> None:
    """An edit's region, drag offset, warps, and the edits it rests on (among the `earlier` listed)."""
    if entry.get("region") is not None:  # a region-limited edit (editing.region)
        from editing.region import check_region

        if len(check_region(f, entry["region"], f"{where}region")) != resolution:
            f.fail(f"{where}region", f"a region of the model's {resolution} px", len(entry["region"]))
    check_offset(f, entry.get("feature_offset"), f"{where}feature_offset")
    check_warps(f, entry.get("warps"), f"{where}warps")
    for flag in ("hair", "sliders_moved"):
        if entry.get(flag) is not None:
            f.boolean(entry[flag], f"{where}{flag}")
    if entry.get("z_slid") is not None:
        f.numbers(entry["z_slid"], f"{where}z_slid", length, -MAX_CODE, MAX_CODE)
    layers = f.list(entry.get("layers") or [], f"{where}layers", len(entry.get("strokes") or []))
    for i, code in enumerate(layers):  # one code for each of the first strokes (layered_bands)
        f.numbers(code, f"{where}layers[{i}]", length, -MAX_CODE, MAX_CODE)
    if layer_count(layers) > MAX_LAYERS:  # each a render of the photo
        f.fail(f"{where}layers", f"at most {MAX_LAYERS} codes (a run of one code counts once)",
               layer_count(layers))
    under = entry.get("region_under")  # the edit a region was painted on (editing.region)
    if under is not None:
        if entry.get("region") is None:
            f.fail(f"{where}region_under", "nothing without a region", "an edit")
        if isinstance(under, dict):  # before version 3: the edit itself, resting on nothing
            f.numbers(f.key(under, "z_edit", f"{where}region_under"), f"{where}region_under.z_edit", length,
                      -MAX_CODE, MAX_CODE)
            for key in ("region", "region_under", "moved"):
                if under.get(key) is not None:
                    f.fail(f"{where}region_under.{key}", "nothing (an edit under a region rests on none)",
                           "an edit")
            check_edit(f, under, f"{where}region_under.", length, resolution, earlier=0)
        else:
            f.integer(under, f"{where}region_under", 0, earlier - 1) if earlier else f.fail(
                f"{where}region_under", "an edit listed before it", under)
    moved = entry.get("moved")  # an edit after a drag lands on the photo the drag moved
    if moved is not None:
        f.dict(moved, f"{where}moved")
        start = f.key(moved, "start", f"{where}moved")
        f.integer(start, f"{where}moved.start", 0, earlier - 1) if earlier else f.fail(
            f"{where}moved.start", "an edit listed before it", start)
        try:
            motion = Motion.from_dict(f.key(moved, "motion", f"{where}moved"))
        except WarpError as e:
            f.fail(f"{where}moved.motion", "a drag's motion (moves, core, mask)", str(e))
        if motion.mask is not None and motion.mask.shape[-1] != resolution:
            f.fail(f"{where}moved.motion.mask", f"a mask of the model's {resolution} px",
                   motion.mask.shape[-1])
        f.numbers(f.key(moved, "end", f"{where}moved"), f"{where}moved.end", length, -MAX_CODE, MAX_CODE)


class _Rendered:
    """The listed edits a recipe's own rests on, each rendered once, oldest first (each rests on
    earlier ones only: no recursion however long the chain), and dropped after its last use."""

    def __init__(self, model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor,
                 recipe: dict, threshold: float, compositing: int):
        self.args = model, pixels, mapping, z0, threshold, compositing
        edits = recipe.get("edits") or []
        self.uses, stack = Counter(), refers_to(recipe)
        while stack:  # how often each is rested on, from the recipe's own edit down
            i = stack.pop()
            self.uses[i] += 1
            if self.uses[i] == 1:
                stack.extend(refers_to(edits[i]))
        self.done: dict[int, np.ndarray] = {}
        for i in sorted(self.uses):
            self.done[i] = self.render(edits[i], in_place=False)

    def take(self, i: int) -> np.ndarray:
        """Edit i's pixels (not to be changed: another edit may take them too)."""
        self.uses[i] -= 1
        return self.done[i] if self.uses[i] else self.done.pop(i)

    def layers(self, entry: dict) -> tuple[np.ndarray, torch.Tensor, FeatureOffset | None, np.ndarray | None]:
        """(what an edit lands on, the code its change is measured from, that code's drag offset,
        what it keeps outside its region (None without one))."""
        model, pixels, mapping, z0, threshold, compositing = self.args
        ground, z_from, base_offset = pixels, z0, None
        moved = entry.get("moved")
        if moved is not None:
            ground = Motion.from_dict(moved["motion"]).move(self.take(moved["start"]), mapping)
            z_from, base_offset = torch.tensor(moved["end"]), read_offset(entry.get("feature_offset"), model)
        outside = None
        if entry.get("region"):
            under = entry.get("region_under")
            outside = (pixels if under is None else self.take(under) if isinstance(under, int)
                       else self.render(under, in_place=False))
        return ground, z_from, base_offset, outside

    def render(self, entry: dict, in_place: bool) -> np.ndarray:
        """The photo with one edit carried back, as the export was made (its strokes and, from
        compositing 8 on, its warps' bands widening where a face edit lands)."""
        model, pixels, mapping, z0, threshold, compositing = self.args
        offset = read_offset(entry.get("feature_offset"), model)
        strokes = ()
        if lands_near_strokes(mapping, compositing):  # only then are the strokes read (and checked)
            warps = read_warps(entry) if compositing >= 8 else ()  # before 8 warps did not widen it
            strokes = reach_strokes(read_strokes(entry, mapping, model), warps)
        ground, z_from, base_offset, outside = self.layers(entry)
        out = render_edit(model, ground, mapping, z_from, torch.tensor(entry["z_edit"]), threshold,
                          compositing=compositing, offset=offset, strokes=strokes, base_offset=base_offset,
                          in_place=ground is not pixels or (in_place and outside is None),
                          hair=entry.get("hair") is True, z_slid=sliders_layer(entry, compositing),
                          layers=tuple(torch.tensor(z) for z in entry.get("layers") or ()))[0]
        return out if outside is None else confine(outside, out, np.asarray(entry["region"], np.float32),
                                                   mapping)


def recipe_edit(model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor, recipe: dict,
                threshold: float, compositing: int, in_place: bool) -> np.ndarray:
    """The photo with a recipe's edit carried back as the export was made (`in_place`: into
    `pixels` itself where nothing else needs them)."""
    return _Rendered(model, pixels, mapping, z0, recipe, threshold, compositing).render(recipe, in_place)


def recipe_layers(model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor, recipe: dict,
                  threshold: float, compositing: int):
    """(what a recipe's edit lands on, the code its change is measured from, that code's drag
    offset, what it keeps outside its region or None): an animation sweeps a slider over them."""
    return _Rendered(model, pixels, mapping, z0, recipe, threshold, compositing).layers(recipe)
