"""The main window: canvas, sliders, brushes, candidates, history; open, export, sessions.

All model work runs in LatestWorker threads: `render` (slider previews, latest request only) and
`jobs` (inversion and the stroke solver, with progress and Cancel). The GUI thread only paints.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QColorDialog, QComboBox, QDockWidget, QFileDialog,
                               QFormLayout, QHBoxLayout, QInputDialog, QLabel, QListWidget,
                               QListWidgetItem, QMainWindow, QMessageBox, QProgressBar, QPushButton,
                               QScrollArea, QSlider, QToolBar, QToolButton, QVBoxLayout, QWidget)

from editing.export import export_format, recipe_path, render_edit, save_image, write_recipe
from editing.solver import SolverConfig, Stroke, build_constraints, solve
from editing.vectors import AttributeVector, model_vectors
from editor.canvas import Canvas, to_qimage
from editor.render import MASK_THRESHOLD, Renderer, sample_document_pixels
from editor.state import Document, SessionError, Snapshot, read_session
from editor.workers import LatestWorker
from inversion.encoder import load_encoder
from inversion.framing import DomainMapping, DomainSpec, NoFaceError, NoObjectError
from inversion.invert import DEFAULT_CONFIG, Inverter, photo_to_model
from inversion.perceptual import LPIPS
from inversion.photo import load_photo
from training.modelfile import (DEFAULT_MODEL, MODELS_DIR, GANModel, latents, load_model,
                                resolve_model, shipped_models)

SLIDER_LABEL_WIDTH = 130  # pixels for an attribute's name beside its slider
SLIDER_STEPS = 100  # slider ticks per unit; the range is -3..+3 units
BRUSHES = (("color", "Intensity / colour", "B"), ("sketch", "Sketch (edges)", "K"),
           ("preserve", "Preserve", "P"), ("erase", "Eraser", "E"))
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif)"


def default_autosave() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / "latent-editor" / "autosave.json"


class MainWindow(QMainWindow):
    def __init__(self, model: str = DEFAULT_MODEL, settings: QSettings | None = None,
                 autosave_path: Path | None = None, ask_recovery: bool = True):
        super().__init__()
        self.settings = settings or QSettings("latent-editor", "latent-editor")
        self.autosave_path = autosave_path or default_autosave()
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.inverter: Inverter | None = None
        self.lpips: LPIPS | None = None
        self.doc: Document | None = None
        self.renderer: Renderer | None = None
        self.last_error = ""
        self.candidates: torch.Tensor | None = None
        self.brush_value = (1.0,)
        self.render_worker = LatestWorker("render")
        self.job_worker = LatestWorker("jobs")
        self._render_id = 0
        self._job_id = 0
        self._job_kind = ""
        self._last_step = None
        self._user_cancelled = False
        self.frame_times: list[float] = []  # seconds from slider change to painted frame
        self._slider_t0: float | None = None
        self._build_ui()
        self.render_worker.done.connect(self._on_render)
        self.render_worker.failed.connect(lambda _, m: self.show_error(m))
        self.job_worker.step.connect(self._on_job_step)
        self.job_worker.done.connect(self._on_job_done)
        self.job_worker.failed.connect(self._on_job_failed)
        self.job_worker.cancelled.connect(self._on_job_cancelled)
        self.setAcceptDrops(True)
        self.resize(1200, 800)
        self.switch_model(model)
        if ask_recovery:
            QTimer.singleShot(0, self.offer_recovery)

    # ================================================================== UI

    def _build_ui(self) -> None:
        self.canvas = Canvas()
        self.canvas.stroke_painted.connect(self._on_stroke)
        self.setCentralWidget(self.canvas)
        self._build_menus()
        self._build_side_panel()
        self._build_brush_bar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.cancel_button.hide()
        self.model_label = QLabel()
        sb = self.statusBar()
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.model_label)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        m = self.menuBar()
        f = m.addMenu("&File")
        self._action(f, "&Open photo…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &recent")
        self._action(f, "&New from model…", self.new_from_model_dialog, "Ctrl+N")
        f.addSeparator()
        self._action(f, "&Save session…", self.save_session_dialog, QKeySequence.StandardKey.Save)
        self._action(f, "Open s&ession…", self.open_session_dialog, "Ctrl+Shift+O")
        self._action(f, "&Export…", self.export_dialog, "Ctrl+E")
        f.addSeparator()
        self._action(f, "Add &model folder…", self.add_model_dialog)
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = m.addMenu("&Edit")
        self.undo_action = self._action(e, "&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(e, "&Redo", self.redo, "Ctrl+Shift+Z")
        self._action(e, "Reset all sliders", self.reset_all_sliders, "Ctrl+R")
        v = m.addMenu("&View")
        self._action(v, "Zoom to &fit", self.canvas.zoom_fit, "Ctrl+0")
        self._action(v, "&Actual size (100%)", self.canvas.zoom_actual, "Ctrl+1")
        self._action(v, "Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self._action(v, "Zoom o&ut", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self._action(v, "&Before / after", self.toggle_before_after, "Space")
        self._action(v, "&Split view", lambda: self.set_view_mode(
            "after" if self.canvas.mode == "split" else "split"), "Ctrl+\\")
        self._update_recent_menu()

    def _build_side_panel(self) -> None:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        models = QHBoxLayout()
        self.model_combo = QComboBox()
        self.model_combo.activated.connect(lambda i: self.switch_model(self.model_combo.itemData(i)))
        models.addWidget(QLabel("Model"))
        models.addWidget(self.model_combo, 1)
        layout.addLayout(models)
        self.model_view = QLabel()
        self.model_view.setFixedSize(128, 128)
        self.model_view.setToolTip("What the model draws (G(z)), smoothly enlarged")
        layout.addWidget(self.model_view, 0, Qt.AlignmentFlag.AlignHCenter)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Attributes</b>"))
        reset = QPushButton("Reset all")
        reset.clicked.connect(self.reset_all_sliders)
        head.addWidget(reset)
        layout.addLayout(head)
        self.slider_area = QScrollArea()
        self.slider_area.setWidgetResizable(True)
        self.slider_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.slider_host = QWidget()
        self.slider_form = QFormLayout(self.slider_host)
        self.slider_area.setWidget(self.slider_host)
        layout.addWidget(self.slider_area, 3)
        layout.addWidget(QLabel("<b>Candidates</b> (click to choose)"))
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QPixmap(64, 64).size())
        self.gallery.setFixedHeight(96)
        self.gallery.itemClicked.connect(lambda item: self.choose_candidate(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.gallery)
        layout.addWidget(QLabel("<b>History</b>"))
        self.history_list = QListWidget()
        self.history_list.itemClicked.connect(lambda item: self.jump_history(self.history_list.row(item)))
        layout.addWidget(self.history_list, 2)
        panel.setMinimumWidth(340)
        dock = QDockWidget("Edit", self)
        dock.setWidget(panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.sliders: dict[str, QSlider] = {}
        self.slider_labels: dict[str, QLabel] = {}
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(400)
        self.commit_timer.timeout.connect(self.commit_sliders)

    def _build_brush_bar(self) -> None:
        bar = self.brush_bar = QToolBar("Brushes")
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, bar)
        self.brush_group = QButtonGroup(self)
        self.brush_group.setExclusive(False)
        self.brush_buttons: dict[str, QToolButton] = {}
        for kind, text, key in BRUSHES:
            b = QToolButton()
            b.setText(text.split(" ")[0])
            b.setToolTip(f"{text} ({key})")
            b.setCheckable(True)
            b.setShortcut(QKeySequence(key))
            b.toggled.connect(lambda on, k=kind: self.set_brush(k if on else None))
            bar.addWidget(b)
            self.brush_buttons[kind] = b
        self.colour_button = QPushButton("Colour…")
        self.colour_button.clicked.connect(self.pick_colour)
        bar.addWidget(self.colour_button)
        bar.addWidget(QLabel("Size"))
        self.size_slider = QSlider(Qt.Orientation.Vertical)
        self.size_slider.setRange(2, 80)
        self.size_slider.setValue(12)
        self.size_slider.valueChanged.connect(lambda v: setattr(self.canvas, "brush_radius", float(v)))
        bar.addWidget(self.size_slider)
        bar.addWidget(QLabel("Strength"))
        self.strength_slider = QSlider(Qt.Orientation.Vertical)
        self.strength_slider.setRange(1, 50)
        self.strength_slider.setValue(10)
        bar.addWidget(self.strength_slider)
        self.brush: str | None = None

    # ================================================================== models

    def refresh_models(self) -> None:
        self.model_combo.clear()
        extra = [p for p in self.settings.value("model_folders", [], type=list) if Path(p).is_dir()]
        for name in shipped_models():
            self.model_combo.addItem(name, str(MODELS_DIR / name))
        for p in extra:
            self.model_combo.addItem(Path(p).name + " (added)", p)
        if self.model:
            i = self.model_combo.findData(str(self.model.path))
            if i >= 0:
                self.model_combo.setCurrentIndex(i)

    def switch_model(self, name_or_path: str) -> bool:
        """Load a model (keeping the current one if it is refused)."""
        try:
            model = load_model(resolve_model(name_or_path))
        except Exception as e:  # noqa: BLE001 - any refusal is shown; the old model stays
            self.show_error(f"Model refused: {e}")
            return False
        self.model = model
        self.vectors = model_vectors(model)
        self.inverter = None
        self._rebuild_sliders()
        self.refresh_models()
        self.model_label.setText(f"{model.name} · {model.gan.resolution}×{model.gan.resolution} · "
                                 f"{'grey' if model.gan.channels == 1 else 'colour'}")
        self._update_title()
        if self.doc is not None:
            if self.doc.photo_path is not None:
                self.open_photo(self.doc.photo_path)
            else:
                self.new_from_model(self.doc.seed or 0)
        return True

    def add_model_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a model folder")
        if folder and self.switch_model(folder):
            folders = self.settings.value("model_folders", [], type=list)
            if folder not in folders:
                self.settings.setValue("model_folders", folders + [folder])
            self.refresh_models()

    def get_inverter(self) -> Inverter:
        if self.inverter is None:
            self.lpips = self.lpips or LPIPS()
            self.inverter = Inverter(self.model, self.lpips, load_encoder(self.model))
        return self.inverter

    # ================================================================== sliders

    def _rebuild_sliders(self) -> None:
        while self.slider_form.rowCount():
            self.slider_form.removeRow(0)
        self.sliders.clear()
        self.slider_labels.clear()
        if not self.vectors:
            self.slider_form.addRow(QLabel("This model has no attribute vectors\n"
                                           "(`latent-edit vectors --model NAME`)."))
        for name in self.vectors:
            row = QHBoxLayout()
            s = QSlider(Qt.Orientation.Horizontal)
            s.setMinimumWidth(90)
            s.setRange(-3 * SLIDER_STEPS, 3 * SLIDER_STEPS)
            s.setObjectName(f"slider:{name}")
            s.valueChanged.connect(lambda v, n=name: self._on_slider(n, v))
            value = QLabel("0.00")
            value.setMinimumWidth(36)
            reset = QToolButton()
            reset.setText("⟲")
            reset.setToolTip(f"Reset {name}")
            reset.clicked.connect(lambda _=False, n=name: self.set_slider(n, 0.0, commit=True))
            row.addWidget(s, 1)
            row.addWidget(value)
            row.addWidget(reset)
            label = QLabel()  # long names ("Smiling (keep Male, Young)") are elided, whole in the tip
            label.setText(label.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle,
                                                         SLIDER_LABEL_WIDTH))
            label.setToolTip(name)
            self.slider_form.addRow(label, row)
            self.sliders[name] = s
            self.slider_labels[name] = value

    def slider_values(self) -> dict[str, float]:
        return {n: s.value() / SLIDER_STEPS for n, s in self.sliders.items()}

    def set_slider(self, name: str, value: float, commit: bool = False) -> None:
        self.sliders[name].setValue(int(round(value * SLIDER_STEPS)))
        if commit:
            self.commit_sliders()

    def _show_slider_values(self, values: dict[str, float]) -> None:
        for n, s in self.sliders.items():
            s.blockSignals(True)
            s.setValue(int(round(values.get(n, 0.0) * SLIDER_STEPS)))
            s.blockSignals(False)
            self.slider_labels[n].setText(f"{values.get(n, 0.0):+.2f}")

    def _on_slider(self, name: str, value: int) -> None:
        self.slider_labels[name].setText(f"{value / SLIDER_STEPS:+.2f}")
        if self.doc is None:
            return
        self._slider_t0 = time.perf_counter()
        snap = self.doc.with_sliders(self.slider_values(), "preview")
        self.request_render(snap)
        self.commit_timer.start()

    def commit_sliders(self) -> None:
        """Record the slider values in the history (after a drag or key presses settle)."""
        self.commit_timer.stop()
        if self.doc is None:
            return
        values = self.slider_values()
        if dict(self.doc.current.sliders) == {k: v for k, v in values.items() if v}:
            return
        changed = [f"{k} {v:+.2f}" for k, v in values.items()
                   if v != self.doc.current.slider_dict.get(k, 0.0)]
        changed += [f"{k} reset" for k in self.doc.current.slider_dict if values.get(k, 0) == 0]
        self.push(self.doc.with_sliders(values, "slider " + ", ".join(changed)))

    def reset_all_sliders(self) -> None:
        if self.doc is None or not self.doc.current.sliders:
            return
        self._show_slider_values({})
        self.push(self.doc.with_sliders({}, "reset all sliders"))

    # ================================================================== rendering

    def request_render(self, snap: Snapshot) -> None:
        renderer, vectors = self.renderer, self.vectors
        z = snap.code(vectors)
        self._render_id = self.render_worker.submit(
            lambda: (renderer.display(z), renderer.model_image(z)))

    def _on_render(self, job_id: int, result) -> None:
        if job_id != self._render_id or self.renderer is None:
            return  # a newer request superseded this one
        display, model_img = result
        self.canvas.set_images(display)
        self._show_model_image(model_img)
        self.canvas.repaint()
        if self._slider_t0 is not None:
            self.frame_times.append(time.perf_counter() - self._slider_t0)
            self._slider_t0 = None

    def _show_model_image(self, x: torch.Tensor) -> None:
        img = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        if img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        q = to_qimage(img).scaled(128, 128, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
        self.model_view.setPixmap(QPixmap.fromImage(q))

    @property
    def idle(self) -> bool:
        return not self.render_worker.busy and not self.job_worker.busy

    # ================================================================== history

    def push(self, snap: Snapshot) -> None:
        self.doc.push(snap)
        self._after_history_change()

    def undo(self) -> None:
        if self.doc and self.doc.can_undo:
            self.doc.undo()
            self._after_history_change()

    def redo(self) -> None:
        if self.doc and self.doc.can_redo:
            self.doc.redo()
            self._after_history_change()

    def jump_history(self, index: int) -> None:
        if self.doc:
            self.doc.jump(index)
            self._after_history_change()

    def _after_history_change(self) -> None:
        self._show_slider_values(self.doc.current.slider_dict)
        self.request_render(self.doc.current)
        self.history_list.clear()
        for i, s in enumerate(self.doc.history):
            item = QListWidgetItem(f"{i}. {s.label}")
            if i > self.doc.index:
                item.setForeground(QColor(150, 150, 150))
            self.history_list.addItem(item)
        self.history_list.setCurrentRow(self.doc.index)
        self.undo_action.setEnabled(self.doc.can_undo)
        self.redo_action.setEnabled(self.doc.can_redo)
        self.autosave()

    # ================================================================== opening

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo", self._last_dir(), IMAGE_FILTER)
        if path:
            self.open_photo(path)

    def open_photo(self, path: str | Path, whole_image: bool = False, face: int | None = None) -> bool:
        """Load a photo and start its inversion in the background; False (and a message) if the
        file is refused, leaving the current document as it was. For a face model with several
        faces in the photo, `face` picks one (0 = the largest); None asks the user."""
        try:
            photo = load_photo(path)
            found = None
            if not whole_image and DomainSpec.for_model(self.model.config).kind == "face":
                from inversion.faces import find_faces

                found = find_faces(photo.pixels)  # once: the choice and the alignment share it
                if face is None and len(found) > 1:
                    face = self.ask_which_face(photo.pixels, found, photo.path.name)
                    if face is None:
                        return False
            x, mapping = photo_to_model(self.model, photo, whole_image, face or 0, found)
        except NoObjectError as e:
            what = "face" if isinstance(e, NoFaceError) else "object"
            answer = QMessageBox.question(
                self, f"No {what} found", f"{Path(path).name}: {e}.\nUse the whole image instead?")
            return answer == QMessageBox.StandardButton.Yes and self.open_photo(path, True)
        except Exception as e:  # noqa: BLE001 - a stranger's file must never take the app down
            self.show_error(str(e))
            return False
        self._remember_recent(photo.path)
        inverter = self.get_inverter()
        method = "hybrid" if inverter.encoder is not None else "optimize"
        first = inverter.guess(x)[0] if inverter.encoder is not None else torch.zeros(self.model.gan.latent_dim)
        self._start_document(Document(self.model.path, self.model.model_id, photo.pixels, mapping,
                                      first, photo_path=photo.path))
        self.statusBar().showMessage(f"Inverting {photo.path.name}…")
        self.set_editing_enabled(False)  # edits wait for the final code; Cancel keeps the best so far
        self.run_job("invert", lambda: inverter.run(x, method, DEFAULT_CONFIG), DEFAULT_CONFIG.steps)
        return True

    def ask_which_face(self, pixels: np.ndarray, faces: list, name: str) -> int | None:
        """The user clicks one of a photo's faces in a dialog; None if they cancel."""
        from editor.facechooser import FaceChooser

        dialog = FaceChooser(pixels, faces, name, self)
        return dialog.chosen if dialog.exec() else None

    def new_from_model_dialog(self) -> None:
        seed, ok = QInputDialog.getInt(self, "New from model", "Seed:",
                                       int(np.random.randint(0, 100_000)), 0, 2**31 - 1)
        if ok:
            self.new_from_model(seed)

    def new_from_model(self, seed: int) -> None:
        z = latents(1, self.model.gan.latent_dim, seed)[0]
        pixels, mapping = sample_document_pixels(self.model, z)
        self._start_document(Document(self.model.path, self.model.model_id, pixels, mapping, z,
                                      seed=seed))
        self.statusBar().showMessage(f"New from {self.model.name}, seed {seed}")

    def _start_document(self, doc: Document) -> None:
        self.cancel_job()
        self.set_editing_enabled(True)
        self.doc = doc
        self.renderer = Renderer(self.model, doc.pixels, doc.mapping, doc.z0)
        self.canvas.set_images(self.renderer.display_pixels, self.renderer.display_pixels)
        self.gallery.clear()
        self.candidates = None
        self._update_title()
        self._after_history_change()

    # ================================================================== long jobs

    def run_job(self, kind: str, job, total: int) -> None:
        self._job_kind = kind
        self._last_step = None
        self._user_cancelled = False
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self._job_id = self.job_worker.submit(job)

    def cancel_job(self) -> None:
        if self.job_worker.busy:
            self._user_cancelled = True
            self.job_worker.cancel()

    def _on_job_step(self, job_id: int, step) -> None:
        if job_id != self._job_id:
            return
        self._last_step = step
        self.progress.setValue(step.step)
        if self._job_kind == "invert" and self.doc is not None and step.step % 5 == 0:
            # Refine on screen as the optimisation goes (every few steps keeps the GUI light).
            self.doc.history[0] = Snapshot("open", step.z[0].clone())
            self.doc.z0 = step.z[0].clone()
            self.renderer = self.renderer.rebased(self.doc.z0)
            self.request_render(self.doc.current)

    def _finish_job(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def _on_job_done(self, job_id: int, result) -> None:
        if job_id != self._job_id:
            return
        self._finish_job()
        if self._job_kind == "invert":
            self._finish_inversion(result)
        elif self._job_kind == "solve":
            self._finish_solve(result)

    def _on_job_cancelled(self, job_id: int) -> None:
        if job_id != self._job_id:
            return
        self._finish_job()
        if self._user_cancelled and self._last_step is not None and self._job_kind == "invert":
            self._finish_inversion(self._last_step)  # keep the best code found so far
            self.statusBar().showMessage("Inversion stopped; keeping the best result so far")
        elif self._job_kind == "solve" and self.doc is not None:
            self.statusBar().showMessage("Stroke cancelled")
        self.set_editing_enabled(True)

    def _on_job_failed(self, job_id: int, message: str) -> None:
        if job_id == self._job_id:
            self._finish_job()
            self.set_editing_enabled(True)
            self.show_error(message)

    def set_editing_enabled(self, enabled: bool) -> None:
        self.slider_area.setEnabled(enabled)
        self.brush_bar.setEnabled(enabled)
        self.canvas.brush_enabled = enabled and self.brush is not None

    def _finish_inversion(self, step) -> None:
        z = step.z[0].clone()
        self.doc.z0 = z
        self.doc.history = [Snapshot("open", z)]
        self.doc.index = 0
        self.renderer = self.renderer.rebased(z)
        self.set_editing_enabled(True)
        self.statusBar().showMessage(f"Inversion done: {step.step} steps, loss {step.loss[0].item():.4f}")
        self._after_history_change()

    # ================================================================== strokes

    def set_brush(self, kind: str | None) -> None:
        for k, b in self.brush_buttons.items():
            b.blockSignals(True)
            b.setChecked(k == kind)
            b.blockSignals(False)
        self.brush = kind
        self.canvas.brush_enabled = kind is not None

    def pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(255, 255, 255), self, "Brush colour")
        if colour.isValid():
            rgb = np.array([colour.red(), colour.green(), colour.blue()]) / 127.5 - 1
            self.set_brush_value(tuple(float(v) for v in rgb))

    def set_brush_value(self, value: tuple[float, ...]) -> None:
        """Target of the intensity/colour brush, in model levels [-1, 1] (1 or 3 values)."""
        if self.model and self.model.gan.channels == 1 and len(value) == 3:
            value = (float(np.dot([0.299, 0.587, 0.114], value)),)
        self.brush_value = value

    def _on_stroke(self, points: list, radius: float) -> None:
        if self.doc is None or self.brush is None or self.job_worker.busy:
            return
        model_points = tuple(self.renderer.display_point_to_model(x, y) for x, y in points)
        stroke = Stroke(self.brush, model_points, max(0.5, self.renderer.model_radius(radius)),
                        self.brush_value, self.strength_slider.value() / 10)
        self.apply_stroke(stroke)

    def apply_stroke(self, stroke: Stroke, cfg: SolverConfig = SolverConfig()) -> None:
        """Solve for the strokes so far plus this one, in the background; candidates follow."""
        strokes = self.doc.current.strokes + (stroke,)
        z = self.doc.current.code(self.vectors)
        model = self.model
        try:
            with torch.no_grad():
                constraints = build_constraints(list(strokes), model.generator(z[None])[0])
        except Exception as e:  # noqa: BLE001 - StrokeError and friends: say so, keep the state
            self.show_error(str(e))
            return
        self._pending_strokes = strokes
        self._pending_label = f"{stroke.kind} stroke"
        if constraints.empty:  # an eraser that removed everything: back to the code as it is
            self.push(Snapshot(self._pending_label, self.doc.current.z_base, self.doc.current.sliders, strokes))
            return
        self.statusBar().showMessage("Solving the stroke…")
        self.run_job("solve", lambda: solve(model.generator, model.discriminator, z, constraints, cfg),
                     cfg.steps)

    def _finish_solve(self, step) -> None:
        self.candidates = step.z
        self.gallery.clear()
        for k, img in enumerate(step.images):
            arr = ((img.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
            arr = np.repeat(arr, 3, axis=2) if arr.shape[2] == 1 else arr
            icon = QIcon(QPixmap.fromImage(to_qimage(arr).scaled(
                64, 64, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)))
            item = QListWidgetItem(icon, f"{k + 1}")
            item.setData(Qt.ItemDataRole.UserRole, k)
            self.gallery.addItem(item)
        self.push(self.doc.with_candidate(step.z[0], self._pending_strokes, self.vectors,
                                          self._pending_label))
        self.statusBar().showMessage(f"{len(step.z)} candidates; the best is applied, click another "
                                     f"to choose it")

    def choose_candidate(self, k: int) -> None:
        if self.candidates is None or self.doc is None:
            return
        self.push(self.doc.with_candidate(self.candidates[k], self.doc.current.strokes, self.vectors,
                                          f"candidate {k + 1}"))

    # ================================================================== export and sessions

    def export_dialog(self) -> None:
        if self.doc is None:
            return self.show_error("Nothing to export: open a photo first")
        start = str(Path(self._last_dir()) / ((self.doc.photo_path.stem if self.doc.photo_path
                                                else "sample") + "-edited.png"))
        path, _ = QFileDialog.getSaveFileName(self, "Export", start,
                                              "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)")
        if path:  # the dialog has already asked before overwriting
            self.export_to(path)

    def export_to(self, path: str | Path, quality: int = 92) -> bool:
        """Write the edit at the photo's own size, and its recipe beside it."""
        try:
            export_format(path)
            z = self.doc.current.code(self.vectors)
            pixels, _ = render_edit(self.model, self.doc.pixels, self.doc.mapping, self.doc.z0, z,
                                    MASK_THRESHOLD)
            save_image(pixels, path, quality)
            if self.doc.photo_path is not None:
                write_recipe(recipe_path(path), model=self.model, photo=self.doc.photo_path,
                             mapping=self.doc.mapping, z0=self.doc.z0, z_edit=z,
                             sliders=self.doc.current.slider_dict,
                             strokes=list(self.doc.current.strokes), solver=None, quality=quality,
                             threshold=MASK_THRESHOLD)
        except Exception as e:  # noqa: BLE001 - disk full, bad name...: say so, keep working
            self.show_error(f"Export failed: {e}")
            return False
        self.statusBar().showMessage(f"Exported {Path(path).name}")
        return True

    def save_session_dialog(self) -> None:
        if self.doc is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save session", self._last_dir(),
                                              "Sessions (*.session.json)")
        if path:
            self.save_session(path)

    def save_session(self, path: str | Path) -> bool:
        try:
            self.doc.save(path)
        except OSError as e:
            self.show_error(f"Could not save the session: {e}")
            return False
        self.statusBar().showMessage(f"Session saved to {Path(path).name}")
        return True

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._last_dir(),
                                              "Sessions (*.json)")
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> bool:
        try:
            data = read_session(path)
            if str(self.model.path) != data["model"]["path"] and \
                    not self.switch_model(data["model"]["path"]):
                return False
            if data["model"].get("id") not in (None, self.model.model_id):
                raise SessionError(f"this session was made with {data['model']['id']}, but the model "
                                   f"folder now holds {self.model.model_id}, another version (retrained "
                                   f"or replaced) whose codes draw other pictures. Open the photo again "
                                   f"to edit it with this model.")
            mapping = DomainMapping.from_dict(data["mapping"])
            z0 = torch.tensor(data["z0"], dtype=torch.float32)
            if data["photo"]["path"]:
                photo_path = Path(data["photo"]["path"])
                pixels = load_photo(photo_path).pixels
                sha = hashlib.sha256(photo_path.read_bytes()).hexdigest()
                if data["photo"].get("sha256") and sha != data["photo"]["sha256"]:
                    raise SessionError(f"{photo_path.name} has changed since the session was "
                                       f"saved; its edits would land in the wrong places")
            else:
                pixels, _ = sample_document_pixels(self.model, z0)
                photo_path = None
            doc = Document(self.model.path, self.model.model_id, pixels, mapping, z0, photo_path,
                           data.get("seed"), [Snapshot.from_dict(s) for s in data["history"]],
                           int(data["index"]))
        except Exception as e:  # noqa: BLE001
            self.show_error(str(e))
            return False
        self._start_document(doc)
        return True

    def autosave(self) -> None:
        if self.doc is not None:
            try:
                self.doc.save(self.autosave_path)
            except OSError:
                pass  # autosave is best effort; the user's own files are untouched

    def offer_recovery(self) -> None:
        if not self.autosave_path.is_file() or self.doc is not None:
            return
        answer = QMessageBox.question(self, "Recover", "The editor did not close cleanly last time. "
                                      "Recover the last edit?")
        if answer == QMessageBox.StandardButton.Yes:
            self.open_session(self.autosave_path)

    # ================================================================== misc

    def set_view_mode(self, mode: str) -> None:
        if self.renderer is not None:
            self.canvas.set_images(None, self.renderer.display_pixels)
        self.canvas.set_mode(mode)

    def toggle_before_after(self) -> None:
        self.set_view_mode("after" if self.canvas.mode == "before" else "before")

    def show_error(self, message: str) -> None:
        """Tell the user, without blocking, and keep the current state."""
        self.last_error = message
        self.statusBar().showMessage(message, 10_000)
        box = QMessageBox(QMessageBox.Icon.Warning, "latent-editor", message, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _update_title(self) -> None:
        name = self.model.name if self.model else "no model"
        res = f"{self.model.gan.resolution}px" if self.model else ""
        doc = ""
        if self.doc is not None:
            doc = (self.doc.photo_path.name if self.doc.photo_path else f"sample seed {self.doc.seed}") + " — "
        self.setWindowTitle(f"{doc}latent-editor — {name} ({res})")

    def _last_dir(self) -> str:
        return self.settings.value("last_dir", str(Path.home()))

    def _remember_recent(self, path: Path) -> None:
        recent = [p for p in self.settings.value("recent", [], type=list) if p != str(path)]
        self.settings.setValue("recent", [str(path)] + recent[:9])
        self.settings.setValue("last_dir", str(path.parent))
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.value("recent", [], type=list):
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.open_photo(p))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls:
            self.open_photo(urls[0].toLocalFile())

    def closeEvent(self, event) -> None:  # noqa: N802
        self.render_worker.shutdown()
        self.job_worker.shutdown()
        self.autosave_path.unlink(missing_ok=True)  # a clean exit: nothing to recover
        super().closeEvent(event)
