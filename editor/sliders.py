"""The sliders panel: one slider per attribute vector, reacting to the document.

Each slider has a readable name ("Blond hair" for `Blond_Hair`), a tooltip saying what it does, a
track as wide as the panel and a value box to type into (superqt's labelled float slider). Variants
of a slider that keep other attributes fixed ("Smiling (keep Male, Young)") sit folded under their
plain slider. Dragging a slider previews at once (`previewed`, a Snapshot not yet recorded) and
records the values in the document's history when the drag or key presses settle; undo, redo and
history jumps move the sliders back through the document's notifications.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton,
                               QToolTip, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider

from editing.measure import UNIT_WORDS
from editing.slider_notes import goes_to, name_words, note_line, readable, slider_notes
from editing.vectors import PHOTO_FACING, AttributeVector, photo_sign
from editor.direction_previews import DirectionPreviews, previewed
from editor.slider_input import PAGE_STEP, box_event, slider_event
from editor.state import Document, Snapshot

SLIDER_RANGE = 3.0  # the sliders run from -3 to +3 units of the codes' spread
SLIDER_STEP = 0.01  # the smallest step of a slider (two decimals)
FOCUS_STYLE = "QLabel { background: palette(highlight); color: palette(highlighted-text); }"  # the
# name of the slider the keys move
COMMIT_MS = 400  # quiet time after a slider moves (keys, a typed value) before its value
# enters the history; a drag enters it when the slider is let go
SHOWN_HELD = 0.05  # slider units: a slider held closer than this to its value is not said to hold
HELD_STYLE = "background: #f6e3b4"  # the value box of a slider that goes only part of the way
TYPE_TIP = "Type a value from -3 to 3 and press Enter"
KIND_TITLES = {"measured": "Shape and tone", "class": "Towards a class", "pair": "One class into another",
               "table": "Attributes", "principal": "Main directions"}  # section headings by vector kind


def variant_title(name: str) -> str:
    """A variant's row under its plain slider: "Smiling (keep Male, Young)" -> "Keep male, young"."""
    rest = name_words(name.partition(" (")[2].rstrip(")"))
    return rest[:1].upper() + rest[1:]


def fold_text(variants: list[str], shown: bool) -> str:
    """The button that shows a slider's variants: "▸ Keep others" ("+1 variant" meant nothing to a
    new user: walkthrough), with their count when there are several."""
    return f"{'▾' if shown else '▸'} Keep others" + (f" ({len(variants)})" if len(variants) > 1 else "")


def plain_name(name: str, names: set[str]) -> str | None:
    """The plain slider a variant belongs under ("Smiling" for "Smiling (keep Male)"), or None."""
    base, paren, _ = name.partition(" (")
    return base if paren and base in names else None


def describe(name: str, vector: AttributeVector | None, calibrated: bool = False) -> str:
    """A tooltip that says what the slider does; `calibrated`: its values are measured units
    (editing.keep, editing.measure.UNIT_WORDS)."""
    meta = vector.meta if vector is not None else {}
    kind, what = meta.get("kind", ""), readable(name.partition(" (")[0]).lower()
    if kind == "pair":
        does = (f"+ turns a {readable(meta.get('from', '')).lower()} into a "
                f"{readable(meta.get('to', '')).lower()}; − the other way; where the model has a "
                "classifier, stopping before the item would be neither.")
    elif kind == "class":
        does = (f"+ makes the object more like a {what}; − less like one, where the model has a "
                "classifier stopping before it turns into another kind.")
    elif kind == "measured":
        does = (f"+ more {what}, − less, as measured on the training images"
                + (" within each class, along the item's own class's direction." if meta.get("within_class")
                   else "."))
        if vector is not None and vector.by_class is not None:
            does += " It stops where the item would turn into another kind of item."
        if calibrated and name in UNIT_WORDS:
            return (f"{does}\nValues are measured on the model's picture: ±1 changes the {what} by "
                    f"{UNIT_WORDS[name]}, on every item alike; a value the item cannot reach holds "
                    f"at the most it can. Type a value in the box, or ⟲ to reset.")
    elif kind == "principal":
        share = meta.get("explained_variance")
        does = ("One of the main ways the model's pictures differ, found without labels (the first "
                "differs most" + (f"; this one {100 * share:.1f}% of the variety" if share else "") + "): "
                "the two small pictures beside its name show the photo at −2 and +2.")
    elif kind in ("table", "conditional"):
        does = f"+ more {what}, − less (learnt from photos labelled '{name.partition(' (')[0]}')."
    else:
        does = f"Moves the picture along the '{name}' direction, + one way, − the other."
    kept = meta.get("projected_out") or []
    if kept:
        does += f" Keeps {', '.join(readable(k).lower() for k in kept)} as they are."
    return (f"{does}\nValues are in units of the codes' spread along this direction: ±1 is a typical "
            f"difference between pictures, ±3 a strong edit. Type a value in the box, or ⟲ to reset.")


class SlidersPanel(QWidget):
    previewed = Signal(object)  # Snapshot: the current state with the sliders as they are now
    held = Signal(str)  # which sliders stop short to keep what the item is (editing.keep), or ""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc: Document | None = None
        self.record: Callable[[Snapshot], None] | None = None  # records a settled change; None: the
        # document's push (the Region tool sets its own: with a region painted it solves first)
        self.vectors: dict[str, AttributeVector] = {}
        self.sliders: dict[str, QLabeledDoubleSlider] = {}
        self.titles: dict[str, QLabel] = {}  # each slider's readable name
        self._typed: dict[str, str] = {}  # what was typed in a value box since its last Enter
        self.variant_boxes: dict[str, QWidget] = {}  # plain name -> its folded variants
        self.folds: dict[str, QToolButton] = {}  # plain name -> the button that unfolds them
        self.names: list[str] = []
        self.flipped: set[str] = set()  # sliders shown with the sign reversed (editing.vectors.photo_sign)
        self.previews = DirectionPreviews()  # main-direction sliders' pictures (`draw`: set by the window)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Attributes</b>"))
        head.addStretch(1)
        self.reset_button = QPushButton("Reset all")
        self.reset_button.setToolTip("Set every slider back to 0 (Ctrl+R)")
        self.reset_button.clicked.connect(self.reset_all)
        head.addWidget(self.reset_button)
        layout.addLayout(head)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.area, 1)
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(COMMIT_MS)
        self.commit_timer.timeout.connect(self.commit)
        self.frame = 1.0  # the share of the model's side its items may fill (DomainSpec.content_fraction)
        self.set_attributes({})

    def set_attributes(self, vectors: dict[str, AttributeVector], model: str = "NAME") -> None:
        """One slider per attribute vector, all at zero: plain sliders by kind, variants folded
        under their plain slider; without any, how to make them for `model` (as a command names it)."""
        self.sliders.clear()
        self.titles.clear()
        self.variant_boxes.clear()
        self.folds.clear()
        self.previews.clear()
        self.names = list(vectors)
        self.vectors = vectors
        host = QWidget()
        rows = QVBoxLayout(host)
        rows.setSpacing(2)
        if not vectors:
            hint = QLabel(f"This model has no attribute vectors\n(`latent-edit vectors --model {model}`).")
            hint.setWordWrap(True)  # a folder's path can be long
            hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy it
            rows.addWidget(hint)
        names = set(vectors)
        variants: dict[str, list[str]] = {}
        for name in vectors:
            plain = plain_name(name, names)
            if plain is not None:
                variants.setdefault(plain, []).append(name)
        kind_shown = None
        for name, vector in vectors.items():
            if plain_name(name, names) is not None:
                continue
            kind = vector.meta.get("kind", "")
            if kind != kind_shown and kind in KIND_TITLES and len(vectors) > 4:
                heading = QLabel(f"<i>{KIND_TITLES[kind]}</i>")
                heading.setContentsMargins(0, 6, 0, 0)
                rows.addWidget(heading)
                kind_shown = kind
            rows.addWidget(self._row(name, vector, variants.get(name, [])))
            if name in variants:
                box = QWidget()
                inner = QVBoxLayout(box)
                inner.setContentsMargins(18, 0, 0, 4)  # indented under the plain slider
                for v in variants[name]:
                    inner.addWidget(self._row(v, vectors[v], []))
                box.setVisible(False)
                rows.addWidget(box)
                self.variant_boxes[name] = box
        rows.addStretch(1)
        self.area.setWidget(host)

    def _unfold(self, name: str, variants: list[str], shown: bool) -> None:
        """Show or hide a slider's variants; its button says which."""
        self.variant_boxes[name].setVisible(shown)
        self.folds[name].setText(fold_text(variants, shown))

    def _row(self, name: str, vector: AttributeVector | None, variants: list[str]) -> QWidget:
        row = QWidget()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(0)
        top = QHBoxLayout()
        variant = plain_name(name, set(self.names))
        title = QLabel(variant_title(name) if variant else readable(name))
        calibrated = bool(getattr(self.vectors, "hold", None) and self.vectors.hold.calibrated(name))
        title.setToolTip(describe(name, vector, calibrated))
        top.addWidget(title, 1)
        if variants:
            fold = QToolButton()
            fold.setText(fold_text(variants, False))
            fold.setCheckable(True)
            kept = [" and ".join(variant_title(v)[5:].rsplit(", ", 1)) for v in variants]  # "male and young"
            fold.setToolTip(f"Show more {readable(name)} sliders, each holding other attributes as they "
                            f"are while it moves: " + "; ".join(f"one keeps {k}" for k in kept))
            fold.setObjectName(f"variants:{name}")
            fold.toggled.connect(lambda on, n=name, vs=variants: self._unfold(n, vs, on))
            self.folds[name] = fold
            top.addWidget(fold)
        if previewed(vector) and not variant:
            self.previews.add(name, top, readable(name))
        reset = QToolButton()
        reset.setText("⟲")
        reset.setToolTip(f"Reset {readable(name)} to 0")
        reset.clicked.connect(lambda _=False, n=name: self.set_value(n, 0.0, commit=True))
        top.addWidget(reset)
        layout.addLayout(top)
        s = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        s.setRange(-SLIDER_RANGE, SLIDER_RANGE)
        s.setSingleStep(SLIDER_STEP)
        s.setPageStep(PAGE_STEP)
        s.setDecimals(2)
        s.setValue(0.0)
        s.setObjectName(f"slider:{name}")
        s.setToolTip(describe(name, vector, calibrated))
        s._label.setToolTip(TYPE_TIP)  # superqt's value box
        s._label.setStyleSheet("")  # a visible box, so that it reads as a place to type
        s._label.setFixedWidth(s._label.fontMetrics().horizontalAdvance("-3.00") + 16)
        s.valueChanged.connect(lambda v, n=name: self._on_slider(n, v))
        s._slider.sliderReleased.connect(self.commit)  # a drag enters the history when let go
        s._label.textEdited.connect(lambda text, n=name: self._typed.__setitem__(n, text))
        s._label.editingFinished.connect(lambda n=name: self._say_if_cut(n))  # after superqt's own
        for part in (s._slider, s._label):  # superqt's slider and value box
            part.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            part.installEventFilter(self)
        s.installEventFilter(self)  # the wheel between them too (walkthrough 54: the scroll stuck there)
        s.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab: the knob, then the value box (walkthrough 49:
        reset.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # four stops a slider, one of them showing nothing)
        layout.addWidget(s)
        self.sliders[name] = s
        self.titles[name] = title
        return row

    def _say_if_cut(self, name: str) -> None:
        """A value typed past the sliders' range is taken as its end: say so beside the box (typed
        5 silently became 3.00: walkthrough)."""
        typed = self._typed.pop(name, "")
        try:
            value = float(typed)
        except ValueError:
            return
        if abs(value) > SLIDER_RANGE:
            box = self.sliders[name]._label
            QToolTip.showText(box.mapToGlobal(box.rect().bottomLeft()),
                              f"The sliders run from -{SLIDER_RANGE:g} to +{SLIDER_RANGE:g}: {typed} was "
                              f"taken as {self.sliders[name].value():+.2f}", box, box.rect(), 3000)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """The wheel over a slider scrolls the list, never the slider: a user scrolling to reach a
        slider further down quietly changed the one under the pointer, and, once a slider took the
        wheel when clicked, the one just dragged (walkthrough 53: Ankle boot 3.00 -> 2.91, three
        steps in the history), or the scroll stopped dead over one at its end (walkthroughs 52,
        53). Keys, the knob and the value box as editor.slider_input has them."""
        if event.type() == QEvent.Type.Wheel:
            QApplication.sendEvent(self.area.verticalScrollBar(), event)
            return True
        if isinstance(obj, QLabeledDoubleSlider):  # the knob and box's frame: the wheel only
            return False
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._show_focus(obj, event.type() == QEvent.Type.FocusIn)
        if not hasattr(obj, "selectAll"):  # the slider itself
            return slider_event(obj, event) or super().eventFilter(obj, event)
        if box_event(obj, event):  # Escape: what was typed is let go
            self._typed.pop(next((n for n, s in self.sliders.items() if s._label is obj), None), None)
            return True
        return super().eventFilter(obj, event)

    def _show_focus(self, part, focused: bool) -> None:
        """The name of the slider whose knob or value box has the keyboard's focus, highlighted (Tab
        reached a slider and nothing showed which: walkthrough 48)."""
        name = next((n for n, s in self.sliders.items() if part in (s._slider, s._label)), None)
        if name is not None and name in self.titles:
            self.titles[name].setStyleSheet(FOCUS_STYLE if focused else "")

    def set_document(self, doc: Document) -> None:
        self.commit_timer.stop()
        self.doc = doc
        # A light-background product photo reaches the model reversed (light on black), so the
        # model's "more brightness" darkens the photo's item: such sliders are shown as the photo's.
        self.flipped = {n for n in self.sliders if photo_sign(n, doc.mapping) < 0}
        for n in PHOTO_FACING:
            if n in self.sliders:
                calibrated = bool(getattr(self.vectors, "hold", None) and self.vectors.hold.calibrated(n))
                note = ("\nShown as the photo's: the model sees this light-background photo reversed "
                        "(recipes keep the model's value, the opposite sign)." if n in self.flipped else "")
                self.sliders[n].setToolTip(describe(n, self.vectors.get(n), calibrated) + note)
        doc.subscribe(self._show_document)
        self._show_document(doc)

    def sign(self, name: str) -> float:
        """-1 for a slider shown with its sign reversed (the photo's brightness), else 1."""
        return -1.0 if name in self.flipped else 1.0

    def values(self) -> dict[str, float]:
        """The slider values as the model takes them."""
        return {n: round(self.sign(n) * s.value(), 2) + 0.0 for n, s in self.sliders.items()}

    def set_value(self, name: str, value: float, commit: bool = False) -> None:
        """Set a slider as the user sees it (a reversed slider's shown value)."""
        self.sliders[name].setValue(value)
        if commit:
            self.commit()

    def commit(self) -> None:
        """Record the slider values in the history (after a drag or key presses settle)."""
        self.commit_timer.stop()
        if self.doc is None:
            return
        values, current = self.values(), self.doc.current.slider_dict
        if current == {k: v for k, v in values.items() if v}:
            return
        changed = [f"{readable(k)} {self.sign(k) * v:+.2f}" for k, v in values.items()
                   if v and v != current.get(k, 0.0)]  # one back at 0 is "reset", not "-0.00" too
        changed += [f"{readable(k)} reset" for k in current if values.get(k, 0) == 0]
        self._record(self.doc.with_sliders(values, "slider " + ", ".join(changed)))

    def reset_all(self) -> None:
        if self.doc is None or not self.doc.current.sliders or not self.isEnabled():
            return
        self.commit_timer.stop()
        self._record(self.doc.with_sliders({}, "reset all sliders"))

    def _record(self, snap: Snapshot) -> None:
        (self.record or self.doc.push)(snap)

    def show_document(self) -> None:
        """Show the document's slider values again (a change that was not recorded: cancelled)."""
        self.commit_timer.stop()
        if self.doc is not None:
            self._show_document(self.doc)

    def _show_document(self, doc: Document) -> None:
        if doc is not self.doc:
            return  # a document this panel no longer shows
        values = doc.current.slider_dict
        self.reset_button.setEnabled(any(values.values()))  # nothing to reset: off (a walkthrough)
        for n, s in self.sliders.items():
            s.blockSignals(True)
            s.setValue(self.sign(n) * values.get(n, 0.0) + 0.0)  # + 0.0: no "-0.00"
            s.blockSignals(False)
        notes = slider_notes(self.vectors, doc.z0, values, self.frame,
                             lambda: (doc.current.z_base, doc.code(self.vectors)), SHOWN_HELD)
        # (SHOWN_HELD: "+2.00 holds at +2.02" puzzled a walkthrough; and "holds at" itself read as
        # jargon (another): "Width -2.00 goes only to -0.93: further, ...")
        self.held.emit("; ".join(note_line(note, readable(note.name), values[note.name], self.sign(note.name))
                                 for note in notes))
        held = {note.name: note for note in notes if note.reached is not None}
        self.previews.show(doc, self.vectors)
        for n, s in self.sliders.items():  # at the slider too: a held one's value box is shaded
            # (a walkthrough moved a coat's Width from +1.33 to +2 and saw nothing change)
            note = held.get(n)
            s._label.setStyleSheet(HELD_STYLE if note is not None else "")
            if note is None:
                s._label.setToolTip(TYPE_TIP)
                continue
            where = (f"{goes_to(values[n], note.reached)} {self.sign(n) * note.reached + 0.0:+.2f}"
                     if note.says_where else note.why.removeprefix("it "))
            s._label.setToolTip(f"{readable(n)} {where} here; type a value from -3 to 3 and press Enter")
        names = set(self.names)
        for n in values:  # a variant in use is never folded away
            plain = plain_name(n, names)
            if plain in self.folds:
                self.folds[plain].setChecked(True)

    def _on_slider(self, name: str, value: float) -> None:
        if self.doc is None:
            return
        snap: Snapshot = self.doc.with_sliders(self.values(), "preview")
        self.previewed.emit(snap)
        if self.sliders[name]._slider.isSliderDown():  # held: a pause in one drag made history
            self.commit_timer.stop()  # entries of its own (a walkthrough's drag made three)
        else:
            self.commit_timer.start()
