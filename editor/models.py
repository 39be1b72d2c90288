"""The main window's model switch: one undoable step that frames and inverts the same photo
with the new model (a model sample: the new model's sample of the same seed), or is refused with a
message and the current model and edit as they were; choosing the model in use does nothing. A
mixin of editor.window.MainWindow; undo past the new document's first line brings the previous
model and its document back (`Edition`; the window's undo and redo are here, which say what they
undid or redid in the status bar, and the Edit menu names the step each would take: `step_names`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from editing.vectors import AttributeVector
from editor import opening, session
from editor.errors import USER_ERRORS, log_bug
from editor.state import Document, Snapshot
from inversion.framing import DomainSpec, NoObjectError
from training.modelfile import DEFAULT_MODEL, GANModel, resolve_model

UNDO_SHOWN_MS = 5000  # how long the status bar says "Undone: ..." or "Redone: ..."
MENU_NAME_CHARS = 48  # a step's name in the Edit menu ("Undo slider Eyeglasses +2.11"), cut beyond this


def menu_text(verb: str, step: str | None) -> str:
    """An Edit menu item that names its step ("&Undo slider Eyeglasses +2.11"; walkthrough 55: the
    items said only "Undo" and "Redo"), the step's "&" doubled, its name cut with "…" where long."""
    if not step:
        return verb
    name = step if len(step) <= MENU_NAME_CHARS else step[:MENU_NAME_CHARS - 1].rstrip() + "…"
    return f"{verb} {name.replace('&', '&&')}"


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

    def _start_with_last_model(self) -> bool:
        """At start without a model asked for, the model in use when the editor last ran, if it
        still loads (it started on the product model: a walkthrough had last used a model of its own
        photos); False where there is none or it is refused (said in the status bar)."""
        last = self.settings.value("last_model", "")
        if not isinstance(last, str) or not last:
            return False
        try:
            model, vectors, warning = session.load_model_and_vectors(last)
        except Exception as e:  # noqa: BLE001 - moved, deleted, damaged since, or a bug: never a
            # start that fails every time, the setting kept
            self.settings.remove("last_model")
            if not isinstance(e, USER_ERRORS):
                log_bug(e)
            self.statusBar().showMessage(f"The model last used could not be loaded ({e}); "
                                         f"starting with {DEFAULT_MODEL}")
            return False
        self._install_model(model, vectors, warning)
        return True

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
        """Make `model` the one in use: its sliders, brush channels, name in the status bar; the
        next start begins with it (_start_with_last_model)."""
        self.model, self.vectors = model, vectors
        self.settings.setValue("last_model", model.name if model.command_name == model.name
                               else str(Path(model.path).resolve()))  # (a relative path: from one folder)
        if warning:
            self.show_error(warning)
        self.inverter = None
        self.sliders_panel.set_attributes(vectors, model.command_name)
        self.sliders_panel.frame = DomainSpec.for_model(model.config).content_fraction
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

    @property
    def can_undo(self) -> bool:
        return self.doc is not None and (self.doc.can_undo or bool(self._undo_switches))

    @property
    def can_redo(self) -> bool:
        return self.doc is not None and (self.doc.can_redo or self._switch_to_redo())

    def undo(self) -> None:
        """Undo the document's last step; at its first, the model switch that started it."""
        if self.doc is None:
            return
        if self.doc.can_undo:
            undone = self.doc.current.label
            self._say_step(self.doc.undo, f"Undone: {undone}")
        elif self._undo_switches:
            back = self._undo_switches.pop()
            self._redo_switches.append(Edition(self.model, self.vectors, self.doc, back.doc.current))
            self._install_model(back.model, back.vectors)
            self._start_document(back.doc, switching=True)
            self.statusBar().showMessage(f"Back to {back.model.name}")

    def redo(self) -> None:
        """Redo the model switch undone last where the document stands where it was undone (the
        last thing undone), else the document's next step."""
        if self.doc is None:
            return
        if self._switch_to_redo():
            self.redo_switch()
        elif self.doc.can_redo:
            self._say_step(self.doc.redo, lambda: f"Redone: {self.doc.current.label}")

    def redo_switch(self) -> None:
        """Make the model switch undone last again, where the document stands where it was undone."""
        if not self._switch_to_redo():
            return
        forward = self._redo_switches.pop()
        self._undo_switches.append(Edition(self.model, self.vectors, self.doc))
        self._install_model(forward.model, forward.vectors)
        self._start_document(forward.doc, switching=True)
        self.statusBar().showMessage(f"Editing with {forward.model.name} again")

    def back_before_switch(self) -> None:
        """Back to the document the last model switch left, as Undo from the first step is."""
        if self.doc is not None and self._undo_switches:
            self.doc.jump(0)
            self.undo()

    def rows_around_switch(self) -> tuple[str | None, str | None]:
        """The history panel's rows around the document: above it, the one the last switch left
        (its model and steps); below, the switch undone last while Redo can make it again."""
        above = below = None
        if self._undo_switches:
            left = self._undo_switches[-1]
            steps = left.doc.index + 1
            above = f"↑ {steps} step{'s' if steps > 1 else ''} with {left.model.name}"
        if self._switch_to_redo():
            below = self._redo_switches[-1].doc.history[0].label
        return above, below

    def step_names(self) -> tuple[str | None, str | None]:
        """(the step Undo would take back, the one Redo would make again), None where there is none:
        a model switch named as going back to the model it left or on to the one it went to."""
        if self.doc is None:
            return None, None
        undo = self.doc.current.label if self.doc.can_undo else \
            (f"back to {self._undo_switches[-1].model.name}" if self._undo_switches else None)
        redo = f"switch to {self._redo_switches[-1].model.name}" if self._switch_to_redo() else \
            (self.doc.history[self.doc.index + 1].label if self.doc.can_redo else None)
        return undo, redo

    def _switch_to_redo(self) -> bool:
        """Whether a model switch was undone and the document stands where it was undone."""
        return bool(self._redo_switches) and self.doc is not None and \
            self._redo_switches[-1].anchor is self.doc.current

    def _say_step(self, step, message) -> None:
        """Run `step` (an undo or redo); the status bar says `message` (text, or a callable made
        after the step) instead of what it said before (an earlier step's "Region cleared…" stayed:
        walkthrough), or of nothing (a tool that only took its own message back: an undo past a
        stroke said nothing); for UNDO_SHOWN_MS, so that it does not stand beside the next edit
        ("Undone: slider Blond hair +2.00" stayed after a new slider edit: walkthrough). What a tool
        said of the state shown now, during the step or as it is drawn (a slider's note), comes back
        after it (editor.menus.Menus.say_for): before, the tool's words took its place, and whether
        undo said "Undone" hung on whether they differed from the last ones (walkthroughs 53 and 55:
        Redo said nothing, Undo did)."""
        bar = self.statusBar()
        said = bar.currentMessage()
        step()
        told = bar.currentMessage()
        text = message() if callable(message) else message
        standing = told not in ("", text) and (told != said or told in self._said.values())  # a tool's
        # note of the state now shown, said again in the same words or not (a review)
        self.menus.say_for(text, UNDO_SHOWN_MS, then=told if standing else None)
