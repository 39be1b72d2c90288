"""What a model's held sliders meant in sessions saved before a change to the hold (editing.keep):
each function gives the same sliders as they were then, or None when that change touched nothing
of theirs. editor.session opens an older session with them, so that it looks as it did."""
from __future__ import annotations

from dataclasses import replace

from editing.keep import ClassHold, SliderSet
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
    return None if hold is None or not hold.on_photos else _held_again(vectors, hold.calibration)


def _held_again(vectors: SliderSet, calibration: Calibration | None) -> SliderSet:
    """`vectors`' sliders with a new hold of the same generator and classifier (its own caches),
    judging the class on the generator's picture, as every hold did before photos were taken."""
    plain = dict(vectors)
    return SliderSet(plain, ClassHold(vectors.hold.decode, vectors.hold.classifier, plain, calibration,
                                      on_photos=False))
