"""File > Export animation: the current edit with one slider swept from -3 to +3 and back, carried
back onto the photo and written as animated WebP, GIF or MP4 (editing.animate), on the job runner
with progress and Cancel. File > Export morph: from this photo's code to another photo's (inverted
in the background), carried back onto this photo. Both are drawn by the window's drawing model (the
generator tuned to the photo, when there is one: editor.tuning).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

from editing.animate import animation_format, sweep_frames, write_animation
from editing.compositing import MASK_THRESHOLD
from editing.edits import recipe_layers
from editing.export import COMPOSITING
from editing.landing import moves_hair
from editor.jobs import Job
from editor.render import slid_code
from editor.session import edit_record

ANIMATION_FILTER = "WebP (*.webp);;GIF (*.gif);;MP4 (*.mp4)"
FRAMES = 24
FPS = 12.0


@dataclass
class FrameStep:
    step: int  # frames rendered so far (the progress bar reads `step`)


def install(window) -> None:
    """Add File > Export animation… and Export morph… after File > Export…."""
    file_menu = window.menuBar().actions()[0].menu()
    export = next(a for a in file_menu.actions() if a.text().startswith("&Export"))
    actions = file_menu.actions()
    following = actions[actions.index(export) + 1] if export is not actions[-1] else None
    for text, dialog in (("Export &animation…", export_animation_dialog),
                         ("Export m&orph…", export_morph_dialog)):
        action = QAction(text, window)
        action.triggered.connect(lambda _=False, dialog=dialog: dialog(window))
        file_menu.insertAction(following, action)


def export_animation_dialog(window) -> None:
    doc = window.doc
    if doc is None:
        return window.show_error("Nothing to animate: open a photo first")
    if not window.vectors:
        return window.show_error(f"{window.model.name} has no sliders to sweep")
    from editor.sliders import readable

    names = {readable(n): n for n in sorted(window.vectors)}  # shown as the sliders panel names them
    now = doc.current.slider_dict
    before = doc.history[doc.index - 1].slider_dict if doc.index > 0 else {}
    moved = [n for n in now if n in window.vectors and now[n] != before.get(n)] or \
        [n for n in now if n in window.vectors]  # the slider the last step moved, else one set
    first = list(names.values()).index(moved[0]) if moved else 0  # (it offered the first by name)
    shown, ok = QInputDialog.getItem(window, "Export animation", "Sweep this slider from -3 to +3:",
                                     list(names), first, False)
    if not ok:
        return
    name = names[shown]
    stem = doc.photo_path.stem if doc.photo_path else "sample"
    suggested = Path(window.menus.last_dir("saved")) / f"{stem}-{file_word(shown)}.webp"
    path, _ = QFileDialog.getSaveFileName(window, "Export animation", str(suggested), ANIMATION_FILTER)
    if path and export_sweep(window, name, path):
        window.menus.remember_dir(path, "saved")


def file_word(text: str) -> str:
    """A slider's name as a file name's part: "Smiling (keep male, young)" -> "smiling-keep-male-young"."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())) or "slider"


def export_sweep(window, name: str, path: str | Path, frames: int = FRAMES, fps: float = FPS) -> bool:
    """Render and write the sweep in the background; False (and a message) if refused at once."""
    ok, _ = window._attempt(lambda: animation_format(path), "Export failed: ")
    if not ok or window.doc is None:
        return False
    doc, model, vectors = window.doc, window.drawing_model, window.vectors
    code = doc.code(vectors)
    region = None if doc.current.region is None else doc.current.region.numpy()
    record = edit_record(doc.current, vectors, doc.z0)  # what it lands on, as the export
    z_slid = slid_code(doc.current, vectors, doc.z0)  # the code the state's sliders alone reach

    def frames_now():
        ground, z_from, base_offset, outside = recipe_layers(model, doc.pixels, doc.mapping, doc.z0, record,
                                                             MASK_THRESHOLD, COMPOSITING)
        return sweep_frames(model, ground, doc.mapping, z_from, code, vectors, name, frames,
                            region=region, offset=doc.current.offset, strokes=doc.current.reach_strokes,
                            outside=outside, base_offset=base_offset,
                            hair=moves_hair(doc.current.sliders),
                            z_slid=z_slid, layers=doc.current.layer_codes(vectors, doc.z0))

    inside = "" if region is None else " (inside the painted region only: Clear region to sweep everywhere)"
    render_in_background(window, frames_now, path, fps, frames,
                         f"Rendering {frames} frames of {name}{inside}…", "animation", inside)
    return True


def export_morph_dialog(window) -> None:
    doc = window.doc
    if doc is None or doc.photo_path is None:
        return window.show_error("To morph, open a photo first; then choose the photo to morph into")
    from editor.filedialogs import IMAGE_FILTER, open_file_dialog

    other = open_file_dialog(window, "Morph into which photo?", window.menus.last_dir(), IMAGE_FILTER)
    if not other:
        return
    suggested = Path(window.menus.last_dir("saved")) / f"{doc.photo_path.stem}-morph.webp"
    path, _ = QFileDialog.getSaveFileName(window, "Export morph", str(suggested), ANIMATION_FILTER)
    if path and export_morph(window, other, path):
        window.menus.remember_dir(path, "saved")


def export_morph(window, other: str | Path, path: str | Path, frames: int = FRAMES, fps: float = FPS) -> bool:
    """Invert `other` and write the morph from this photo's code to its code, carried back onto
    this photo, in the background; False (and a message) if refused at once."""
    from editing.animate import morph_frames
    from inversion.invert import Inverter, photo_to_model
    from inversion.photo import load_photo

    ok, _ = window._attempt(lambda: animation_format(path), "Export failed: ")
    if not ok or window.doc is None:
        return False
    doc, model, drawing = window.doc, window.model, window.drawing_model

    def frames_from_other():  # the other photo is inverted with the model's own generator
        photo = load_photo(other)
        x, mapping = photo_to_model(model, photo, False, 0)
        z_other = Inverter.for_model(model).invert(x).z[0]
        return morph_frames(drawing, (doc.pixels, doc.mapping, doc.z0), (photo.pixels, mapping, z_other),
                            frames)

    render_in_background(window, frames_from_other, path, fps, frames,
                         f"Finding the model's picture of {Path(other).name}, then rendering {frames} "
                         f"frames…", "morph")
    return True


def render_in_background(window, make_frames, path, fps: float, frames: int, message: str,
                         what: str, note: str = "") -> None:
    """Render the frames `make_frames()` yields and write them to `path` on the window's job
    runner (progress, Cancel); the status bar says what happens, and `note` after it is done (a
    sweep with a region changed only the hair, and nothing said so: walkthrough)."""
    def work():
        rendered = []
        for frame in make_frames():
            rendered.append(frame)
            yield FrameStep(len(rendered))
        write_animation(rendered, path, fps)
        yield FrameStep(len(rendered))

    window.statusBar().showMessage(message)
    window.jobs.run(Job(work, frames, on_done=lambda _: window.statusBar().showMessage(
        f"Exported the {what} {Path(path).name}{note}"), on_cancel=lambda _: window.statusBar().showMessage(
        f"{what.capitalize()} cancelled")))
