"""The Drag tool's toolbar: Drag (D), Run, Stop, Clear points, Mask (M), Move whole (Shift+M) and
Reach, each wired to the tool (editor.dragtool.DragTool) that owns them."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QSpinBox, QToolBar, QToolButton


def build_bar(tool) -> None:
    """tool.bar and, on it, tool.toggle, run_button, stop_button, clear_button, mask_button,
    whole_button and reach, connected to the tool's slots."""
    tool.bar = QToolBar("Drag")
    tool.toggle = button(tool, "Drag", "Drag tool: click a handle, then its target (D)", "D", checkable=True)
    tool.toggle.toggled.connect(tool.set_active)
    tool.run_button = button(tool, "Run", "Move the handles to their targets", "Ctrl+Return")
    tool.run_button.clicked.connect(tool.run)
    tool.stop_button = button(tool, "Stop", "Stop the drag, keeping where it got to", None)
    tool.stop_button.clicked.connect(tool.stop)
    tool.clear_button = button(tool, "Clear points", "<p>Remove the handles and targets; with none left, "
                               "the mask</p>", None)
    tool.clear_button.clicked.connect(tool.clear_points)
    tool.mask_button = button(tool, "Mask", "<p>Paint what may move (the rest is held); right drag or "
                              "Ctrl + drag erases (M)</p>", "M", checkable=True)
    tool.mask_button.toggled.connect(tool._mask_toggled)
    tool.whole_button = button(
        tool, "Move whole", "<p>Move the painted part as one piece; what lies around it stretches, most "
        "right beside it (raise an eyebrow without the eye below it) (Shift+M)</p>", "Shift+M",
        checkable=True)
    tool.whole_button.toggled.connect(tool._whole_toggled)
    tool.reach = reach = QSpinBox()  # a liquify's size: an eyebrow's own, not the eye's below it
    reach.setRange(0, 5000)
    reach.setSingleStep(5)
    reach.setSpecialValueText("Reach: auto")
    reach.setPrefix("Reach: ")
    reach.setSuffix(" px")
    reach.setToolTip("<p>How far around each handle's path the photo moves with it, in the photo's "
                     "pixels (auto: three times the move); with Move whole, how far beyond the part "
                     "what lies around it stretches (auto and least: twice the move)</p>")
    tool.bar.addWidget(reach)
    reach.editingFinished.connect(tool.canvas.setFocus)  # keys (Ctrl+Z, M, D) back to the picture:
    # they stayed in the box after Enter (walkthrough)


def button(tool, text: str, tip: str, key: str | None, checkable: bool = False) -> QToolButton:
    """A tool button on tool.bar, with its tooltip and shortcut."""
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    if key:
        b.setShortcut(QKeySequence(key))
    tool.bar.addWidget(b)
    return b
