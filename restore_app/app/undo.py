"""Undo without Qt: commands on a stack, with the clean state and change events.

The shape of QUndoStack (Krita and Qt programs work this way), as plain Python
so that documents and their history are tested without a window: ``push()``
runs the command's ``redo()`` at once (a command for an edit already made
skips that first call itself), pushing after an undo drops the steps that
were waiting to be redone, and past the limit the oldest step goes.
"""

from __future__ import annotations

from psygnal import Signal


class UndoCommand:
    """One step: ``redo()`` makes it, ``undo()`` takes it back."""

    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text

    def redo(self) -> None:  # pragma: no cover - every step overrides it
        raise NotImplementedError

    def undo(self) -> None:  # pragma: no cover
        raise NotImplementedError


class UndoStack:
    """Commands ``[0, count)``; the first ``index`` of them are applied."""

    #: the number of applied steps changed (an edit, an undo or a redo)
    index_changed = Signal(int)
    #: the stack reached, or left, the state last marked clean
    clean_changed = Signal(bool)

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit  # 0: no limit
        self._commands: list[UndoCommand] = []
        self._index = 0
        self._clean: int | None = 0  # None: the clean state was dropped

    # -- reading ------------------------------------------------------------------
    def count(self) -> int:
        return len(self._commands)

    def index(self) -> int:
        return self._index

    def command(self, i: int) -> UndoCommand:
        return self._commands[i]

    def text(self, i: int) -> str:
        return self._commands[i].text()

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text() if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text() if self.can_redo() else ""

    def is_clean(self) -> bool:
        return self._clean == self._index

    # -- changing -----------------------------------------------------------------
    def push(self, command: UndoCommand) -> None:
        was_clean = self.is_clean()
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the clean state was among the dropped redo steps
        del self._commands[self._index :]
        command.redo()
        self._commands.append(command)
        self._index += 1
        if self.limit and len(self._commands) > self.limit:
            drop = len(self._commands) - self.limit
            del self._commands[:drop]
            self._index -= drop
            if self._clean is not None:
                self._clean = self._clean - drop if self._clean >= drop else None
        self._announce(was_clean)

    def undo(self) -> None:
        if self.can_undo():
            was_clean = self.is_clean()
            self._index -= 1
            self._commands[self._index].undo()
            self._announce(was_clean)

    def redo(self) -> None:
        if self.can_redo():
            was_clean = self.is_clean()
            self._commands[self._index].redo()
            self._index += 1
            self._announce(was_clean)

    def set_index(self, index: int) -> None:
        """Undo or redo until ``index`` steps are applied."""
        index = max(0, min(index, len(self._commands)))
        while self._index > index:
            self.undo()
        while self._index < index:
            self.redo()

    def set_clean(self) -> None:
        was_clean = self.is_clean()
        self._clean = self._index
        if not was_clean:
            self.clean_changed.emit(True)

    def _announce(self, was_clean: bool) -> None:
        self.index_changed.emit(self._index)
        if self.is_clean() != was_clean:
            self.clean_changed.emit(self.is_clean())
