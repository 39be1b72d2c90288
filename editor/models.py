"""The main window's model switch: one undoable step that frames and inverts the same photo
with the new model (a model sample: the new model's sample of the same seed), or is refused with a
message and the current model and edit as they were; choosing the model in use does nothing. A
mixin of editor.window.MainWindow; undo past the new document's first line brings the previous
model and its document back (`Edition`, the window's undo and redo).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from editing.vectors import AttributeVector
from editor import opening, session
from editor.errors import USER_ERRORS
from editor.state import Document, Snapshot
from inversion.framing import NoObjectError
from training.modelfile import GANModel, resolve_model


@dataclass(frozen=True)
class Edition:
    """A model and the document it edits: what a model switch leaves behind, and undo brings back."""

    model: GANModel
    vectors: dict[str, AttributeVector]
    doc: Document
    anchor: Snapshot | None = None  # redo side: where the document before the switch must stand


class ModelSwitching:
    """Switching models for MainWindow (which sets `model`, `vectors`, `doc`, the panels and
    `_undo_switches` / `_redo_switches`)."""

    def refresh_models(self) -> None:
        added = self.settings.value("model_folders", [], type=list)
        self.model_panel.set_models(added, str(self.model.path) if self.model else None)

    def _same_model(self, name_or_path: str | Path) -> bool:
        try:
            return self.model is not None and resolve_model(name_or_path).resolve() == Path(self.model.path).resolve()
        except USER_ERRORS:  # a name that resolves to nothing is not the current model
            return False

    def switch_model(self, name_or_path: str) -> bool:
        """Edit with another model. With a document open this is one undoable step: the photo is
        framed and inverted again with the new model (a model sample: the new model's sample of the
        same seed). Refused, with a message and the current model and edit as they were, if the
        model cannot be loaded or cannot frame the photo (a face model and a photo without a face).
        The model already in use: nothing happens."""
        if self._same_model(name_or_path):
            self.refresh_models()
            return True
        ok, loaded = self._attempt(lambda: session.load_model_and_vectors(name_or_path), "Model refused: ")
        if not ok:
            self.refresh_models()  # the model box shows the model still in use
            return False
        model, vectors, warning = loaded
        if self.doc is None:
            self._install_model(model, vectors, warning)
            return True
        label = f"model {self.model.name} → {model.name}"
        framed = doc = None
        if self.doc.photo_path is None:
            doc = session.new_document(model, self.doc.seed or 0)
            doc.history = [replace(doc.history[0], label=label)]
        else:
            path = self.doc.photo_path
            opening.say_before_framing(self, model, path)
            try:
                ok, framed = self._attempt(lambda: session.frame_photo(
                    model, path, False, self.doc.mapping.face if self.doc.mapping.affine else None,
                    self.ask_which_face), f"Model not switched: {model.name} cannot edit {path.name}: ",
                    passing=NoObjectError)
            except NoObjectError as e:
                ok = False
                self.show_error(f"{model.name} cannot edit {path.name}: {e}. Still editing with "
                                f"{self.model.name}.")
            if not ok or framed is None:
                self.refresh_models()
                return False
        self._undo_switches.append(Edition(self.model, self.vectors, self.doc))
        self._redo_switches.clear()
        self._install_model(model, vectors, warning)
        if framed is not None:
            opening.invert(self, framed, label, switching=True)
        else:
            self._start_document(doc, switching=True)
        return True

    def _install_model(self, model: GANModel, vectors: dict[str, AttributeVector], warning: str = "") -> None:
        """Make `model` the one in use: its sliders, brush channels, name in the status bar."""
        self.model, self.vectors = model, vectors
        if warning:
            self.show_error(warning)
        self.inverter = None
        self.sliders_panel.set_attributes(vectors)
        self.brush_bar.set_colour_model(model.gan.channels > 1)
        self.refresh_models()
        self.tuning.follow_model(model)
        self._update_model_label()
        self._update_title()

    def _update_model_label(self) -> None:
        model = self.model
        tuned = " · tuned to the photo" if self.drawing_model is not model else ""
        self.model_label.setText(f"{model.name} · {model.gan.resolution}×{model.gan.resolution} · "
                                 f"{'grey' if model.gan.channels == 1 else 'colour'}{tuned}")
