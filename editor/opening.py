"""Opening a photo in the editor's window: for a face model its faces are looked for in the
background, the photo is framed for the model (a face chosen where there are several), and a document
starts on it while its inversion runs as a job (refined on screen, Cancel keeps the best so far; the
generator tuned to the photo next, with the switch on). Functions of the window (editor.window), as
editor.animation's; the window's `open_photo` and `ask_which_face` call them.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QMessageBox

from editor import session
from editor.jobs import Job
from editor.state import Document, Snapshot
from editor.tuning import TUNE_NAME
from inversion.framing import DomainSpec, NoFaceError, NoObjectError
from inversion.invert import DEFAULT_CONFIG
from training.modelfile import GANModel

log = logging.getLogger(__name__)
INVERT_PREVIEW_EVERY = 5  # inversion steps between on-screen refinements (keeps the GUI light)


def open_photo(window, path: str | Path, whole_image: bool = False, face: int | None = None) -> bool:
    """Load a photo and start its inversion in the background (for a face model, the search
    for its faces first); False (and a message) if the file is refused, leaving the current
    document as it was. For a face model with several
    faces in the photo, `face` picks one (0 = the largest); None asks the user."""
    if session.looks_for_faces(window.model, whole_image):
        return find_faces_then_open(window, path, face)
    return open_framed(window, path, whole_image, face)


def find_faces_then_open(window, path: str | Path, face: int | None) -> bool:
    """Face models: the photo is read now (a refused file: False, a message), its faces are
    looked for in the background (progress, Cancel), then it opens as any photo does. HOG's
    looks leave the window responsive; dlib's CNN, the last look, holds Python's lock while it
    runs (seconds), so a photo that only the CNN can search still pauses the window."""
    if window.jobs.busy:  # the search would stop that work and leave its document half done
        window.show_error(f"Not opened: {Path(path).name} waits until the work in progress ends "
                          f"(or press Cancel), then open it again")
        return False
    ok, photo = window._attempt(lambda: session.load_photo(path))
    if not ok:
        return False
    window.statusBar().showMessage(f"Looking for faces in {photo.path.name}…")
    window.set_editing_enabled(False)

    def found(faces: list) -> None:
        window.set_editing_enabled(True)
        open_framed(window, path, False, face, photo, faces)

    def cancelled(_) -> None:
        window.set_editing_enabled(True)
        window.statusBar().showMessage(f"Not opened: stopped looking for faces in {photo.path.name}")

    def search():  # one step: a Cancel during the search (which cannot stop mid-way) counts at its end
        yield session.find_photo_faces(photo.pixels)

    window.jobs.run(Job(search, 1, on_done=found, on_cancel=cancelled))
    return True


def open_framed(window, path: str | Path, whole_image: bool, face: int | None, photo=None,
                found: list | None = None) -> bool:
    """Frame the photo (its faces already `found`, if given) and start its inversion."""
    if photo is None:  # read once: a photo without an object is looked at again for a face
        ok, photo = window._attempt(lambda: session.load_photo(path))
        if not ok:
            return False
    say_before_framing(window, window.model, Path(path))
    try:
        ok, framed = window._attempt(lambda: session.frame_photo(
            window.model, path, whole_image, face, window.ask_which_face, photo, found),
            passing=NoObjectError)
    except NoObjectError as e:
        what = "face" if isinstance(e, NoFaceError) else "object"
        others, faces = other_kind_models(window.model), None
        if others and what == "object":  # a portrait? offered to a face model only if it shows a face
            window.statusBar().showMessage(f"No object found in {Path(path).name}; looking for a face…")
            faces = looked_for_faces(photo)
            others = others if faces else []
        if others and open_with_other_model(window, path, others[0], e, photo, faces):
            return True
        whole = ("the whole image" if DomainSpec.for_model(window.model.config).kind == "object"
                 else "the square at the image's centre")  # what to_model frames then (a walkthrough
        # said Yes to "the whole image" and the face model took its centre square)
        answer = QMessageBox.question(window, f"No {what} found",
                                      f"{Path(path).name}: {e}.\nUse {whole} instead?")
        if answer == QMessageBox.StandardButton.Yes:
            return open_photo(window, path, True)
        window.statusBar().showMessage(f"Not opened: no {what} found in {Path(path).name}")
        return False
    if not ok or framed is None:
        return False
    window.menus.remember_recent(framed[0].path)
    invert(window, framed)
    return True


def open_with_other_model(window, path: str | Path, name: str, reason: Exception, photo=None,
                          faces: list | None = None) -> bool:
    """A photo the face model found no face in, offered to the shipped model `name` (products on
    a plain background), or one the product model found no object in but `faces` in, offered to
    the face model `name`: opened with it, the model switched, if the user says so and it frames
    the photo. Before, the message said to choose the model in the Model box and open the photo
    again, and the box refused: it frames the photo being edited again (walkthrough); the other
    way it offered only the whole image, whose reconstruction was a black square (walkthrough)."""
    kind = "a face" if faces else "a product"
    answer = QMessageBox.question(window, f"No {'object' if faces else 'face'} found",
                                  f"{Path(path).name}: {reason}.\nA photo of {kind}? Open it with "
                                  f"{name} instead?")
    if answer != QMessageBox.StandardButton.Yes:
        return False
    ok, loaded = window._attempt(lambda: session.load_model_and_vectors(name), "Model refused: ")
    if not ok:
        return False
    model, vectors, warning = loaded
    try:
        ok, framed = window._attempt(lambda: session.frame_photo(
            model, path, False, None, window.ask_which_face, photo, faces or None),
            f"{name} cannot edit {Path(path).name}: ", passing=NoObjectError)
    except NoObjectError as e:
        window.show_error(f"{name} cannot edit {Path(path).name} either: {e}")
        return False
    if not ok or framed is None:
        return False
    window._install_model(model, vectors, warning)
    window.menus.remember_recent(framed[0].path)
    invert(window, framed)
    return True


def looked_for_faces(photo) -> list:
    """session.quick_faces of a photo already loaded; none where the search fails (it only decides
    whether to offer the face model: the question about the whole image still comes)."""
    try:
        return session.quick_faces(photo.pixels)
    except Exception:  # noqa: BLE001 - logged; the photo is then offered the whole image as before
        log.exception("looking for a face in %s", photo.path)
        return []


def other_kind_models(model: GANModel) -> list[str]:
    """The shipped models that frame objects when `model` is a face model, faces when it is not."""
    from training.modelfile import MODELS_DIR, read_config, shipped_models

    faces = DomainSpec.for_model(model.config).kind == "face"
    names = []
    for name in shipped_models():
        try:
            if (DomainSpec.for_model(read_config(MODELS_DIR / name)).kind == "face") != faces:
                names.append(name)
        except Exception:  # noqa: BLE001 - a damaged shipped model is not offered
            continue
    return names


def invert(window, framed: tuple, label: str = "open", switching: bool = False) -> None:
    """Start a document on a framed photo (photo, x, mapping) and its inversion in the
    background; its history's first line is `label`."""
    photo, x, mapping = framed
    inverter = window.get_inverter()
    encoder = inverter.encoder is not None
    method = "hybrid" if encoder else "optimize"
    first = inverter.guess(x)[0] if encoder else window.model.mean_code()
    doc = Document(window.model.path, window.model.model_id, photo.pixels, mapping, first,
                   photo_path=photo.path, history=[Snapshot(label, first.reshape(-1).clone())],
                   target=x)
    window._start_document(doc, switching, inverting=True)  # editing off: edits wait for the final
    # code; Cancel keeps the best so far
    window.statusBar().showMessage(f"Finding the model's picture of {photo.path.name}… "
                                   f"{mapping.found_by}".rstrip())

    def refine(step) -> None:  # show the inversion refining on screen as it goes
        if step.step % INVERT_PREVIEW_EVERY == 0:
            window._refining = True  # the finished code is saved and measured, not every refinement
            try:
                doc.rebase(step.z[0])
            finally:
                window._refining = False

    def finish(step, tune: bool = True) -> None:
        # The class hold judges the sliders' edits on this photo (editing.keep) from the final code
        # on: registered before the code is, and its walks made at once.
        session.take_photo(window.vectors, step.z[0].reshape(-1), doc.target)
        doc.rebase(step.z[0])
        window.preview.warm(doc.z0)
        window.set_editing_enabled(True)
        meter = window.candidates_panel.meter
        if meter is not None:
            meter.settled = True  # (rebased on the final code just now)
        poor = None if meter is None else meter.poor_fit()
        done = f"Ready to edit: the model's picture of {photo.path.name} found ({step.step} steps)"
        # (a user knows neither "inversion" nor "loss"; the quality line says how close it is)
        left = window._undo_switches[-1] if switching and window._undo_switches else None
        if left is not None and left.doc.index > 0:  # the edits stay with the model left (walkthrough
            # 47: the photo started unedited with the new model, and nothing said where they went)
            done += (f"; the edits with {left.model.name} stay in the history's top row (Undo goes back "
                     f"to them)")
        window.statusBar().showMessage(poor or done)
        if tune:
            window.tuning.start(doc)  # with the switch on: the generator tuned to the photo next

    def stopped(step) -> None:
        if step is None:  # before its first step: the first guess stays
            window.set_editing_enabled(True)
        else:
            finish(step, tune=False)  # keep the best code found so far; Cancel means stop working
        untuned = ""
        if window.tuning.enabled:
            window.tuning.not_now(doc)
            untuned = f" (not tuned to the photo: Edit > {TUNE_NAME} tunes it)"
        kept = "the first guess" if step is None else "the best result so far"
        window.statusBar().showMessage(f"Stopped finding the model's picture; keeping {kept}{untuned}")

    window.jobs.run(Job(lambda: inverter.run(x, method, DEFAULT_CONFIG), DEFAULT_CONFIG.steps,
                        on_done=finish, on_step=refine, on_cancel=stopped))


def say_before_framing(window, model: GANModel, path: Path) -> None:
    """Framing runs here, on the GUI thread, and a face model's detectors can take seconds:
    say what is happening, and let the window paint it (a closed menu, the message)."""
    window.statusBar().showMessage(f"Framing {path.name} for {model.name}…")
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def ask_which_face(window, pixels: np.ndarray, faces: list, name: str) -> int | None:
    """The user clicks one of a photo's faces in a dialog; None if they cancel."""
    from editor.facechooser import FaceChooser

    dialog = FaceChooser(pixels, faces, name, window)
    return dialog.chosen if dialog.exec() else None
