"""What superqt's labelled slider lacks or gets wrong for a photo editor's sliders: the arrow and
page keys (its key handler is a stub), a click on the knob (it moved the handle's centre under the
pointer), Escape during a drag, and in its value box Escape and a double-click. editor.sliders'
panel filters both parts' events through here."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider


PRESSED_AT = "_value_when_pressed"  # the slider's value when its knob was pressed (Escape goes back to it)
KEY_STEP = 0.1  # an arrow key's step; with Shift the slider's own (0.01): at 0.01 a key, +2 took 200
PAGE_STEP = 0.5  # Page Up / Page Down (walkthrough 48)


def slider_key_step(key, fine: float, shift: bool = False) -> float | None:
    """How far a key moves a slider (right and up more, left and down less): an arrow KEY_STEP, or
    `fine` (the slider's single step) with Shift; the page keys PAGE_STEP; None for another key."""
    arrow = fine if shift else KEY_STEP
    steps = {Qt.Key.Key_Right: arrow, Qt.Key.Key_Up: arrow, Qt.Key.Key_Left: -arrow,
             Qt.Key.Key_Down: -arrow, Qt.Key.Key_PageUp: PAGE_STEP, Qt.Key.Key_PageDown: -PAGE_STEP}
    return steps.get(key)


def on_handle(slider: QSlider, point: QPoint) -> bool:
    """Whether `point` (the slider's own pixels) lies on its handle."""
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                           QStyle.SubControl.SC_SliderHandle, slider)
    return handle.contains(point)


def slider_event(slider: QSlider, event: QEvent) -> bool:
    """Handle `event` on superqt's slider itself where it falls short; True where it is taken. The
    arrow and page keys move it (they did nothing: a walkthrough; slider_key_step's steps, on the
    slider's grid). A press on the knob takes hold of the handle where it is, and a drag moves it
    from there: superqt moved the handle's centre under the pointer, so that a click on the knob
    nudged the value by up to 0.16 and made a history entry (a walkthrough). Escape while the knob
    is held lets go of the drag: the value as it was."""
    if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and slider.isSliderDown():
        slider.setValue(getattr(slider, PRESSED_AT, slider.value()))  # a drag let go of: as before it
        if hasattr(slider, "_pressedControl"):  # superqt's hold on the handle, let go (the pointer moving
            slider._pressedControl = QStyle.SubControl.SC_None  # on no longer drags it)
        slider.setSliderDown(False)
        return True
    if event.type() == QEvent.Type.KeyPress:
        step = slider_key_step(event.key(), slider.singleStep(),
                               bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        if step is not None:
            value = round((slider.value() + step) / slider.singleStep()) * slider.singleStep()
            slider.setValue(min(slider.maximum(), max(slider.minimum(), value)))
            return True
    if event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
        setattr(slider, PRESSED_AT, slider.value())  # on the groove too, where superqt jumps to it
    if (event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton
            and on_handle(slider, event.position().toPoint())):
        value, blocked = slider.value(), slider.blockSignals(True)
        try:
            slider.mousePressEvent(event)
            slider.setValue(value)
            if hasattr(slider, "_setClickOffset"):  # superqt's grip on the handle, taken again where it is
                slider._setClickOffset(event.position().toPoint())
        finally:
            slider.blockSignals(blocked)
        return True
    return False


def box_event(box, event: QEvent) -> bool:
    """Handle `event` on superqt's value box where it falls short; True where it is taken. Escape lets
    go of a value half typed (the box kept it, and took it when it lost the focus); with nothing
    typed it is left to the window (it cancels a running job, editor.menus). A double-click
    selects the whole value, after the box's own, which selects a word: "04" of "-2.04", and typing
    -2 then gave -2.2."""
    if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
        typed = box.text()
        box.updateText()
        if box.text() == typed:
            return False
        box.clearFocus()
        return True
    if event.type() == QEvent.Type.MouseButtonDblClick:
        QTimer.singleShot(0, box.selectAll)
    return False
