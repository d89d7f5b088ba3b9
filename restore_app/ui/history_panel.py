"""The History dock: the steps of the image shown, the current one selected.

A view of the document's undo stack: clicking a step goes back (or forward)
to it; steps waiting to be redone are shown dimmed.
"""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from restore_app.app.undo import UndoStack


class HistoryPanel(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack: UndoStack | None = None
        self._first = "Opened"
        self._updating = False
        self.currentRowChanged.connect(self._on_current_row_changed)

    @property
    def stack(self) -> UndoStack | None:
        return self._stack

    def set_stack(self, stack: UndoStack | None, first: str = "Opened") -> None:
        """Show ``stack``; ``first`` names the state before its first step."""
        if self._stack is not None:
            self._stack.index_changed.disconnect(self._on_stack_index_changed)
        self._stack = stack
        self._first = first
        if stack is not None:
            stack.index_changed.connect(self._on_stack_index_changed)
        self._refresh()

    def _on_stack_index_changed(self, _index: int) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self._updating = True
        try:
            self.clear()
            stack = self._stack
            if stack is None:
                return
            dim = self.palette().color(self.palette().ColorRole.PlaceholderText)
            for i in range(-1, stack.count()):
                item = QListWidgetItem(self._first if i < 0 else stack.text(i))
                if i >= stack.index():
                    item.setForeground(QColor(dim))
                self.addItem(item)
            self.setCurrentRow(stack.index())
        finally:
            self._updating = False

    def _on_current_row_changed(self, row: int) -> None:
        if not self._updating and self._stack is not None and row >= 0:
            self._stack.set_index(row)
