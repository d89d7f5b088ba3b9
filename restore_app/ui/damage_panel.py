"""The Damage dock: find the damage, review the proposal, accept it into the mask.

It views the current document's review (proposal, sensitivity, kinds) and
writes the person's choices back to the document; detecting is asked of the
window, which owns the worker.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from restore_app.app.document import Document
from restore_app.app.tool_state import ToolState
from restore_app.core.damage import DAMAGE_KINDS
from restore_app.core.medium import MEDIA
from restore_app.models.base import DETECTED_KINDS

_MEDIUM_NAMES = {
    "auto": "Auto",
    "negative": "Negative film",
    "slide": "Slide",
    "print": "Print",
}


def _swatch(rgb: tuple[int, int, int]) -> QLabel:
    pix = QPixmap(12, 12)
    pix.fill(QColor(*rgb))
    label = QLabel()
    label.setPixmap(pix)
    return label


class DamagePanel(QWidget):
    detect_requested = Signal()
    detect_all_requested = Signal()

    def __init__(self, tools: ToolState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.tools = tools
        self._updating = False
        layout = QVBoxLayout(self)

        row = QHBoxLayout()
        row.addWidget(QLabel("Medium"))
        self.medium = QComboBox()
        for m in MEDIA:
            self.medium.addItem(_MEDIUM_NAMES[m], m)
        self.medium.setToolTip(
            "What was scanned: on a negative dust shows light, on a slide dark; "
            "Auto decides from the scan"
        )
        self.medium.setCurrentIndex(MEDIA.index(tools.medium))
        self.medium.currentIndexChanged.connect(self._on_medium)
        tools.events.medium.connect(self._show_medium)
        row.addWidget(self.medium, 1)
        layout.addLayout(row)

        buttons = QHBoxLayout()
        self.detect_button = QPushButton("Detect Damage")
        self.detect_button.setToolTip(
            "Find scratches, dust, cracks and losses (Ctrl+D); nothing is repaired"
        )
        self.detect_button.clicked.connect(self.detect_requested)
        self.detect_all_button = QPushButton("Detect in Folder")
        self.detect_all_button.setToolTip(
            "Find the damage of the selected images (all when one or none is "
            "selected) in the background, for review"
        )
        self.detect_all_button.clicked.connect(self.detect_all_requested)
        buttons.addWidget(self.detect_button)
        buttons.addWidget(self.detect_all_button)
        layout.addLayout(buttons)

        row = QHBoxLayout()
        row.addWidget(QLabel("Sensitivity"))
        self.sensitivity = QSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0, 100)
        self.sensitivity.setToolTip(
            "Higher finds fainter damage and flags more picture detail"
        )
        self.sensitivity.valueChanged.connect(self._on_sensitivity)
        self.sensitivity_label = QLabel("–")
        self.sensitivity_label.setMinimumWidth(32)
        row.addWidget(self.sensitivity, 1)
        row.addWidget(self.sensitivity_label)
        layout.addLayout(row)

        self.kinds_grid = QGridLayout()
        self.kind_boxes: dict[str, QCheckBox] = {}
        self._swatches: dict[str, QLabel] = {}
        for k in DAMAGE_KINDS:
            box = QCheckBox(k.name)
            box.setToolTip(k.description)
            box.toggled.connect(self._on_kinds)
            self.kind_boxes[k.id] = box
            self._swatches[k.id] = _swatch(k.colour)
        self._shown_kinds: tuple[str, ...] = ()
        self._show_kinds(DETECTED_KINDS)
        layout.addLayout(self.kinds_grid)

        self.summary = QLabel()
        layout.addWidget(self.summary)

        row = QHBoxLayout()
        self.accept_button = QPushButton("Accept into Mask")
        self.accept_button.setToolTip(
            "Add the proposal, as reviewed, to the working mask (Ctrl+Return)"
        )
        self.accept_button.clicked.connect(self.accept)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("Drop the proposal; the mask is unchanged")
        self.dismiss_button.clicked.connect(self.dismiss)
        row.addWidget(self.accept_button)
        row.addWidget(self.dismiss_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self.refresh()

    # -- the document ---------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.proposal_changed.disconnect(self._on_doc_proposal_changed)
        self.doc = doc
        if doc is not None:
            doc.proposal_changed.connect(self._on_doc_proposal_changed)
        self.refresh()

    def _on_doc_proposal_changed(self, _box) -> None:
        self.refresh()

    def _show_kinds(self, ids) -> None:
        """A box for each kind the detector finds (the others stay hidden)."""
        ids = tuple(ids)
        if ids == self._shown_kinds:
            return
        for kid, box in self.kind_boxes.items():
            self.kinds_grid.removeWidget(box)
            self.kinds_grid.removeWidget(self._swatches[kid])
            box.setVisible(False)
            self._swatches[kid].setVisible(False)
        for i, kid in enumerate(ids):
            self.kinds_grid.addWidget(self._swatches[kid], i // 2, 2 * (i % 2))
            self.kinds_grid.addWidget(self.kind_boxes[kid], i // 2, 2 * (i % 2) + 1)
            self.kind_boxes[kid].setVisible(True)
            self._swatches[kid].setVisible(True)
        self._shown_kinds = ids

    def refresh(self) -> None:
        """Show the document's review as it is."""
        doc = self.doc
        reviewing = doc is not None and doc.proposal is not None
        self._updating = True
        try:
            self.detect_button.setEnabled(doc is not None)
            for w in (self.sensitivity, self.accept_button, self.dismiss_button):
                w.setEnabled(reviewing)
            for box in self.kind_boxes.values():
                box.setEnabled(reviewing)
            if reviewing:
                self._show_kinds(
                    doc.proposal.operation.get("detector_kinds", DETECTED_KINDS)
                )
                s = float(doc.review["sensitivity"])
                self.sensitivity.setValue(round(s * 100))
                self.sensitivity_label.setText(f"{s:.2f}")
                for kid, box in self.kind_boxes.items():
                    box.setChecked(kid in doc.review["kinds"])
                labels = doc.proposed_labels()
                n = int((labels > 0).sum())
                share = 100.0 * n / max(labels.size, 1)
                detector = doc.proposal.operation.get("detector_name", "")
                doubtful = doc.doubtful()
                lines = [f"{n:,} px proposed ({share:.2f} %)"]
                counts = _regions_by_kind(np.where(doubtful, 0, labels))
                if counts:
                    lines.append("Regions: " + ", ".join(f"{c} {k}" for k, c in counts))
                d = _regions_by_kind(np.where(doubtful, labels, 0))
                if d:
                    lines.append(
                        f"Doubtful, left for you: {sum(c for _, c in d)} (hatched)"
                    )
                medium = doc.proposal.operation.get("medium")
                if medium:
                    lines.append(f"Seen as {_MEDIUM_NAMES[medium].lower()}")
                self.summary.setText("\n".join(lines))
                self.summary.setToolTip(
                    (f"Found by {detector}. " if detector else "")
                    + "Review (V): click a region to drop it or bring it back, "
                    "or a hatched doubtful one to keep it. Erase false alarms, "
                    "paint what was missed, then accept. "
                    + doc.proposal.operation.get("medium_why", "")
                )
            else:
                self.sensitivity_label.setText("–")
                self.summary.setText("No proposal")
                self.summary.setToolTip(
                    "Detect Damage proposes a mask of scratches, dust, cracks "
                    "and losses for you to review."
                )
        finally:
            self._updating = False

    # -- the person's choices ---------------------------------------------------------

    def _on_medium(self, index: int) -> None:
        self.tools.medium = MEDIA[index]

    def _show_medium(self, medium: str) -> None:
        self.medium.setCurrentIndex(MEDIA.index(medium))

    def _on_sensitivity(self, value: int) -> None:
        if not self._updating and self.doc is not None:
            self.doc.set_review(sensitivity=value / 100.0)

    def _on_kinds(self, _checked: bool) -> None:
        if not self._updating and self.doc is not None:
            kinds = [k for k, box in self.kind_boxes.items() if box.isChecked()]
            self.doc.set_review(kinds=kinds)

    def accept(self) -> None:
        if self.doc is not None:
            self.doc.accept_proposal()

    def dismiss(self) -> None:
        if self.doc is not None:
            self.doc.end_review()


def _regions_by_kind(labels: np.ndarray) -> list[tuple[str, int]]:
    """(kind name, number of connected regions) of each kind present."""
    out = []
    for k in DAMAGE_KINDS:
        hit = labels == k.label
        if hit.any():
            n, _ = cv2.connectedComponents(hit.astype(np.uint8), connectivity=8)
            out.append((k.name.lower(), n - 1))
    return out
