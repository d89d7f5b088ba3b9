"""The undo stack, as QUndoStack behaves, without Qt."""

from __future__ import annotations

from restore_app.app.undo import UndoCommand, UndoStack


class Append(UndoCommand):
    def __init__(self, log: list[str], item: str) -> None:
        super().__init__(f"add {item}")
        self.log, self.item = log, item

    def redo(self) -> None:
        self.log.append(self.item)

    def undo(self) -> None:
        self.log.remove(self.item)


def test_push_undo_redo_and_events():
    log: list[str] = []
    stack = UndoStack()
    indices, cleans = [], []
    stack.index_changed.connect(indices.append)
    stack.clean_changed.connect(cleans.append)
    stack.push(Append(log, "a"))
    stack.push(Append(log, "b"))
    assert log == ["a", "b"] and (stack.index(), stack.count()) == (2, 2)
    assert stack.undo_text() == "add b" and not stack.can_redo()
    stack.undo()
    assert log == ["a"] and stack.redo_text() == "add b"
    stack.redo()
    assert log == ["a", "b"]
    assert indices == [1, 2, 1, 2]
    assert cleans == [False]  # left the clean (opened) state once
    stack.undo()
    stack.undo()
    assert stack.is_clean() and cleans == [False, True]


def test_a_push_after_undo_drops_the_redo_steps_and_a_lost_clean_state():
    log: list[str] = []
    stack = UndoStack()
    for item in "abc":
        stack.push(Append(log, item))
    stack.set_clean()
    stack.set_index(1)
    assert log == ["a"] and not stack.is_clean()
    stack.push(Append(log, "d"))
    assert log == ["a", "d"] and stack.count() == 2
    stack.set_index(0)
    stack.set_index(2)
    assert not stack.is_clean()  # the saved state is gone for good


def test_past_the_limit_the_oldest_step_goes():
    log: list[str] = []
    stack = UndoStack(limit=3)
    for item in "abcde":
        stack.push(Append(log, item))
    assert [stack.text(i) for i in range(stack.count())] == ["add c", "add d", "add e"]
    stack.set_index(0)
    assert log == ["a", "b"]
