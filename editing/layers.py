"""Compositing 17: each of an unaligned photo's colour strokes lands, within its band, the code that
followed it (the state the next stroke was painted on), later strokes on top: a stroke painted next
changes the whole picture, and no longer changes what the strokes before it drew. The editor keeps
each stroke's code (editor.state.Snapshot.layers); sessions, recipes, the export and the preview ask
here. Split from editing.landing, where each band lands.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from editing.landing import BrushBand

MAX_LAYERS = 16  # compositing 17: codes the strokes of an edit land in all (the editor solves its strokes
# together again past it: editor.strokes.consolidates). Each is a carry-back in a slider's every frame:
# 4 ms a code on a 320x360 product (a draft frame of 8 codes took 37 ms, of one 6 ms)


def layer_count(layers) -> int:
    """How many codes `layers` (one for each of the first strokes; tensors or lists) hold, a run of one
    code counting once."""
    return runs([code_key(z) for z in layers])


def runs(keys) -> int:
    """How many runs of equal items a sequence holds."""
    return sum(1 for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1])


def code_key(z) -> bytes:
    """A code (a tensor or a list of numbers) as bytes, equal for codes that render alike (float32, as
    sessions and recipes read them): a stranger's file of 10,000 layers is compared in milliseconds."""
    return np.asarray(z, np.float32).reshape(-1).tobytes()


def with_layer(layers: tuple, painted: int, code) -> tuple:
    """The layers of an edit whose first `painted` strokes land `layers` and the rest `code`, when a
    stroke is painted next: each stroke without one takes `code` (the state it was painted on)."""
    return tuple(layers) + (code,) * (painted - len(layers))


def layered_bands(reach, layers: tuple, code) -> tuple:
    """(the reach of what lands `code`'s picture, ((band, code), ...) of the strokes before, oldest
    first) from compositing 17 on: an unaligned photo's colour strokes each land within their bands
    the code that followed them (`layers`, one for each of the first strokes, the sliders' offset
    added: the code of the state the next stroke was painted on), the strokes after them `code`'s,
    each on top of those before. A stroke painted next changes the whole picture (a white stroke
    below a black stripe lightened the pullover, and the stripe broke into grey segments); it no
    longer changes what the strokes before it drew. Strokes that follow one another with one code
    land together; each band takes the erasers after its strokes too. `reach` as it is, and (),
    where nothing is layered (no layers, or a reach that is not a BrushBand)."""
    if not layers or not isinstance(reach, BrushBand):
        return reach, ()
    strokes = reach.strokes
    codes = [layers[i] if i < len(layers) else code for i in range(len(strokes))]
    starts = [i for i in range(len(strokes)) if i == 0 or not _same_code(codes[i], codes[i - 1])]
    groups = []
    for a, b in zip(starts, starts[1:] + [len(strokes)]):
        own = tuple(s for i, s in enumerate(strokes[a:], a)
                    if (i < b and s.kind == "color") or s.kind == "erase")
        groups.append((replace(reach, strokes=own), codes[a]))
    last, last_code = groups.pop()
    if not _same_code(last_code, code):  # every stroke has a layer, the last another code than this
        groups.append((last, last_code))
        last = replace(reach, strokes=())
    return last, tuple((band, z) for band, z in groups if any(s.kind == "color" for s in band.strokes))


def drawn_layers(lower: tuple, draw) -> tuple:
    """((band, picture), ...) of layered_bands' ((band, code), ...), the codes drawn in one batch by
    `draw` (codes (B, D) -> pictures (B, C, R, R)): 4 ms for 9 codes rather than 13 one at a time,
    and the preview and the export draw them alike, bit for bit (a batch's pictures may differ from
    single ones in the last bit)."""
    if not lower:
        return ()
    pictures = draw(torch.stack([torch.as_tensor(z).reshape(-1) for _, z in lower]))
    return tuple((band, picture) for (band, _), picture in zip(lower, pictures))


def _same_code(a, b) -> bool:
    return a is b or code_key(a) == code_key(b)
