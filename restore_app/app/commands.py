"""The undo steps of a document: edits already on screen, kept as tile deltas
of its arrays (pixels, mask layers), with what they recorded; and the
recorder of a stroke while it is being painted."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from restore_app.app.undo import UndoCommand
from restore_app.core.history import TileDelta, TileRecorder
from restore_app.core.pixels import Box


class Edited(Protocol):
    """What the steps need of the document they belong to."""

    operations: list[dict[str, Any]]
    proposal: Any
    review: dict[str, Any]
    rejected: np.ndarray

    def array(self, name: str) -> np.ndarray: ...

    def notify(self, name: str, box: Box | None) -> None: ...

    def begin_review(
        self, proposal: Any, review: dict[str, Any] | None = None
    ) -> None: ...

    def end_review(self, clear_rejected: bool = True) -> None: ...


class DeltaCommand(UndoCommand):
    """An edit already on screen, stored as tile deltas of the document's arrays.

    ``parts`` pairs an array name ("pixels", "mask", "repaired") with its delta.
    ``push()`` calls ``redo()`` at once; the first call is skipped because the
    edit was made while it was recorded.
    """

    def __init__(
        self,
        doc: Edited,
        text: str,
        parts: list[tuple[str, TileDelta]],
        operation: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(text)
        self.doc = doc
        self.parts = parts
        self.operation = operation
        self._done = True

    @property
    def nbytes(self) -> int:
        return sum(d.nbytes for _, d in self.parts)

    def redo(self) -> None:
        if self._done:
            self._done = False
            if self.operation is not None:
                self.doc.operations.append(self.operation)
            return
        for name, delta in self.parts:
            delta.redo(self.doc.array(name))
            self.doc.notify(name, delta.bounds())
        if self.operation is not None:
            self.doc.operations.append(self.operation)
            self.doc.notify("state", None)

    def undo(self) -> None:
        for name, delta in reversed(self.parts):
            delta.undo(self.doc.array(name))
            self.doc.notify(name, delta.bounds())
        if self.operation is not None and self.operation in self.doc.operations:
            self.doc.operations.remove(self.operation)
            self.doc.notify("state", None)


class AcceptProposal(DeltaCommand):
    """Accepting a damage proposal: the mask gains it and the review ends; undo
    brings the review back as it was."""

    def __init__(self, doc: Edited, parts: list[tuple[str, TileDelta]]) -> None:
        super().__init__(doc, "Accept damage proposal", parts)
        self.proposal = doc.proposal
        self.review = dict(doc.review)

    def redo(self) -> None:
        super().redo()
        self.doc.end_review(clear_rejected=False)  # the parts cleared it

    def undo(self) -> None:
        super().undo()
        self.doc.begin_review(self.proposal, self.review)


class KeepRegion(UndoCommand):
    """Keeping a doubtful region of the proposal (or no longer keeping one): a
    point inside it joins (leaves) the review's ``kept`` list."""

    def __init__(self, doc: Edited, point: list[int], keep: bool) -> None:
        super().__init__(
            "Keep a doubtful region" if keep else "Leave a doubtful region"
        )
        self.doc = doc
        self.point = point
        self.keep = keep
        # No pixels change: the kept list travels in the review's saved state.
        self.parts: list[tuple[str, TileDelta]] = []

    def _set(self, keep: bool) -> None:
        kept = [p for p in self.doc.review.get("kept", []) if p != self.point]
        if keep:
            kept.append(self.point)
        self.doc.review["kept"] = kept
        self.doc.notify("proposal", None)

    def redo(self) -> None:
        self._set(self.keep)

    def undo(self) -> None:
        self._set(not self.keep)


class MaskEdit:
    """Records a stroke on one mask layer ("mask", the working mask, or
    "protect", the original that must not be repaired) and, on the working mask
    while a proposal is under review, on its rejected pixels (what the eraser
    took out of the proposal)."""

    def __init__(self, doc: Edited, layer: str = "mask") -> None:
        self.layer = layer
        self.recorders = [(layer, TileRecorder(doc.array(layer)))]
        if layer == "mask" and doc.proposal is not None:
            self.recorders.append(("rejected", TileRecorder(doc.rejected)))

    def touch(self, x0: int, y0: int, x1: int, y1: int) -> None:
        for _, rec in self.recorders:
            rec.touch(x0, y0, x1, y1)

    def finish(self) -> list[tuple[str, TileDelta]]:
        parts = [(name, rec.finish()) for name, rec in self.recorders]
        return [(name, d) for name, d in parts if d]

    def revert(self) -> None:
        for _, rec in self.recorders:
            rec.revert()
