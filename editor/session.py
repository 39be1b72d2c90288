"""The editor's work on a document that needs no window: start one, rebuild one from a saved
session, export the edit. No Qt here, so all of it is tested without a display (a stroke's
constraints: editor.strokes.stroke_constraints).

A document's generator tuned to its photo (editor.state.Tuning) draws it when the editor's switch
is on (`drawing_model`); a session writes its weights beside itself (NAME.generator.safetensors
for NAME.json) and records their file name and SHA-256, and an export writes them beside the export
for its recipe. Opening a session reads them hash-checked; a missing or altered file is a message,
and the session opens without them.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from editing.compositing import MASK_THRESHOLD
from editing.edits import edit_entry, recipe_edit
from editing.export import (
    COMPOSITING,
    export_format,
    export_with_recipe,
    recipe_path,
    save_image,
    tuned_generator_path,
)
from editing.landing import moves_hair
from editing.motion import Motion
from editing.offset import FeatureOffset
from editing.solver import validate
from editing.vectors import AttributeVector, check_slider_names, model_vectors
from editor.render import sample_document_pixels, slid_code
from editor.state import SESSION_VERSION, Document, Moved, SessionError, Snapshot, Tuning
from inversion.framing import DomainMapping, DomainSpec, framed
from inversion.invert import photo_to_model
from inversion.photo import load_photo
from inversion.tuning import load_tuned, save_tuned
from training.errors import UserError
from training.fileio import check_output, sha256_file, write_json_atomic
from training.modelfile import GANModel, load_model, resolve_model


def new_document(model: GANModel, seed: int) -> Document:
    """A document whose 'photo' is the model's own sample for `seed`."""
    z = model.codes(1, seed)[0]  # z, or its w for a style generator
    pixels, mapping = sample_document_pixels(model, z)
    return Document(model.path, model.model_id, pixels, mapping, z, seed=seed)


def looks_for_faces(model: GANModel, whole_image: bool) -> bool:
    """Whether framing a photo for `model` searches it for faces (the slow part of opening: up to
    tens of seconds for a small face in a large photo, so the editor does it in the background)."""
    return not whole_image and DomainSpec.for_model(model.config).kind == "face"


def find_photo_faces(pixels: np.ndarray) -> list:
    """The faces in a photo's pixels, largest first (inversion.faces.find_faces); no Qt, so a
    worker thread may run it."""
    from inversion.faces import find_faces

    return find_faces(pixels)


def quick_faces(pixels: np.ndarray) -> list:
    """The faces the first, quickest look of inversion.faces.find_faces sees (HOG upright, the photo
    made at most a couple of megapixels: a few tenths of a second), largest first: whether a photo
    an object model found nothing in is a portrait worth offering to a face model."""
    from inversion.faces import find_faces

    return find_faces(pixels, looks=1)


def frame_photo(model: GANModel, path: str | os.PathLike, whole_image: bool, face: int | None,
                choose_face: Callable[[np.ndarray, list, str], int | None], photo=None,
                found: list | None = None) -> tuple | None:
    """(photo, x (C, R, R), mapping) for a photo file, or None if the user declined to choose a
    face. For a face model with several faces, `face` picks one (0 = the largest); None asks
    `choose_face(pixels, faces, file name)`. `photo` and `found`: the photo already loaded and its
    faces already found (find_photo_faces). PhotoError, NoObjectError (NoFaceError) if refused."""
    photo = photo or load_photo(path)
    if looks_for_faces(model, whole_image):
        if found is None:
            found = find_photo_faces(photo.pixels)  # once: the choice and the alignment share it
        if face is None and len(found) > 1:
            face = choose_face(photo.pixels, found, photo.path.name)
            if face is None:
                return None
    x, mapping = photo_to_model(model, photo, whole_image, face or 0, found)
    return photo, x, mapping


def framed_target(model: GANModel, photo, mapping: DomainMapping) -> torch.Tensor | None:
    """The photo as the model sees it (1, C, R, R), for the quality shown, from the saved mapping:
    an aligned face is cut again through its affine (no face detection); None if it cannot be."""
    try:
        return framed(photo.pixels, mapping, DomainSpec.for_model(model.config))
    except UserError:
        return None


def load_model_and_vectors(name_or_path: str) -> tuple[GANModel, dict[str, AttributeVector], str]:
    """(model, its attribute vectors, a warning): vectors that cannot be used (made in another
    latent space, from a newer version) leave the model usable without sliders, and say why."""
    model = load_model(resolve_model(name_or_path))
    try:
        return model, model_vectors(model), ""
    except UserError as e:
        return model, {}, f"{model.name} opens without sliders: {e}"


def document_from_session(data: dict, model: GANModel,
                          vectors: dict[str, AttributeVector] | None = None) -> Document:
    """Rebuild a document from a session's JSON (`editor.state.read_session`) with `model`, the
    model it names, and its attribute `vectors`; SessionError if the model or the photo changed
    since it was saved, or the session does not fit them (code length, sliders, strokes, size):
    a damaged session is refused whole, never half loaded."""
    name = "the session"
    if data["model"].get("id") not in (None, model.model_id):
        raise SessionError(f"this session was made with {data['model']['id']}, but the model "
                           f"folder now holds {model.model_id}, another version (retrained "
                           f"or replaced) whose codes draw other pictures. Open the photo again "
                           f"to edit it with this model.")
    mapping = DomainMapping.from_dict(data["mapping"])
    if len(data["z0"]) != model.gan.latent_dim or mapping.resolution != model.gan.resolution:
        raise SessionError(f"{name} is damaged: its codes ({len(data['z0'])} numbers, "
                           f"{mapping.resolution} px) do not fit {model.name} ({model.gan.latent_dim} "
                           f"numbers, {model.gan.resolution} px)")
    regions = [torch.tensor(r, dtype=torch.float32) for r in data.get("regions", [])]
    r = model.gan.resolution
    for i, region in enumerate(regions):
        if region.shape != (r, r):
            raise SessionError(f"{name} is damaged: regions[{i}] is {region.shape[-1]} px, but "
                               f"{model.name} draws {r} px")
    try:  # checked against the model: a drag's offset must fit its feature map
        offsets = [FeatureOffset.from_dict(o, model) for o in data.get("offsets", [])]
    except UserError as e:
        raise SessionError(f"{name} is damaged: {e}") from None
    history: list[Snapshot] = []
    shared: dict[int, Moved] = {}  # the session's drags' motions, made as the states reach them

    def moved(i: int) -> Moved:  # check_session made sure its start is earlier than its state
        if i not in shared:
            m = data["moves"][i]
            shared[i] = Moved(history[m["start"]], Motion.from_dict(m["motion"]),
                              torch.tensor(m["end"], dtype=torch.float32))
        return shared[i]

    codes = [torch.tensor(z, dtype=torch.float32) for z in data.get("codes", [])]
    for s in data["history"]:  # a state's `under` and a drag's start are earlier ones
        history.append(Snapshot.from_dict(s, regions, offsets, history, moved, codes))
    for i, snap in enumerate(history):
        try:
            if vectors is not None:
                check_slider_names(vectors, snap.slider_dict)
            if snap.strokes:
                validate(list(snap.strokes), model.gan.resolution, model.gan.channels)
        except UserError as e:
            raise SessionError(f"{name} is damaged: history[{i}]: {e}") from None
    z0 = torch.tensor(data["z0"], dtype=torch.float32)
    sha = target = None
    if data["photo"]["path"]:
        photo_path = Path(data["photo"]["path"])
        photo = load_photo(photo_path)
        pixels = photo.pixels
        sha = sha256_file(photo_path)
        if data["photo"].get("sha256") and sha != data["photo"]["sha256"]:
            raise SessionError(f"{photo_path.name} has changed since the session was "
                               f"saved; its edits would land in the wrong places")
        if photo.size != mapping.photo_size:
            raise SessionError(f"{name} is damaged: it was made on a {mapping.photo_size[0]}x"
                               f"{mapping.photo_size[1]} photo, but {photo_path.name} is "
                               f"{photo.size[0]}x{photo.size[1]}")
        target = framed_target(model, photo, mapping)
    else:
        pixels, mapping = sample_document_pixels(model, z0)  # the mapping that fits it exactly
        photo_path = None
    if vectors:
        take_photo(vectors, z0, target)  # before any slider is placed: the walks judge on it
        if data.get("version", 1) < SESSION_VERSION:
            history = as_saved(history, vectors, z0, data.get("version", 1), target)
    return Document(model.path, model.model_id, pixels, mapping, z0, photo_path, data.get("seed"),
                    history, int(data["index"]), sha, target=target)


def take_photo(vectors: dict, z0: torch.Tensor, target: torch.Tensor | None) -> None:
    """Let the sliders' class hold judge z0's edits on its photo as the model sees it (`target`;
    editing.keep.ClassHold.on_photo); nothing for a model sample or a model without a hold."""
    hold = getattr(vectors, "hold", None)
    if hold is not None:
        hold.on_photo(z0, target)


def as_saved(history: list[Snapshot], vectors: dict, z0: torch.Tensor, version: int,
             target: torch.Tensor | None = None) -> list[Snapshot]:
    """A history saved by an older version of the editor, each state showing exactly the code it
    showed then, its sliders where they were (editing.keep_versions): version 1 moved the measured
    sliders in spread units (uncalibrated), 2 to 4 along their class's straight direction, 5 judged
    the class on the generator's picture, not on the photo, 6 to 10 held only the area and detail
    still under brightness (on the photo `target`, as the model sees it), up to 11 landed a steered
    value from the largest change before it (editing.steer.Walk.to_steps), up to 13 held no class
    slider lowered (editing.keep.LOWERED_KINDS), up to 14 no class pair (PAIR_KINDS), up to 15 moved
    a class slider in the inverted images' spread (editing.vectors.own_unit). Only the states whose
    code those sliders change are re-based; a region's `under` and a drag's start follow them."""
    from editing.keep_versions import (landed_before_12, lowered_class, moved_by_11, moved_by_12, off_photos,
                                       paired, rescaled, shape_free, uncalibrated, unheld_lowered,
                                       unheld_pairs, units_before_16, unsteered)

    lowered = version < 14 and any(lowered_class(s.slider_dict, vectors) for s in history)
    pairs = version < 15 and any(paired(s.slider_dict, vectors) for s in history)
    units = version < 16 and any(rescaled(s.slider_dict, vectors) for s in history)
    if not (lowered or pairs or units) and (version >= 12 or version >= 6 and not any(
            moved_by_12(s.slider_dict) for s in history)):  # (from 6, no calibrated slider moved)
        return history  # every state shows what it showed
    base = (units_before_16(vectors) if units else None) or vectors  # the older ones' units
    if version < 2:
        before = uncalibrated(base)
    elif version < 5:
        before = unsteered(base)
    elif version < 6:
        before = landed_before_12(off_photos(base) or base)
    elif version < 12:  # brightness held less before 11; every steered value landed otherwise before 12
        shaped = version < 11 and any(moved_by_11(s.slider_dict) for s in history)
        before = landed_before_12((shape_free(base) if shaped else None) or base)
    else:
        before = None
    if before is None and lowered:  # (every hold above holds no class slider lowered nor a pair either)
        before = unheld_lowered(base)
    if before is None and pairs:
        before = unheld_pairs(base)
    if before is None and units:
        before = base
    if before is None:
        return history
    if version >= 6 and getattr(before, "hold", None) is not None:
        before.hold.on_photo(z0, target)

    now: dict[int, Snapshot] = {}  # id(state as read) -> the state re-based
    moves: dict[int, Moved] = {}  # id(Moved as read) -> the one whose start is re-based (shared)
    out = []
    for snap in history:
        new = snap
        if snap.sliders and (version < 6 or (version < 12 and moved_by_12(snap.slider_dict))
                             or (lowered and lowered_class(snap.slider_dict, vectors))
                             or (pairs and paired(snap.slider_dict, vectors))
                             or (units and rescaled(snap.slider_dict, vectors))):
            then, shown = snap.code(before, z0), snap.code(vectors, z0)
            if version < 6 or not torch.equal(then, shown):  # from 6: where it differs
                new = snap.showing(then, vectors, z0,  # its strokes' layers land the codes they did
                                   layers=tuple(base + (then - shown) for base in snap.layers))
        follow = {}
        if snap.under is not None and now.get(id(snap.under), snap.under) is not snap.under:
            follow["under"] = now[id(snap.under)]
        if snap.moved is not None and now.get(id(snap.moved.start), snap.moved.start) is not snap.moved.start:
            if id(snap.moved) not in moves:
                moves[id(snap.moved)] = replace(snap.moved, start=now[id(snap.moved.start)])
            follow["moved"] = moves[id(snap.moved)]
        if follow:
            new = replace(new, **follow)
        now[id(snap)] = new
        out.append(new)
    return out


def drawing_model(model: GANModel, doc: Document | None, tuned: bool) -> GANModel:
    """The model whose generator draws `doc`: `model`, or, when `tuned` and the document has a
    generator tuned to its photo (with this model), the model with that generator."""
    if tuned and doc is not None and doc.tuning is not None and doc.model_id == model.model_id:
        return doc.tuning.model
    return model


def session_weights_path(session: str | os.PathLike) -> Path:
    """Where a session's tuned generator lies: edit.session.json -> edit.session.generator.safetensors."""
    path = Path(session)
    return path.with_name(path.name.removesuffix(".json") + ".generator.safetensors")


def write_tuned(tuning: Tuning, path: Path) -> str:
    """Write the tuned generator's weights to `path` (atomically), unless that file was written
    from them and has not changed since; their SHA-256."""
    def stamp():
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    known = tuning.files.get(path)
    if known is not None and known[0] == stamp():
        return known[1]
    sha = save_tuned(path, tuning.model.generator, tuning.model)
    tuning.files[path] = (stamp(), sha)
    return sha


def save_session(doc: Document, path: str | os.PathLike, offers: list[dict] | None = None) -> None:
    """Write the session, with the stroke candidates behind its states (Offers.saved: an editor
    before them opens it without them); a tuned generator's weights first, beside the session
    (session_weights_path), named in it with their SHA-256, the editor's switch off too (a session
    saved then dropped it, and reopened with the switch on it was tuned again)."""
    data = doc.to_dict() | ({"offers": offers} if offers else {})
    if doc.tuning is not None:
        weights = session_weights_path(path)
        data["tuned_generator"] = {"file": weights.name, "sha256": write_tuned(doc.tuning, weights),
                                   "steps": doc.tuning.steps, "tune_from": doc.tuning.tune_from}
    write_json_atomic(path, data)


def load_tuning(data: dict, path: str | os.PathLike, model: GANModel) -> tuple[Tuning | None, str]:
    """(the tuned generator a session (read_session) names, read hash-checked from beside it, "");
    (None, what to tell the user) when its file is missing, altered, unreadable or does not fit
    `model`; (None, "") for a session without one."""
    entry = data.get("tuned_generator")
    if not entry:
        return None, ""
    weights = Path(path).parent / entry["file"]
    try:
        tuning = Tuning(load_tuned(model, weights, entry["sha256"]), int(entry.get("steps", 0)),
                        entry.get("tune_from"))
        st = weights.stat()
    except (UserError, OSError) as e:
        return None, str(e)
    tuning.files[weights] = ((st.st_mtime_ns, st.st_size), entry["sha256"])
    return tuning, ""


def export_document(doc: Document, model: GANModel, vectors: dict[str, AttributeVector],
                    path: str | os.PathLike, quality: int = 92, tuned: bool = False) -> list[Path]:
    """Write the current edit at the photo's own size, and (for a photo) its recipe beside it.
    `model` is the document's model; with `tuned`, its generator tuned to the photo draws the edit
    (drawing_model), and its weights are written beside the export for the recipe. Returns the
    files written, the export first."""
    export_format(path)  # a wrong file name or folder is refused before any work
    check_output(path)
    drawing = drawing_model(model, doc, tuned)
    record = edit_record(doc.current, vectors, doc.z0)  # as the recipe holds it, and rebuilds it
    pixels = recipe_edit(drawing, doc.pixels, doc.mapping, doc.z0, record, MASK_THRESHOLD, COMPOSITING,
                         in_place=False)
    if doc.photo_path is None:
        save_image(pixels, path, quality)
        return [Path(path)]
    check_output(recipe_path(path))
    written = [Path(path), recipe_path(path)]
    extra = {k: v for k, v in record.items() if k not in ("z_edit", "strokes") and v not in (None, [])}
    if drawing is not model:
        weights = tuned_generator_path(path)
        check_output(weights)
        extra["tuned_generator"] = {"path": str(weights.resolve()),
                                    "sha256": write_tuned(doc.tuning, weights)}
        written.append(weights)
    export_with_recipe(pixels, path, quality, model=model, photo=doc.photo_path, mapping=doc.mapping,
                       z0=doc.z0, z_edit=doc.code(vectors), sliders=doc.current.slider_dict,
                       strokes=list(doc.current.strokes), solver=None, threshold=MASK_THRESHOLD,
                       extra=extra or None)
    return written


def edit_record(state: Snapshot, vectors: dict[str, AttributeVector], z0: torch.Tensor) -> dict:
    """A state as a recipe holds its edit (editing.edits): its own entry, with `edits`, the states
    it rests on (the one under a region, the one a drag started on, and theirs) listed once, each
    after those it rests on."""
    place: dict[int, int] = {}  # id(state) -> its index in `edits`
    edits: list[dict] = []

    def rests_on(s: Snapshot) -> list[Snapshot]:
        return [x for x in (s.under if s.region is not None else None, s.moved and s.moved.start) if x]

    def entry(s: Snapshot) -> dict:
        under = place.get(id(s.under)) if s.region is not None and s.under is not None else None
        moved = None if s.moved is None else (place[id(s.moved.start)], s.moved.motion, s.moved.end)
        return edit_entry(s.code(vectors, z0), s.strokes, s.offset, s.warps, s.region, under, moved,
                          moves_hair(s.sliders), slid_code(s, vectors, z0), s.layer_codes(vectors, z0))

    stack = [(x, False) for x in rests_on(state)]
    while stack:  # each listed after the ones it rests on, without recursion (long drag chains)
        s, ready = stack.pop()
        if id(s) in place:
            continue
        if not ready:
            stack.append((s, True))
            stack.extend((x, False) for x in rests_on(s) if id(x) not in place)
            continue
        place[id(s)] = len(edits)
        edits.append(entry(s))
    return {**entry(state), "edits": edits}


def export_message(written: list[Path]) -> tuple[str, str]:
    """What the status bar says after an export, short enough for the bar, and the whole list of
    files written (for its tooltip): the image, its recipe, the tuned generator's weights."""
    text = f"Exported {written[0].name}"
    if len(written) > 1:
        text += " + recipe"
    if len(written) > 2:
        text += f" + tuned generator ({written[2].stat().st_size / 1e6:.1f} MB, the recipe needs it)"
    return text, "Written: " + ", ".join(p.name for p in written)
