"""The brush bar: which brush paints strokes, its colour or intensity, size and strength."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import QColorDialog, QLabel, QPushButton, QSlider, QToolBar, QToolButton

BRUSHES = (("color", "Intensity / colour", "B"), ("sketch", "Sketch (edges)", "K"),
           ("preserve", "Preserve", "P"), ("erase", "Eraser", "E"))
STRENGTH_STEPS = 10  # strength slider ticks per unit of stroke weight


class BrushBar(QToolBar):
    brush_changed = Signal(object)  # the brush kind, or None when none is chosen
    radius_changed = Signal(float)  # brush radius in screen pixels

    def __init__(self, parent=None):
        super().__init__("Brushes", parent)
        self.brush: str | None = None
        # The intensity/colour brush paints this photo colour (R, G, B 0..255); the stroke tool
        # maps it into the model through the photo's mapping (polarity and levels included).
        self.colour: tuple[int, int, int] = (255, 255, 255)
        self.buttons: dict[str, QToolButton] = {}
        for kind, text, key in BRUSHES:
            b = QToolButton()
            b.setText(text.split(" ")[0])
            b.setToolTip(f"{text} ({key})")
            b.setCheckable(True)  # set_brush keeps at most one checked; a second click unchecks
            b.setShortcut(QKeySequence(key))
            b.toggled.connect(lambda on, k=kind: self.set_brush(k if on else None))
            self.addWidget(b)
            self.buttons[kind] = b
        self.colour_button = QPushButton("Colour…")
        self.colour_button.clicked.connect(self.pick_colour)
        self.addWidget(self.colour_button)
        self.addWidget(QLabel("Size"))
        self.size_slider = QSlider(Qt.Orientation.Vertical)
        self.size_slider.setRange(2, 80)
        self.size_slider.setValue(12)
        self.size_slider.valueChanged.connect(lambda v: self.radius_changed.emit(float(v)))
        self.addWidget(self.size_slider)
        self.addWidget(QLabel("Strength"))
        self.strength_slider = QSlider(Qt.Orientation.Vertical)
        self.strength_slider.setRange(1, 5 * STRENGTH_STEPS)
        self.strength_slider.setValue(STRENGTH_STEPS)
        self.addWidget(self.strength_slider)

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

    def set_colour(self, rgb: tuple[int, int, int]) -> None:
        """The photo colour the intensity/colour brush paints (R, G, B in 0..255)."""
        self.colour = tuple(int(min(255, max(0, round(v)))) for v in rgb)

    def pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.colour), self, "Brush colour")
        if colour.isValid():
            self.set_colour((colour.red(), colour.green(), colour.blue()))
