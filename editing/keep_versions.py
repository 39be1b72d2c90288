"""What a model's held sliders meant in sessions saved before a change to the hold (editing.keep):
each function gives the same sliders as they were then, or None when that change touched nothing
of theirs. editor.session opens an older session with them, so that it looks as it did."""
from __future__ import annotations

from dataclasses import replace

from editing.keep import LOWERED_KINDS, PAIR_KINDS, ClassHold, SliderSet
from editing.measure import UNITS
from editing.steer import Calibration


def uncalibrated(vectors: dict) -> SliderSet | None:
    """The same sliders held but not calibrated (values in spread units, as before calibration),
    or None when `vectors` calibrate nothing: what sessions saved before calibration meant."""
    hold = getattr(vectors, "hold", None)
    return None if hold is None or hold.calibration is None else _held_again(vectors, None)


def unsteered(vectors: dict) -> SliderSet | None:
    """The same sliders calibrated but along their class's straight direction, or None when
    `vectors` steer nothing: what sessions saved before steering (versions 2 to 4) meant."""
    hold = getattr(vectors, "hold", None)
    if hold is None or hold.calibration is None or hold.calibration.steer is None:
        return None
    return _held_again(vectors, replace(hold.calibration, steer=None))


def off_photos(vectors: dict) -> SliderSet | None:
    """The same sliders, steered, with the class judged on the generator's picture alone (not on
    the photo: ClassHold.on_photo), or None when `vectors` hold nothing or judge no photo: what
    sessions of version 5 meant."""
    hold = getattr(vectors, "hold", None)
    return None if hold is None or not hold.on_photos else _held_again(vectors, _before_11(hold.calibration))


BRIGHTNESS_HELD_BEFORE = ("area", "detail")  # what brightness held still before session version 11


def moved_by_11(sliders: dict[str, float]) -> bool:
    """Whether slider values `sliders` move a slider whose hold session version 11 changed
    (brightness): only such a state shows another code in an older editor, or from an older session."""
    return "brightness" in sliders


def moved_by_12(sliders: dict[str, float]) -> bool:
    """Whether slider values `sliders` move a calibrated slider (editing.measure.UNITS), whose
    values, where steered, land otherwise since session version 12 (steer.Walk.to_steps)."""
    return any(v and name in UNITS for name, v in sliders.items())


def shape_free(vectors: dict) -> SliderSet | None:
    """The same sliders, steered and judging the class on the photo, with brightness holding only
    the area and the level of detail still (not the width and height), or None when `vectors`
    steer no brightness: what sessions of versions 6 to 10 meant. Its hold judges on the photo:
    give it the photo (ClassHold.on_photo) before its first slider moves."""
    hold = getattr(vectors, "hold", None)
    if hold is None or hold.calibration is None or hold.calibration.steer is None \
            or "brightness" not in hold.calibration.still:
        return None
    return _held_again(vectors, _before_11(hold.calibration), on_photos=hold.on_photos)


def landed_before_12(sliders: dict) -> SliderSet | None:
    """The same sliders held as `sliders` hold them (another version's, from the functions above, or
    today's), a steered value landing between the largest change before it and the reading that
    reaches it (steer.Walk.to_steps), as every session before version 12 landed it; None when they
    steer nothing. Give it the photo (ClassHold.on_photo) before its first slider moves, if it
    judges on photos."""
    hold = getattr(sliders, "hold", None)
    if hold is None or hold.calibration is None or hold.calibration.steer is None:
        return None
    return _held_again(sliders, replace(hold.calibration, neighbours=False), on_photos=hold.on_photos)


def _before_11(calibration: Calibration | None) -> Calibration | None:
    """`calibration` with brightness holding what it held before session version 11."""
    if calibration is None or "brightness" not in calibration.still:
        return calibration
    return replace(calibration, still={**calibration.still, "brightness": BRIGHTNESS_HELD_BEFORE})


def lowered_class(sliders: dict[str, float], vectors: dict) -> bool:
    """Whether slider values `sliders` lower a class slider of `vectors`, which session version 14
    holds where the item would change kind (editing.keep.LOWERED_KINDS) and no version before did."""
    return any(v < 0 and name in vectors and vectors[name].meta.get("kind") in LOWERED_KINDS
               for name, v in sliders.items())


def lowered_maybe(sliders: dict[str, float]) -> bool:
    """Whether slider values `sliders` may lower a class slider (lowered_class), told without the
    sliders' kinds (a document's): any slider below 0 but a measured one (editing.measure.UNITS) or
    a class pair ("a->b"). A session that may is written as version 14."""
    return any(v < 0 and name not in UNITS and "->" not in name for name, v in sliders.items())


def paired(sliders: dict[str, float], vectors: dict) -> bool:
    """Whether slider values `sliders` move a class pair of `vectors`, which session version 15
    holds where the item would read as neither of its kinds (editing.keep.PAIR_KINDS) and no version
    before did."""
    return any(v and name in vectors and vectors[name].meta.get("kind") in PAIR_KINDS
               for name, v in sliders.items())


def paired_maybe(sliders: dict[str, float]) -> bool:
    """Whether slider values `sliders` may move a class pair (paired), told without the sliders'
    kinds (a document's): a slider named "a->b" moved. A session that may is written as version 15."""
    return any(v and "->" in name for name, v in sliders.items())


def rescaled(sliders: dict[str, float], vectors: dict) -> bool:
    """Whether slider values `sliders` move a slider of `vectors` whose unit session version 16 made
    the model's own codes' spread (editing.vectors.own_unit: meta "inverted_spread")."""
    return any(v and name in vectors and "inverted_spread" in vectors[name].meta
               for name, v in sliders.items())


def rescaled_maybe(sliders: dict[str, float]) -> bool:
    """Whether slider values `sliders` may move such a slider (rescaled), told without the sliders'
    meta (a document's): any slider moved but a measured one (editing.measure.UNITS) or a class pair
    ("a->b"). A session that may is written as version 16."""
    return any(v and name not in UNITS and "->" not in name for name, v in sliders.items())


def units_before_16(sliders: dict) -> dict | None:
    """The same sliders (held as `sliders` hold them), those that session version 16 put in units of
    the model's own codes (rescaled) in the inverted images' spread, as every session before 16 moved
    them; None when there are none."""
    before = {name: replace(v, spread=float(v.meta["inverted_spread"]))
              for name, v in sliders.items() if "inverted_spread" in v.meta}
    if not before:
        return None
    plain = {**dict(sliders), **before}
    hold = getattr(sliders, "hold", None)
    if hold is None:
        return plain
    return _held_again(sliders, hold.calibration, hold.on_photos, bool(hold.lowered), bool(hold.pairs), plain)


def unheld_pairs(sliders: dict) -> SliderSet | None:
    """The same sliders held as `sliders` hold them (the class sliders lowered too, as version 14
    held them), the class pairs not held, as every session before version 15 moved them; None when
    `sliders` hold no pair."""
    hold = getattr(sliders, "hold", None)
    if hold is None or not hold.pairs:
        return None
    return _held_again(sliders, hold.calibration, on_photos=hold.on_photos, lowered=bool(hold.lowered))


def unheld_lowered(sliders: dict) -> SliderSet | None:
    """The same sliders held as `sliders` hold them, the class sliders lowered not held, as every
    session before version 14 moved them; None when `sliders` hold none of them."""
    hold = getattr(sliders, "hold", None)
    if hold is None or not hold.lowered:
        return None
    return _held_again(sliders, hold.calibration, on_photos=hold.on_photos)


def _held_again(vectors: SliderSet, calibration: Calibration | None, on_photos: bool = False,
                lowered: bool = False, pairs: bool = False, plain: dict | None = None) -> SliderSet:
    """`vectors`' sliders (or `plain`, the same names otherwise made) with a new hold of the same
    generator and classifier (its own caches), judging the class on the generator's picture, as
    every hold did before photos were taken (`on_photos`: on the photo it is given), and holding no
    class slider lowered (as every hold did before session version 14; `lowered`: as 14 did) and no
    class pair (before 15; `pairs`: as 15 did)."""
    plain = dict(vectors) if plain is None else plain
    return SliderSet(plain, ClassHold(vectors.hold.decode, vectors.hold.classifier, plain, calibration,
                                      on_photos=on_photos, class_names=vectors.hold.class_names,
                                      lowered=lowered, pairs=pairs))
