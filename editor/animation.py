"""File > Export animation: the current edit with one slider swept from -3 to +3 and back, carried
back onto the photo and written as animated WebP, GIF or MP4 (editing.animate), on the job runner
with progress and Cancel. (A morph between two photos is `latent-edit animate A B`.)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

from editing.animate import animation_format, sweep_frames, write_animation
from editor.jobs import Job

ANIMATION_FILTER = "WebP (*.webp);;GIF (*.gif);;MP4 (*.mp4)"
FRAMES = 24
FPS = 12.0


@dataclass
class FrameStep:
    step: int  # frames rendered so far (the progress bar reads `step`)


def install(window) -> QAction:
    """Add File > Export animation… after File > Export…."""
    file_menu = window.menuBar().actions()[0].menu()
    export = next(a for a in file_menu.actions() if a.text().startswith("&Export"))
    action = QAction("Export &animation…", window)
    action.triggered.connect(lambda: export_animation_dialog(window))
    actions = file_menu.actions()
    following = actions[actions.index(export) + 1] if export is not actions[-1] else None
    file_menu.insertAction(following, action)
    return action


def export_animation_dialog(window) -> None:
    doc = window.doc
    if doc is None:
        return window.show_error("Nothing to animate: open a photo first")
    if not window.vectors:
        return window.show_error(f"{window.model.name} has no sliders to sweep")
    name, ok = QInputDialog.getItem(window, "Export animation", "Sweep this slider from -3 to +3:",
                                    sorted(window.vectors), 0, False)
    if not ok:
        return
    stem = doc.photo_path.stem if doc.photo_path else "sample"
    path, _ = QFileDialog.getSaveFileName(window, "Export animation",
                                          str(Path(window.menus.last_dir()) / f"{stem}-{name}.webp"),
                                          ANIMATION_FILTER)
    if path:
        export_sweep(window, name, path)


def export_sweep(window, name: str, path: str | Path, frames: int = FRAMES, fps: float = FPS) -> bool:
    """Render and write the sweep in the background; False (and a message) if refused at once."""
    ok, _ = window._attempt(lambda: animation_format(path), "Export failed: ")
    if not ok or window.doc is None:
        return False
    doc, model, vectors = window.doc, window.model, window.vectors
    code = doc.current.code(vectors)

    def work():
        rendered = []
        for frame in sweep_frames(model, doc.pixels, doc.mapping, doc.z0, code, vectors, name, frames):
            rendered.append(frame)
            yield FrameStep(len(rendered))
        write_animation(rendered, path, fps)
        yield FrameStep(len(rendered))

    window.statusBar().showMessage(f"Rendering {frames} frames of {name}…")
    window.jobs.run(Job(work, frames, on_done=lambda _: window.statusBar().showMessage(
        f"Exported the animation {Path(path).name}"), on_cancel=lambda _: window.statusBar().showMessage(
        "Animation cancelled")))
    return True
