"""The main window's files: export, sessions, the autosave and its recovery, a photo dropped on the
window, and the question before unsaved edits are replaced or closed (Save / Discard / Cancel). A mixin of
editor.window.MainWindow: it works on the window's document, model and panels.

Every file operation runs through `_attempt`: a stranger's file that cannot be used is a message,
a bug is logged with its traceback and shown as a short note, and the edit stays as it was.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from editor import session
from editor.errors import USER_ERRORS, bug_message, log_bug
from editor.session_check import read_session
from editor.tuning import SAID_MS


def default_autosave() -> Path:
    state = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return state / "latent-editor" / "autosave.json"


class DocumentFiles:
    """Export, sessions and the autosave for MainWindow (which sets `doc`, `model`, `vectors`,
    `tuning`, `drag_tool`, `menus`, `autosave_path`, `_saved`, `_exported` and `_session_file`)."""

    def export_to(self, path: str | Path, quality: int = 92) -> bool:
        """Write the edit at the photo's own size, and its recipe beside it."""
        def export() -> list[Path]:
            written = session.export_document(self.doc, self.model, self.vectors, path, quality,
                                              tuned=self.tuning.enabled)
            self.drag_tool.record_in_recipe(self.doc, path)  # the recipe also says what the drags did
            return written
        ok, written = self._attempt(export, "Export failed: ")
        if ok:
            self._exported = (self.doc, self.doc.current, Path(path).name)
            text, files = session.export_message(written)
            warning = self.candidates_panel.warning  # (walkthrough 49: exported while it said so, unsaid)
            if warning:  # short in the bar ("Gone too far"), whole in its tooltip
                text += f", {warning.partition(':')[0].lower()} as shown"
                files += f"\n{warning}"
            self.statusBar().showMessage(text)
            self.statusBar().setToolTip(files)
        return ok

    def _update_title(self) -> None:
        """The photo (and the session it was opened from or saved to), a mark while edits are not
        saved as a session (walkthrough 50: the title said neither), the model."""
        name = self.model.name if self.model else "no model"
        res = f"{self.model.gan.resolution}px" if self.model else ""
        doc, path = "", self.session_file()
        if self.doc is not None:
            doc = self.doc.photo_path.name if self.doc.photo_path else f"sample seed {self.doc.seed}"
            doc += (f" ({path.name})" if path else "") + "[*] — "
        self.setWindowTitle(f"{doc}latent-editor — {name} ({res})")
        self.setWindowModified(self.unsaved)

    def save_session(self, path: str | Path) -> bool:
        said = f"Session saved to {Path(path).name}"
        if self._undo_switches:  # reopened, its first step was a switch that led nowhere: a walkthrough
            left = self._undo_switches[-1]
            said += (f" (with {self.model.name}'s edits; not the document before the switch from "
                     f"{left.model.name}, which stays for Undo while this window is open)")
        ok = self._attempt(lambda: session.save_session(self.doc, path, self.offers.saved(self.doc)),
                           "Could not save the session: ", said)[0]
        if ok:
            self._saved = (self.doc, self.doc.current)
            self._session_file = (self.doc, Path(path))
            self._update_title()
            self.menus.remember_recent(Path(path), "saved")
        return ok

    def session_file(self) -> Path | None:
        """The session file the document was opened from or last saved to, if any: Save session
        starts there (a walkthrough's Save on a reopened session offered a new file beside the
        photo)."""
        doc, path = self._session_file or (None, None)
        return path if doc is self.doc and self.doc is not None else None

    def open_session(self, path: str | Path) -> bool:
        """Open a saved session, with the model it names, checked whole before anything changes:
        a damaged session (or one whose model or photo cannot be used) is refused with a message,
        and the editor keeps its document and model (or stays empty). Its tuned generator, if it
        has one, is read from beside it; a missing or altered one is a message, and the photo is
        tuned again (the switch on) or drawn by the model's own generator."""
        def rebuild() -> tuple:
            data = read_session(path)
            if self._same_model(data["model"]["path"]):
                loaded = (self.model, self.vectors, "")
            else:
                loaded = session.load_model_and_vectors(data["model"]["path"])
            doc = session.document_from_session(data, loaded[0], loaded[1])
            doc.tuning, warning = session.load_tuning(data, path, loaded[0])
            return loaded, doc, warning, data.get("offers", [])

        ok, built = self._attempt(rebuild, "Session refused: ")
        if not ok:
            return False
        loaded, doc, warning, offers = built
        previous = (self.model, self.vectors, self.doc)
        if loaded[0] is not self.model:
            self._install_model(*loaded)
        if self._attempt(lambda: self._start_document(doc), "Session refused: ")[0]:
            try:  # the stroke candidates behind its states (walkthrough 48: gone after reopening)
                self.offers.restore(doc, offers, loaded[1], lambda: self.preview.renderer)
                self.autosave()  # (written as the document started, before them)
            except Exception as e:  # noqa: BLE001 - a bug drawing them: the session stays, without them
                log_bug(e)
            self._saved = (doc, doc.current)
            self._session_file = (doc, Path(path))
            self._update_title()
            if Path(path) != self.autosave_path:  # (a crash's recovery is no recent file)
                self.menus.remember_recent(Path(path), "saved")
            region = "; it has a region: later edits change only inside it (Clear region)" \
                if doc.current.region is not None else ""  # (walkthrough 55: a slider reopened in one
            # changed nothing on the face, with the Region tool off, its outline thin)
            self.menus.say_for(f"Opened session {Path(path).name}: {len(doc.history)} steps, at "
                               f"\"{doc.current.label}\"{region}", SAID_MS, stay=True)  # not the last save's;
            # a slider's note of the state waits behind it (walkthrough 56 saw only the note)
            retuning = self.tuning.start(doc)  # the switch on and no tuned generator: tune now
            if warning:
                self.show_error(f"{warning}. " + ("Tuning the generator to the photo again." if retuning
                                                  else "The model draws the photo as trained, untuned."))
            return True
        model, vectors, old_doc = previous  # a bug while showing it: back to what was there
        if model is not None and model is not self.model:
            self._install_model(model, vectors, "")
        if old_doc is not None:
            self._start_document(old_doc)
        else:
            self._close_document()
        return False

    def _close_document(self) -> None:
        """No document: an empty canvas, editing off (a refused session at start)."""
        self.jobs.abandon()
        self.doc = None
        self.canvas.clear()
        self.set_editing_enabled(False)
        self._update_title()

    @property
    def unsaved(self) -> bool:
        """Edits that would be lost: the document (or one switched away from) has steps, and its
        state is not the one last saved as a session, nor the photo as opened (sliders moved and
        set back to 0 leave nothing to lose; a walkthrough was asked to save them)."""
        if self.doc is None:
            return False
        saved_doc, saved = self._saved or (None, None)
        if saved_doc is self.doc and self.doc.current.shows_same(saved):  # this document's save
            return False
        switched = any(not e.doc.current.shows_same(e.doc.history[0]) for e in self._undo_switches)
        if not switched and self.doc.current.shows_same(self.doc.history[0]):
            return False
        return self.doc.index > 0 or switched

    def confirm_discard(self, doing: str) -> bool:
        """Whether the edit may be replaced or closed: True if nothing is unsaved, or the user
        saved it or chose Discard; False if they cancelled (then nothing changes)."""
        if not self.unsaved:
            return True
        name = self.doc.photo_path.name if self.doc.photo_path else f"The sample of seed {self.doc.seed}"
        exported_doc, exported, exported_to = self._exported or (None, None, "")
        if exported_doc is self.doc and self.doc.current.shows_same(exported):
            said = (f"{name} was exported to {exported_to}, but its edits are not saved as a session: "
                    f"without one, they cannot be undone or changed later.\n")
        else:
            said = f"{name} has edits that are not saved.\n"
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Unsaved edits", f"{said}Save them as a session before {doing}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            if self.menus.save_session_now():
                return True
            self.statusBar().showMessage(f"Not saved, so not {doing}: the edits stay")  # (walkthrough 50:
            return False  # the Save dialog cancelled, and nothing said what happened)
        return answer == buttons.Discard

    def _attempt(self, work, failure: str = "", success: str = "", passing=()) -> tuple[bool, object]:
        """(True, work()); or (False, None) after showing a user error after `failure`, or logging
        a bug with its traceback and showing a short note: a stranger's file must never end the
        app, and the edit stays as it was. Exceptions of the types `passing` are raised."""
        try:
            result = work()
        except passing:
            raise
        except USER_ERRORS as e:
            self.show_error(failure + str(e))
            return False, None
        except Exception as e:  # noqa: BLE001 - last resort: log the bug, keep the edit and running
            log_bug(e)
            self.show_error(failure + bug_message(e))
            return False, None
        if success:
            self.statusBar().showMessage(success)
        return True, result

    def autosave(self) -> None:
        if self.doc is not None:
            try:
                session.save_session(self.doc, self.autosave_path, self.offers.saved(self.doc))
            except OSError:
                pass  # autosave is best effort; the user's own files are untouched

    def offer_recovery(self) -> bool:
        """Ask to reopen the autosave a crash left behind (before anything replaces it); whether
        it was reopened."""
        if not self.autosave_path.is_file() or self.doc is not None:
            return False
        answer = QMessageBox.question(self, "Recover", "The editor did not close cleanly last time. "
                                      f"Recover the last edit{crashed_edit(self.autosave_path)}?")
        if answer == QMessageBox.StandardButton.Yes and self.open_session(self.autosave_path):
            self._saved = None  # recovered, not saved: closing asks before the autosave goes
            self._session_file = None  # and Save session does not offer the autosave, which goes
            self._update_title()
            return True
        return False

    def open_at_start(self, photo: str | None = None, session_path: str | None = None) -> None:
        """What the command line asks to open, after offering to recover a crashed edit: opening
        first would autosave the new document over it (a photo opened from a file manager after a
        crash lost the crashed edit without a question). Recovered, the photo waits."""
        if self.offer_recovery():
            if photo or session_path:
                menu = "Open session" if session_path else "Open photo"
                self.statusBar().showMessage(f"Recovered the last edit; {Path(session_path or photo).name} "
                                             f"is not opened (File > {menu} to open it)")
            return
        if session_path:
            self.open_session(session_path)
        elif photo:
            self.open_photo(photo)

    def show_error(self, message: str) -> None:
        """Tell the user, without blocking, and keep the current state."""
        self.last_error = message
        self.menus.say_for(message, 10_000)
        box = QMessageBox(QMessageBox.Icon.Warning, "latent-editor", message, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls and self.confirm_discard("opening another photo"):
            self.open_photo(urls[0].toLocalFile())


def crashed_edit(path: Path) -> str:
    """What the autosave at `path` holds, said after "Recover the last edit": " of coat.png
    (fashion-mnist-32, 5 steps, 18:05)"; "" where it cannot be read (the question did not name the
    photo: walkthrough 48)."""
    try:
        data = read_session(path)
        when = time.strftime("%H:%M", time.localtime(path.stat().st_mtime))
    except (OSError, *USER_ERRORS):
        return ""
    photo = data["photo"].get("path")
    what = Path(photo).name if photo else "a picture of the model"
    steps = len(data["history"]) - 1
    return (f" of {what} ({Path(data['model']['path']).name}, {steps} step{'s' if steps != 1 else ''}, "
            f"{when})")
