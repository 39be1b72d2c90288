"""What the status bar adds about a drag (editor.dragtool): how far it has to go, a Reach the motion
changed, handles there but not confirmed. No Qt here."""
from __future__ import annotations

import numpy as np

from editing.motion import WHOLE_FAR
from inversion.framing import DomainMapping


def to_go(step, targets: list, mapping: DomainMapping) -> str:
    """How far the farthest handle (as the markers show it) is from its target, in the photo's
    pixels (a model pixel is 15 of a product photo's: "0.9 px to go" read as arrived beside
    markers 13 px apart)."""
    farthest = max(np.hypot(t[0] - h[0], t[1] - h[1]) for h, t in zip(step.handles, targets))
    return f"{farthest / mapping.scale:.0f} px"


def raised_reach(state, reach: float | None, mapping: DomainMapping) -> str:
    """What the status adds when the Reach set was too small for the move (editing.motion raises
    it rather than fold the picture over itself; a walkthrough's 12 and 15 px gave the same
    picture, and nothing said why), or too large for a part moved whole (editing.motion's
    WHOLE_FAR cuts it)."""
    widest = max(w.radius for w in state.moved.motion.moves)
    if not reach or abs(widest - reach) <= 1e-6:
        return ""
    if widest < reach:
        return (f"; Reach cut to {widest / mapping.scale:.0f} px (around a part moved whole, the "
                f"picture stretches at most {WHOLE_FAR:g} edited squares' widths away)")
    why = ("twice the move at least" if state.moved.motion.whole else
           "a shorter move allows a smaller one, a mask holds the rest")
    return (f"; Reach raised to {widest / mapping.scale:.0f} px (less would fold the picture over "
            f"itself: {why})")


def unconfirmed(step, targets: list, tolerance: float) -> str:
    """What the status adds when the handles are at their targets but the drag did not confirm it
    (editing.drag's `confirm`: the start's look is still found near where it was)."""
    close = all(np.hypot(t[0] - h[0], t[1] - h[1]) <= tolerance for h, t in zip(step.handles, targets))
    return " (the handles are there, but what they held is still seen where it was)" if close else ""
