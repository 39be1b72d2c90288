"""The brush bar: which brush paints strokes, its colour or intensity, size and strength."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (QColorDialog, QInputDialog, QLabel, QPushButton, QSlider, QToolBar,
                               QToolButton)

BRUSHES = (("color", "Intensity / colour", "B"), ("sketch", "Sketch (edges)", "K"),
           ("preserve", "Preserve", "P"), ("erase", "Eraser", "E"))
STRENGTH_STEPS = 10  # strength slider ticks per unit of stroke weight
DEFAULT_BRUSH = "color"  # selected at start, so that a first drag paints
PREVIEW_COLOURS = {"sketch": QColor(0, 200, 255), "preserve": QColor(60, 210, 90),
                   "erase": QColor(255, 70, 70)}  # the other brushes' strokes on the canvas
SWATCH_SIDE = 16  # pixels of the colour button's swatch
SLIDER_HEIGHT = 160  # pixels of the Size and Strength sliders


class BrushBar(QToolBar):
    brush_changed = Signal(object)  # the brush kind, or None when none is chosen
    radius_changed = Signal(float)  # brush radius in screen pixels
    colour_changed = Signal(QColor)  # the picked colour

    def __init__(self, parent=None):
        super().__init__("Brushes", parent)
        self.brush: str | None = None
        self.buttons: dict[str, QToolButton] = {}
        for kind, text, key in BRUSHES:
            b = QToolButton()
            b.setText(text.split(" ")[0])
            b.setToolTip(f"{text} ({key})")
            b.setCheckable(True)  # set_brush keeps at most one checked; a second click unchecks
            b.toggled.connect(lambda on, k=kind: self.set_brush(k if on else None))
            # Its key selects it and never unselects: a button's own shortcut clicks it, and B
            # pressed with the brush already chosen (it is, at start) left none, so the next
            # stroke painted nothing without a word.
            QShortcut(QKeySequence(key), self, lambda k=kind: self.set_brush(k))
            self.addWidget(b)
            self.buttons[kind] = b
        # The intensity/colour brush paints this colour as the photo shows it; the stroke tool maps
        # it into the model through the photo's mapping (grey, polarity and levels included).
        self.colour = QColor(255, 255, 255)
        self._how = ""  # how a grey model takes the colour (set_colour_model)
        self._grey = False  # a grey model: the swatch and the stroke on the canvas show the brightness
        self.colour_button = QPushButton("Colour…")
        self.colour_button.setToolTip("The intensity / colour brush paints this colour")
        self.colour_button.clicked.connect(self.pick_colour)
        self.addWidget(self.colour_button)
        self._show_swatch()
        self.size_label = QLabel()
        self.size_label.setToolTip("Brush radius in screen pixels")
        self.addWidget(self.size_label)
        self.size_slider = QSlider(Qt.Orientation.Vertical)
        self.size_slider.setRange(2, 80)
        self.size_slider.setMaximumHeight(SLIDER_HEIGHT)
        self.size_slider.valueChanged.connect(self._on_size)
        self.addWidget(self.size_slider)
        self.strength_label = QLabel()
        self.strength_label.setToolTip("How much the stroke counts against keeping the rest of the "
                                       "picture as it is (1 = as much)")
        self.addWidget(self.strength_label)
        self.strength_slider = QSlider(Qt.Orientation.Vertical)
        self.strength_slider.setRange(1, 5 * STRENGTH_STEPS)
        self.strength_slider.setMaximumHeight(SLIDER_HEIGHT)
        self.strength_slider.valueChanged.connect(
            lambda v: self.strength_label.setText(f"Strength\n{v / STRENGTH_STEPS:.1f}"))
        self.addWidget(self.strength_slider)
        self.size_slider.setValue(12)
        self.strength_slider.setValue(STRENGTH_STEPS)
        self.set_brush(DEFAULT_BRUSH)

    def _on_size(self, v: int) -> None:
        self.size_label.setText(f"Size\n{v} px")
        self.radius_changed.emit(float(v))

    @property
    def preview_colour(self) -> QColor:
        """What the canvas draws a stroke of the current brush in: the colour brush its colour (for
        a grey model, its brightness)."""
        return PREVIEW_COLOURS.get(self.brush, self.shown_colour)

    @property
    def shown_colour(self) -> QColor:
        """The picked colour as the model in use paints it: itself, or for a grey model the grey of
        its brightness (a dark blue stroke showed blue and turned a red dress dark red: walkthrough)."""
        if not self._grey:
            return self.colour
        from training.pixels import LUMA

        level = int(round(float(LUMA @ [self.colour.red(), self.colour.green(), self.colour.blue()])))
        return QColor(level, level, level)

    def _show_swatch(self) -> None:
        """The picked colour on its button, framed in mid grey: a white or black swatch without a
        frame could not be seen against the button (a walkthrough)."""
        swatch = QPixmap(SWATCH_SIDE, SWATCH_SIDE)
        swatch.fill(QColor(128, 128, 128))
        painter = QPainter(swatch)
        painter.fillRect(1, 1, SWATCH_SIDE - 2, SWATCH_SIDE - 2, self.shown_colour)
        painter.end()
        self.colour_button.setIcon(QIcon(swatch))
        what = (f"grey level {self.shown_colour.red()} (0 black, 255 white)" if self._grey
                else self.colour.name())  # a walkthrough read "#ffffff" beside a dialog asking for a level
        self.colour_button.setToolTip(f"The {self.buttons['color'].text().lower()} brush paints {what}"
                                      f"{self._how}")
        self.colour_changed.emit(self.colour)

    def remember(self, settings) -> None:
        """Take the brush's size, strength and colour from `settings` (a QSettings) and keep them
        there as they change: a restart reset them to white at 12 px (walkthrough 46)."""
        def number(key: str, default: int) -> int:
            try:
                return int(settings.value(key, default))
            except (TypeError, ValueError):  # a hand-edited settings file
                return default

        self.size_slider.setValue(number("brush/size", self.size_slider.value()))
        self.strength_slider.setValue(number("brush/strength", self.strength_slider.value()))
        colour = QColor(str(settings.value("brush/colour", self.colour.name())))
        if colour.isValid():
            self.set_colour((colour.red(), colour.green(), colour.blue()))
        self.size_slider.valueChanged.connect(lambda v: settings.setValue("brush/size", v))
        self.strength_slider.valueChanged.connect(lambda v: settings.setValue("brush/strength", v))
        self.colour_changed.connect(lambda c: settings.setValue("brush/colour", c.name()))

    @property
    def strength(self) -> float:
        return self.strength_slider.value() / STRENGTH_STEPS

    def set_brush(self, kind: str | None) -> None:
        for k, b in self.buttons.items():
            b.blockSignals(True)
            b.setChecked(k == kind)
            b.blockSignals(False)
        self.brush = kind
        self.brush_changed.emit(kind)

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The picked colour as (R, G, B) in 0..255."""
        return self.colour.red(), self.colour.green(), self.colour.blue()

    def set_colour(self, rgb: tuple[int, int, int]) -> None:
        """The photo colour the intensity/colour brush paints (R, G, B in 0..255)."""
        self.colour = QColor(*(int(min(255, max(0, round(v)))) for v in rgb))
        self._show_swatch()

    def set_colour_model(self, colour: bool) -> None:
        """Name the first brush for what it paints with the model in use: Colour (a colour model) or
        Intensity (a grey one, which paints a level of grey: the photo's tint fades as far as the
        brightness moves, editing.landing.BrushBand.painted)."""
        name = "Colour" if colour else "Intensity"
        self._grey = not colour
        self.colour_button.setText("Colour…" if colour else "Level…")
        self.buttons["color"].setText(name)
        self._how = "" if colour else (": the model moves the brightness toward that grey, and the "
                                       "photo's tint fades in step")
        painted = "colour" if colour else "level of grey"
        self.buttons["color"].setToolTip(f"{name} brush: paints the picked {painted}{self._how} (B)")
        self._show_swatch()

    def stroke_label(self, kind: str) -> str:
        """What the history calls a stroke of brush `kind`: its button's name ("colour stroke",
        "intensity stroke", "sketch stroke", ...)."""
        button = self.buttons.get(kind)
        return f"{button.text().lower() if button is not None else kind} stroke"

    def pick_colour(self) -> None:
        """The colour brush's colour; for a grey model its level, 0 to 255 (a full colour picker
        for a model that paints only brightness puzzled a walkthrough)."""
        if self._grey:
            level, ok = QInputDialog.getInt(self, "Brush level", "Level of grey the brush paints "
                                            "(0 black, 255 white):", self.shown_colour.red(), 0, 255)
            if ok:
                self.set_colour((level, level, level))
            return
        colour = QColorDialog.getColor(self.colour, self, "Brush colour")
        if colour.isValid():
            self.set_colour((colour.red(), colour.green(), colour.blue()))
