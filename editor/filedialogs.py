"""The editor's file dialogs: Open (Qt's own made roomy, or the platform's) and Save (Qt's own, adding
the suffix of the type chosen before it asks about overwriting)."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, QMimeDatabase, QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QLineEdit, QSplitter, QTreeView

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif)"
EXPORT_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
SUFFIX_IN_FILTER = re.compile(r"\*\.([\w.]+)")  # "JPEG (*.jpg *.jpeg)" -> jpg, jpeg


def open_file_dialog(parent, title: str, folder: str, filters: str) -> str:
    """An existing file chosen in the platform's dialog, or in Qt's own made roomy; "" when cancelled."""
    dialog = QFileDialog(parent, title, folder, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    QTimer.singleShot(0, dialog, lambda: roomy(dialog))  # once shown: Qt's own has its widgets then
    return chosen(dialog)


def chosen(dialog: QFileDialog) -> str:
    """The file chosen in `dialog`, shown now, or "" when cancelled; the dialog is deleted after
    (each one kept its file system model and watcher thread while the window lived)."""
    try:
        return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""
    finally:
        dialog.deleteLater()


def roomy(dialog: QFileDialog) -> QFileDialog:
    """Qt's own file dialog (not a platform's) wide enough that its Size, Type and Date columns read
    whole: at Qt's default size they read "29....KiB" and "PN...ge", and the places beside them
    "Co..." (walkthrough). The name column takes the rest. A native dialog is left as it is."""
    view = dialog.findChild(QTreeView, "treeView")
    if view is None:
        return dialog
    dialog.resize(max(dialog.width(), 880), max(dialog.height(), 520))
    style, mimes = view.style(), QMimeDatabase()
    fm, pad = view.fontMetrics(), 3 * style.pixelMetric(style.PixelMetric.PM_HeaderMargin) + 12
    kinds = {suffix for f in dialog.nameFilters() for suffix in SUFFIX_IN_FILTER.findall(f)}
    names = [mimes.mimeTypeForFile(f"x.{k}", QMimeDatabase.MatchMode.MatchExtension).comment() for k in kinds]
    date = QLocale().toString(QDateTime(2028, 12, 28, 23, 58, 0), QLocale.FormatType.ShortFormat)
    widths = {1: fm.horizontalAdvance("1023.99 KiB"),
              2: max([fm.horizontalAdvance(n) for n in names + ["Folder"]]), 3: fm.horizontalAdvance(date)}
    header = view.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, header.ResizeMode.Stretch)
    for column, width in widths.items():
        header.resizeSection(column, width + pad)
    splitter = dialog.findChild(QSplitter, "splitter")
    if splitter is not None and splitter.count() == 2:
        side = splitter.widget(0).fontMetrics().horizontalAdvance("Computer") + 60
        splitter.setSizes([side, dialog.width() - side])
    return dialog


def save_file_dialog(parent, title: str, path: str, filters: str, suffix: str) -> str:
    """A Save dialog that adds a suffix to a name typed without one (the chosen filter's first, else
    `suffix`) before it checks for a file to overwrite (a session saved as "astro" was written as
    "astro", which Open then did not list); the path chosen, or "" when cancelled. Qt's own dialog:
    a platform's native one asks about overwriting the name as typed, before the suffix is added."""
    return chosen(save_dialog(parent, title, path, filters, suffix))


def save_dialog(parent, title: str, path: str, filters: str, suffix: str) -> QFileDialog:
    """save_file_dialog's dialog, not yet shown. Its type list follows a name typed with a suffix
    of another type ("x.jpg" typed under PNG left the list saying PNG: walkthrough)."""
    dialog = QFileDialog(parent, title, path, filters)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    roomy(dialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(suffix)
    suffixes = [SUFFIX_IN_FILTER.findall(f) for f in dialog.nameFilters()]

    def filter_chosen(text: str) -> None:  # "JPEG (*.jpg *.jpeg)" -> jpg
        found = SUFFIX_IN_FILTER.search(text)
        dialog.setDefaultSuffix(found.group(1) if found else suffix)

    def name_typed(text: str) -> None:
        typed = Path(text).suffix.lower().lstrip(".")
        combo = dialog.findChild(QComboBox, "fileTypeCombo")
        for i, ours in enumerate(suffixes):
            if typed and typed in ours and combo is not None and combo.currentIndex() != i:
                combo.blockSignals(True)  # Qt would rewrite the name's suffix to the filter's first
                combo.setCurrentIndex(i)
                combo.blockSignals(False)
                dialog.setDefaultSuffix(ours[0])

    dialog.filterSelected.connect(filter_chosen)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    if name is not None:
        name.textChanged.connect(name_typed)
    return dialog
