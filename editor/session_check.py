"""What a session file must hold: read_session reads one and check_session checks every field
before editor.session rebuilds the Document from it (a stranger's file is refused whole, with the
field named). Split from editor.state, the document itself. No Qt here.
"""
from __future__ import annotations

import os
from pathlib import Path

from editing.export import MAX_CODE  # |code value|: as recipes bound it
from editing.layers import MAX_LAYERS, code_key, runs
from editing.motion import Motion
from editing.offset import FeatureOffset
from editing.region import check_region
from editing.solver import Stroke, StrokeError, validate
from editing.vectors import MAX_SLIDER
from editing.warp import Warp
from editor.state import SESSION_FORMAT, SESSION_VERSION, SessionError
from inversion.framing import check_mapping
from training.errors import UserError, check_version
from training.modelfile import inside_folder
from training.networks import MAX_LATENT_DIM
from training.validate import Fields, read_json

MAX_HISTORY = 10_000  # states in a session's history
MAX_OFFERS = 256  # stroke candidates' offers kept in a session (an editor keeps those of 32 states)
MAX_CANDIDATES = 16  # candidates in one offer (the solver makes 4; each is drawn again on opening)


def read_session(path: str | os.PathLike) -> dict:
    """The session's JSON, checked as a whole (check_session); `editor.session.document_from_session`
    rebuilds the Document after checking it against the model and the photo."""
    what = f"session {Path(path).name}"
    return check_session(read_json(path, what, SessionError), what)


def check_session(data, what: str = "the session") -> dict:
    """The session, every field checked (types, code lengths, finite numbers in sane ranges, known
    stroke kinds, the history position), or SessionError naming the field: refused whole."""
    f = Fields(what, SessionError)
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise SessionError(f"{what} is not a session saved by this editor")
    check_version(data.get("version"), SESSION_VERSION, what)
    model = f.dict(f.key(data, "model"), "model")
    f.string(f.key(model, "path", "model"), "model.path")
    if model.get("id") is not None:
        f.string(model["id"], "model.id")
    photo = f.dict(f.key(data, "photo"), "photo")
    if photo.get("path") is not None:
        f.string(photo["path"], "photo.path")
    if photo.get("sha256") is not None:
        f.string(photo["sha256"], "photo.sha256", max_length=64)
    if data.get("seed") is not None:
        f.integer(data["seed"], "seed", 0, 2**63 - 1)
    mapping = check_mapping(f, f.key(data, "mapping"))
    z0 = f.numbers(f.key(data, "z0"), "z0", low=-MAX_CODE, high=MAX_CODE, max_length=MAX_LATENT_DIM)
    if not z0:
        f.fail("z0", "a code (a list of numbers)", z0)
    history = f.list(f.key(data, "history"), "history", MAX_HISTORY)
    if not history:
        f.fail("history", "at least the opening state", history)
    regions = f.list(data.get("regions", []), "regions", MAX_HISTORY)
    for i, region in enumerate(regions):
        check_region(f, region, f"regions[{i}]")
    offsets = f.list(data.get("offsets", []), "offsets", MAX_HISTORY)
    for i, offset in enumerate(offsets):
        try:
            FeatureOffset.from_dict(f.dict(offset, f"offsets[{i}]"))
        except UserError as e:
            raise SessionError(f"{what} is damaged: offsets[{i}]: {e}") from None
    codes = f.list(data.get("codes", []), "codes", MAX_HISTORY * MAX_LAYERS)  # states' layers share them
    for i, code in enumerate(codes):
        f.numbers(code, f"codes[{i}]", len(z0), -MAX_CODE, MAX_CODE)
    found: dict[bytes, int] = {}
    same = [found.setdefault(code_key(code), i) for i, code in enumerate(codes)]  # codes equal in value:
    # one index (compared once, not in every state: a stranger's session stalled for a minute)
    moves = f.list(data.get("moves", []), "moves", MAX_HISTORY)
    for i, moved in enumerate(moves):  # drags' motions: the state each started on, the motion, its end
        where = f"moves[{i}]"
        f.dict(moved, where)
        f.integer(f.key(moved, "start", where), f"{where}.start", 0, len(history) - 1)
        f.numbers(f.key(moved, "end", where), f"{where}.end", len(z0), -MAX_CODE, MAX_CODE)
        try:
            motion = Motion.from_dict(f.key(moved, "motion", where))
        except UserError as e:
            raise SessionError(f"{what} is damaged: {where}.motion: {e}") from None
        if motion.mask is not None and motion.mask.shape[-1] != mapping.resolution:
            f.fail(f"{where}.motion.mask", f"a mask of the model's {mapping.resolution} px",
                   motion.mask.shape[-1])
    for i, snap in enumerate(history):
        where = f"history[{i}]"
        f.dict(snap, where)
        f.string(f.key(snap, "label", where), f"{where}.label", max_length=500)
        f.numbers(f.key(snap, "z_base", where), f"{where}.z_base", len(z0), -MAX_CODE, MAX_CODE)
        for name, value in f.dict(f.key(snap, "sliders", where), f"{where}.sliders").items():
            f.number(value, f"{where}.sliders.{name}", -MAX_SLIDER, MAX_SLIDER)
        strokes = f.list(f.key(snap, "strokes", where), f"{where}.strokes", 10_000)
        layers = f.list(snap.get("layers", []), f"{where}.layers", len(strokes))  # its first strokes' codes
        for k, index in enumerate(layers):
            f.integer(index, f"{where}.layers[{k}]", 0, len(codes) - 1)
        count = runs([same[k] for k in layers])
        if count > MAX_LAYERS:  # each a carry-back in every frame
            f.fail(f"{where}.layers", f"at most {MAX_LAYERS} codes (a run of one code counts once)", count)
        if snap.get("region") is not None:
            f.integer(snap["region"], f"{where}.region", 0, len(regions) - 1)
        if snap.get("offset") is not None:
            f.integer(snap["offset"], f"{where}.offset", 0, len(offsets) - 1)
        for k, warp in enumerate(f.list(snap.get("warps", []), f"{where}.warps", 10_000)):
            try:
                Warp.from_dict(f.dict(warp, f"{where}.warps[{k}]"))
            except UserError as e:
                raise SessionError(f"{what} is damaged: {where}.warps[{k}]: {e}") from None
        if snap.get("under") is not None:  # an earlier state without a region
            under = f.integer(snap["under"], f"{where}.under", 0, i - 1) if i else f.fail(
                f"{where}.under", "an earlier state", snap["under"])
            if history[under].get("region") is not None:
                f.fail(f"{where}.under", "a state without a region", under)
        if snap.get("moved") is not None:  # a drag's motion, from an earlier state
            m = f.integer(snap["moved"], f"{where}.moved", 0, len(moves) - 1)
            if moves[m]["start"] >= i:
                f.fail(f"{where}.moved", "a drag from an earlier state",
                       f"one from history[{moves[m]['start']}]")
        try:
            parsed = [Stroke.from_dict(s) for s in strokes]
            if parsed:
                validate(parsed, None, 3)
        except StrokeError as e:
            raise SessionError(f"{what} is damaged: {where}: {e}") from None
    f.integer(f.key(data, "index"), "index", 0, len(history) - 1)
    check_offers(f, data, len(z0), len(history))
    tuned = data.get("tuned_generator")
    if tuned is not None:  # the generator tuned to the photo, written beside the session
        f.dict(tuned, "tuned_generator")
        name = f.string(f.key(tuned, "file", "tuned_generator"), "tuned_generator.file", max_length=255)
        if not inside_folder(name):
            f.fail("tuned_generator.file", "a file name beside the session", name)
        sha = f.string(f.key(tuned, "sha256", "tuned_generator"), "tuned_generator.sha256", max_length=64)
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            f.fail("tuned_generator.sha256", "a SHA-256 (64 hex digits)", sha)
        f.integer(tuned.get("steps", 0), "tuned_generator.steps", 0, 1_000_000)
    return data


def check_offers(f: Fields, data: dict, code_length: int, states: int) -> None:
    """The stroke candidates a session keeps (editor.offers.Offers.saved): each offer's codes, and
    the history states it made, each [state, candidate], at least one, never the photo as opened
    (a click on a candidate there replaced the whole history), no state made by two offers."""
    made: set[int] = set()
    for i, offer in enumerate(f.list(data.get("offers", []), "offers", MAX_OFFERS)):
        where = f"offers[{i}]"
        f.dict(offer, where)
        codes = f.list(f.key(offer, "codes", where), f"{where}.codes", MAX_CANDIDATES)
        if not codes:
            f.fail(f"{where}.codes", "at least one candidate's code", codes)
        for k, code in enumerate(codes):
            f.numbers(code, f"{where}.codes[{k}]", code_length, -MAX_CODE, MAX_CODE)
        made_here = f.list(f.key(offer, "states", where), f"{where}.states", states)
        if not made_here:
            f.fail(f"{where}.states", "at least one state the offer made", made_here)
        for k, pair in enumerate(made_here):
            if not isinstance(pair, list) or len(pair) != 2:
                f.fail(f"{where}.states[{k}]", "[a history state, a candidate]", pair)
            state = f.integer(pair[0], f"{where}.states[{k}][0]", 1, states - 1)
            f.integer(pair[1], f"{where}.states[{k}][1]", 0, len(codes) - 1)
            if state in made:
                f.fail(f"{where}.states[{k}][0]", "a state no other candidate made", state)
            made.add(state)
