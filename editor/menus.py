"""The menu bar and the file dialogs its items open; the recent photos; Undo/Redo that follow
the document; Help (keys and mouse, About). The work itself is the window's (open_photo,
export_to, save_session, ...); items that replace the edit ask the window first (confirm_discard).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from editor.brushbar import BRUSHES
from editor.filedialogs import EXPORT_FILTER, IMAGE_FILTER, open_file_dialog, save_file_dialog
from editor.models import menu_text
from editor.state import Document

SESSION_SUFFIX = "session.json"  # added to a session's name typed without one (and looked for)


def tool_keys(bar) -> list[tuple[str, str]]:
    """(keys, what) of the tool bar's buttons that have a shortcut: their tooltip, less the key."""
    from PySide6.QtWidgets import QToolButton

    rows = []
    for button in bar.findChildren(QToolButton):
        key = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if key:
            plain = re.sub(r"<[^>]+>", "", button.toolTip())  # tooltips in <p> wrap (rich text)
            tip = re.sub(r"\s*\([^()]*\)$", "", plain.split(". ")[0])
            rows.append((key, tip if tip.startswith(button.text()) else f"{button.text()}: {tip}"))
    return rows


RECENT_COUNT = 10
# Settings keys of the folders the file dialogs start in: photos opened ("last_dir", the one key
# there was before), and what the editor saves (exports, animations, sessions)
DIR_KINDS = {"photos": "last_dir", "saved": "last_dir_saved"}
MOUSE_HELP = (("Mouse wheel", "zoom in or out under the cursor; over the sliders, scroll their list"),
              ("Middle drag, or Space + drag", "pan the zoomed picture"),
              ("Arrow keys (canvas focused)", "pan"),
              ("Left drag", "paint a stroke with the selected brush, inside the dashed outline"),
              ("Escape while painting", "let go of the stroke: nothing is painted"),
              ("Escape otherwise", "cancel what runs with a progress bar (opening a photo, tuning, solving)"),
              ("Region tool (R): left drag / right drag",
               "paint / erase where the sliders may change the photo"),
              ("Drag the split line", "move it (split view)"),
              ("Double-click a slider's value", "type a value, then Enter"),
              ("Arrow keys (a slider clicked)", "move it by 0.1; with Shift by 0.01; Page Up / Down by 0.5"))


class Menus(QObject):
    def __init__(self, window, settings: QSettings):
        super().__init__(window)
        self.window, self.settings = window, settings
        self._covered: tuple[str, str] | None = None  # the message a menu's status tip covers, the tip
        self._timed: tuple[str, float, bool, int] | None = None  # the last message shown for a while
        # (say_for): (it, until when, whether it stays after, its number)
        self._count = 0  # say_for's messages so far
        self._timed_for = None  # the document state it was said of
        self._then: str | None = None  # what a tool said of that state meanwhile: shown after it
        # and when it goes (time.monotonic)
        window.installEventFilter(self)
        w, m, keys = window, window.menuBar(), QKeySequence.StandardKey
        f = m.addMenu("&File")
        self._action(f, "&Open photo…", self.open_dialog, keys.Open)
        self.recent_menu = f.addMenu("Open &recent")
        self._action(f, "&New from model…", self.new_from_model_dialog, "Ctrl+N")
        f.addSeparator()
        self.save_action = self._action(f, "&Save session", self.save_session_now, keys.Save)
        self._action(f, "Save session &as…", self.save_session_dialog, "Ctrl+Shift+S")  # (SaveAs: none
        # on Windows)
        self._action(f, "Open s&ession…", self.open_session_dialog, "Ctrl+Shift+O")
        self._action(f, "&Export…", self.export_dialog, "Ctrl+E")
        f.addSeparator()
        self._action(f, "Add &model folder…", self.add_model_dialog)
        self._action(f, "&Quit", w.close, keys.Quit)
        e = self.edit_menu = m.addMenu("&Edit")  # editor.tuning adds its switch here
        self.undo_action = self._action(e, "&Undo", w.undo, keys.Undo)
        self.redo_action = self._action(e, "&Redo", w.redo)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])  # both usual
        self.reset_action = self._action(e, "Reset all sliders", w.reset_all_sliders, "Ctrl+R")
        v, c = m.addMenu("&View"), w.canvas
        self.view_menu = v  # editor.strokeview adds its switch here
        self._action(v, "Zoom to &fit", c.zoom_fit, "Ctrl+0")
        self._action(v, "&Actual size (100%)", c.zoom_actual, "Ctrl+1")
        self._action(v, "Zoom &in", lambda: c.zoom_by(1.25), keys.ZoomIn).setShortcuts(
            [QKeySequence(keys.ZoomIn), QKeySequence("Ctrl+=")])  # Ctrl+= : "+" without Shift
        self._action(v, "Zoom o&ut", lambda: c.zoom_by(0.8), keys.ZoomOut)
        self._action(v, "&Before / after",
                     lambda: w.set_view_mode("after" if c.mode == "before" else "before"), "\\")
        self._action(v, "&Split view", lambda: w.set_view_mode("after" if c.mode == "split" else "split"),
                     "Ctrl+\\")
        h = m.addMenu("&Help")
        self._action(h, "&Keys and mouse…", self.show_keys, keys.HelpContents)
        self._action(h, "&About latent-editor…", self.show_about)
        self._update_recent_menu()

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        act = QAction(text, self.window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def set_document(self, doc: Document) -> None:
        """Undo and Redo follow the document."""
        doc.subscribe(self._show_document)
        self._show_document(doc)

    def _show_document(self, doc: Document) -> None:
        if doc is self.window.doc:  # the window's undo also reaches back past a model switch
            undo, redo = self.window.step_names()
            for action, able, text in ((self.undo_action, self.window.can_undo, menu_text("&Undo", undo)),
                                       (self.redo_action, self.window.can_redo, menu_text("&Redo", redo))):
                action.setEnabled(able)
                action.setText(text)
            self.follow_sliders()

    def follow_sliders(self) -> None:
        """Reset all sliders is on while the sliders are and one of them is moved."""
        w = self.window
        self.reset_action.setEnabled(w.sliders_panel.isEnabled() and w.doc is not None
                                     and any(w.doc.current.slider_dict.values()))

    # ------------------------------------------------------------------ dialogs

    def open_dialog(self) -> None:
        if not self.window.confirm_discard("opening another photo"):
            return
        path = open_file_dialog(self.window, "Open a photo", self.last_dir(), IMAGE_FILTER)
        if path:
            self.window.open_photo(path)

    def open_recent(self, path: str) -> None:
        """A recent photo, or a recent session (walkthrough 50: the sessions saved were not listed)."""
        if path.endswith(f".{SESSION_SUFFIX}"):
            if self.window.confirm_discard("opening a session"):
                self.window.open_session(path)
        elif self.window.confirm_discard("opening another photo"):
            self.window.open_photo(path)

    def new_from_model_dialog(self) -> None:
        if not self.window.confirm_discard("starting a new picture"):
            return
        ask = "A picture the model draws by itself; each number draws another:"
        seed, ok = QInputDialog.getInt(self.window, "New from model", ask, int(np.random.randint(0, 100_000)),
                                       0, 2**31 - 1)
        if ok:
            self.window.new_from_model(seed)

    def export_dialog(self) -> None:
        doc = self.window.doc
        if doc is None:
            return self.window.show_error("Nothing to export: open a photo first")
        name = (doc.photo_path.stem if doc.photo_path else "sample") + "-edited.png"
        path = save_file_dialog(self.window, "Export", str(Path(self.last_dir("saved")) / name),
                                EXPORT_FILTER, "png")
        if path and self.window.export_to(path):  # the dialog has already asked before overwriting
            self.remember_dir(path, "saved")

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """A menu's status tip shows in the status bar and, when the pointer leaves the item (an
        empty tip), the message it covered comes back: Qt's own handling cleared it, and a held
        slider's explanation was gone for good once a menu had been opened (a walkthrough). And
        Escape that nothing in the window took (no stroke being painted, no slider or value box
        leaving an edit) cancels the running job, as the status bar's Cancel does (walkthrough 49:
        Escape during a tuning did nothing)."""
        if obj is self.window and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            if not self.window.jobs.busy:
                return False
            self.window.cancel_job()
            return True
        if obj is not self.window or event.type() != QEvent.Type.StatusTip:
            return False
        bar, tip = self.window.statusBar(), event.tip()
        if tip:
            current = bar.currentMessage()  # what the tip covers: the message, unless a tip still shows
            covered = self._covered[0] if self._covered and current == self._covered[1] else current
            self._covered = (covered, tip)
            bar.showMessage(tip)
        elif self._covered is not None:
            (message, shown), self._covered = self._covered, None
            if bar.currentMessage() == shown:  # nothing newer was said meanwhile
                text, until, stay, _ = self._timed or ("", 0.0, False, 0)
                left = int(1000 * (until - time.monotonic())) if message == text else None
                if left is None or left > 0 or stay:  # a message shown for a while: for what is left
                    bar.showMessage(message, 0 if stay or left is None else left)  # of it (a review:
                    # a tip over "Tuning off: ..." past its 8 s stayed, and the message was lost)
        return True

    def say_for(self, message: str, ms: int, then: str | None = None, stay: bool = False) -> None:
        """Show `message` in the status bar for `ms` milliseconds (a menu's tip over it takes none
        of that time back: eventFilter), then `then` (a tool's note of the state shown), or what a
        tool said of the same state meanwhile (show_tool_message); with `stay`, and nothing such,
        until something else is said."""
        self._count += 1  # (a review: matched by its words, a second "Undone: X" within 5 s was cut
        number = self._count  # short by the first one's timer)
        self._timed, self._then = (message, time.monotonic() + ms / 1000, stay, number), then
        self._timed_for = None if self.window.doc is None else self.window.doc.current
        self.window.statusBar().showMessage(message, 0 if stay else ms)
        QTimer.singleShot(ms + 10, self, lambda: self._after(number))

    def show_tool_message(self, message: str) -> None:
        """A tool's message (window.tool_status), shown now; or, while a message shown for a while
        (say_for: "Undone: ...", "Tuning off: ...") stands for the state the tool speaks of, after
        it (walkthrough 55: a face slider's note, said again as the state was drawn again, took the
        place of "Tuning off" at once). A new edit's (another state, a slider being dragged): now."""
        bar, doc = self.window.statusBar(), self.window.doc
        text, until, _, _ = self._timed or ("", 0.0, False, 0)
        if text and bar.currentMessage() == text and time.monotonic() < until and doc is not None \
                and doc.current is self._timed_for and self.window.preview.shown in (None, doc.current):
            self._then = message
        else:
            bar.showMessage(message)

    def take_back(self, message: str) -> None:
        """A tool's message taken back: cleared where it shows, dropped where it waits (say_for)."""
        if self._then == message:
            self._then = None
        if self.window.statusBar().currentMessage() == message:
            self.window.statusBar().clearMessage()

    def _after(self, number: int) -> None:
        """The message say_for showed as `number` has had its time: what waited for it (say_for's
        `then`) is shown, unless something newer was said meanwhile; under a menu's tip, when the
        tip goes (eventFilter)."""
        if self._timed is None or self._timed[3] != number:
            return  # a later say_for's
        message, then, self._then = self._timed[0], self._then, None
        bar = self.window.statusBar()
        if then and self._covered is not None and self._covered[0] == message \
                and bar.currentMessage() == self._covered[1]:
            self._covered = (then, self._covered[1])
            self._timed = None  # what comes back is the note, for good
        elif then and bar.currentMessage() in ("", message):
            self.window.statusBar().showMessage(then)

    def save_session_now(self) -> bool:
        """Save session (Ctrl+S): to the session file the edit was opened from or last saved to, with
        no dialog (walkthrough 49: a file dialog, then "already exists. Replace?"); the dialog where
        there is none. True if the session was saved."""
        path = self.window.session_file()
        return self.window.save_session(path) if path is not None else self.save_session_dialog()

    def save_session_dialog(self) -> bool:
        """Save session as… (Ctrl+Shift+S); True if the session was saved."""
        if self.window.doc is None:
            return False
        doc = self.window.doc  # a name to start from, as Export offers one (walkthrough): the
        # session's own file where it has one
        name = f"{doc.photo_path.stem if doc.photo_path else 'sample'}.{SESSION_SUFFIX}"
        start = self.window.session_file() or Path(self.last_dir("saved")) / name
        path = save_file_dialog(self.window, "Save session", str(start), f"Sessions (*.{SESSION_SUFFIX})",
                                SESSION_SUFFIX)
        saved = bool(path) and self.window.save_session(path)
        if saved:
            self.remember_dir(path, "saved")
        return saved

    def open_session_dialog(self) -> None:
        if not self.window.confirm_discard("opening a session"):
            return
        path = open_file_dialog(self.window, "Open session", self.last_dir("saved"),
                                f"Sessions (*.{SESSION_SUFFIX});;All files (*)")
        if path and self.window.open_session(path):
            self.remember_dir(path, "saved")

    def add_model_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Add a model folder")
        if folder and self.window.switch_model(folder):
            folders = self.settings.value("model_folders", [], type=list)
            if folder not in folders:
                self.settings.setValue("model_folders", folders + [folder])
            self.window.refresh_models()

    # ------------------------------------------------------------------ recent photos and sessions

    def last_dir(self, kind: str = "photos") -> str:
        """The folder a file dialog for `kind` (DIR_KINDS) starts in: where the last such file was
        opened or written; the photos' folder while there is none of that kind yet."""
        photos = self.settings.value(DIR_KINDS["photos"], str(Path.home()))
        return self.settings.value(DIR_KINDS[kind], photos)

    def remember_dir(self, path: str | Path, kind: str = "photos") -> None:
        """The next file dialog for `kind` starts in the folder of `path`, a file just written or
        opened (they started in the photo's folder: a walkthrough). Photos keep theirs apart: after
        a session was saved, Open a photo started in the sessions folder (walkthrough 45)."""
        self.settings.setValue(DIR_KINDS[kind], str(Path(path).parent))

    def remember_recent(self, path: Path, kind: str = "photos") -> None:
        """A photo opened, or a session (`kind` "saved") opened or saved, first in Open recent."""
        recent = [p for p in self.settings.value("recent", [], type=list) if p != str(path)]
        self.settings.setValue("recent", [str(path)] + recent[:RECENT_COUNT - 1])
        self.remember_dir(path, kind)
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.value("recent", [], type=list):
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.open_recent(p))

    # ------------------------------------------------------------------ help

    def keys_text(self) -> str:
        """Every menu item with its keys, the brushes' keys, and what the mouse does (HTML)."""
        rows = []
        for menu in self.window.menuBar().findChildren(type(self.recent_menu)):
            for act in menu.actions():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
                if keys and not act.menu():
                    rows.append((keys, act.text().replace("&", "").rstrip("…")))
        rows += [(key, f"{text} brush") for _, text, key in BRUSHES]
        rows += tool_keys(self.window.drag_tool.bar)  # Drag, Run, Mask, Warp, Region
        rows += MOUSE_HELP
        cells = "".join(f"<tr><td><b>{k}</b></td><td>{what}</td></tr>" for k, what in rows)
        return f'<table cellspacing="0" cellpadding="2">{cells}</table>'  # padding, not a space: some
        # rows began one character further right (walkthrough)

    def show_keys(self) -> None:
        """The keys in a dialog that fits the window and scrolls (a message box grew taller than
        the screen, its title off it: walkthrough)."""
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

        box = QDialog(self.window)
        box.setWindowTitle("Keys and mouse")
        text = QTextBrowser()
        text.setHtml(self.keys_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(box.accept)
        layout = QVBoxLayout(box)
        layout.addWidget(text)
        layout.addWidget(buttons)
        box.resize(620, max(300, min(820, int(self.window.height() * 0.85))))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.keys_box = box

    def show_about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("latent-editor")
        except PackageNotFoundError:
            v = "(not installed)"
        self._box("About latent-editor", (
            f"<b>latent-editor</b> {v}<br>Edits a photo through a small picture-drawing network (a GAN, "
            f"trained by this project): the network first finds how it would draw your photo, the sliders "
            f"and brushes change that drawing, and the change is carried back onto your photo at its own "
            f"size. It works best on photos like the network's training pictures: one product on a plain "
            f"background, or a face.<br><br>Model in use: {getattr(self.window.model, 'name', 'none')}.<br>"
            f"The face model was trained on CelebA images, for non-commercial research only."))

    def _box(self, title: str, html: str) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, html, parent=self.window)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_box = box
