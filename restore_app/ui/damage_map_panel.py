"""The Damage Map dock: a layer per kind of damage, its area, what to repair.

It views the current document's damage map and writes the person's choices to
the document; which layer the tools paint, and which layers show, are asked of
the window, which owns the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restore_app.app.document import Document
from restore_app.core.damage import DAMAGE_KINDS, layer_name
from restore_app.core.damage_map import summarise_layers

#: The key that picks each kind's layer for painting: the digits, in table order.
LAYER_KEYS = {k.id: key for k, key in zip(DAMAGE_KINDS, "1234567890", strict=False)}
# The areas come first after the kind: the panel is often narrow.
_COLUMNS = ("Show", "Kind", "%", "Regions", "mm²", "Pixels", "Repair", "Key")
_SHOW, _KIND, _SHARE, _REGIONS, _MM2, _PIXELS, _REPAIR, _KEY = range(len(_COLUMNS))
#: the widest text each count column shows (a 100 MP scan all of one kind)
_WIDEST = {_SHARE: "100.00", _REGIONS: "99999", _MM2: "99999.9", _PIXELS: "100,000,000"}


class DamageMapPanel(QWidget):
    layer_chosen = Signal(str)  # "damage:KIND"
    visibility_changed = Signal(list)  # kind ids shown
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._updating = False
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(DAMAGE_KINDS), len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.show_boxes: dict[str, QCheckBox] = {}
        self.repair_boxes: dict[str, QCheckBox] = {}
        for row, k in enumerate(DAMAGE_KINDS):
            show, repair = QCheckBox(), QCheckBox()
            show.setChecked(True)
            show.setToolTip(f"Show the {k.name.lower()} layer")
            repair.setToolTip(f"Repair what is marked {k.name.lower()}")
            show.toggled.connect(self._on_visibility)
            self.show_boxes[k.id], self.repair_boxes[k.id] = show, repair
            self.table.setCellWidget(row, _SHOW, show)
            self.table.setCellWidget(row, _REPAIR, repair)
            name = QTableWidgetItem(k.name)
            name.setForeground(QColor(*k.colour).darker(130))
            name.setToolTip(k.description)
            self.table.setItem(row, _KIND, name)
            self.table.setItem(row, _KEY, QTableWidgetItem(LAYER_KEYS.get(k.id, "")))
        self.table.setMinimumWidth(0)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        # The counts get room for a 100 MP scan's from the start, so the panel
        # opens wide enough for them and never widens under the person.
        fm = self.table.fontMetrics()
        for col, widest in _WIDEST.items():
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            text = max(widest, _COLUMNS[col], key=fm.horizontalAdvance)
            header.resizeSection(
                col, fm.horizontalAdvance(text) + 3 * fm.averageCharWidth()
            )
        self.table.cellClicked.connect(self._on_row_clicked)
        layout.addWidget(self.table)
        self.resolution = QLabel()
        layout.addWidget(self.resolution)
        # Stacked: the panel shares its width with the Images strip.
        row = QVBoxLayout()
        self.from_proposal = QPushButton("Proposal into Map")
        self.from_proposal.setToolTip(
            "Add the reviewed damage proposal to the map, each kind to its layer"
        )
        self.from_proposal.clicked.connect(self._on_from_proposal)
        self.to_mask = QPushButton("Mask the Ticked Kinds")
        self.to_mask.setToolTip(
            "Add the layers ticked 'Repair' to the working mask; Run repairs them "
            "and the layers stay as documentation"
        )
        self.to_mask.clicked.connect(self._on_to_mask)
        export = QPushButton("Export…")
        export.setToolTip("Write the damage map: a PNG per layer, labels, CSV, JSON")
        export.clicked.connect(self.export_requested)
        for b in (self.from_proposal, self.to_mask, export):
            row.addWidget(b)
        layout.addLayout(row)
        # Areas are counted a moment after the last stroke, not on every one.
        self._recount = QTimer(self, singleShot=True, interval=250)
        self._recount.timeout.connect(self.refresh)
        self.refresh()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Wide enough for every column, areas included, without scrolling
        # sideways: the window widens the tab it shares with the strip to this.
        t = self.table
        frame = 2 * t.frameWidth() + t.verticalScrollBar().sizeHint().width()
        m = self.layout().contentsMargins()
        width = t.horizontalHeader().length() + frame + m.left() + m.right()
        return QSize(width, 400)

    # -- the document ---------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.damage_changed.disconnect(self._on_doc_damage_changed)
            self.doc.proposal_changed.disconnect(self._on_doc_proposal_changed)
        self.doc = doc
        if doc is not None:
            doc.damage_changed.connect(self._on_doc_damage_changed)
            doc.proposal_changed.connect(self._on_doc_proposal_changed)
        self.refresh()

    def _on_doc_damage_changed(self, _kind: str, _box) -> None:
        self._recount.start()

    def _on_doc_proposal_changed(self, _box) -> None:
        self.from_proposal.setEnabled(
            self.doc is not None and self.doc.proposal is not None
        )

    def refresh(self) -> None:
        """The area of each layer, as the document's map is now."""
        doc = self.doc
        dpi = doc.image.meta.dpi if doc is not None else None
        rows = {r["kind"]: r for r in summarise_layers(doc.damage, dpi)} if doc else {}
        for i, k in enumerate(DAMAGE_KINDS):
            r = rows.get(k.id)
            values = {
                _SHARE: f"{r['percent']:.2f}" if r else "",
                _REGIONS: str(r["regions"]) if r else "",
                _MM2: "" if not r or r["mm2"] is None else f"{r['mm2']:.1f}",
                _PIXELS: f"{r['pixels']:,}" if r else "",
            }
            for col, text in values.items():
                item = QTableWidgetItem(text)
                item.setTextAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                self.table.setItem(i, col, item)
        self.resolution.setText(
            f"Resolution {dpi[0]:g} × {dpi[1]:g} dpi" if dpi else "unknown resolution"
        )
        self._on_doc_proposal_changed(None)
        self.to_mask.setEnabled(doc is not None)

    # -- the person's choices ---------------------------------------------------------

    def _on_row_clicked(self, row: int, _col: int) -> None:
        self.layer_chosen.emit(layer_name(DAMAGE_KINDS[row].id))

    def _on_visibility(self, _checked: bool) -> None:
        self.visibility_changed.emit(self.visible_kinds())

    def visible_kinds(self) -> list[str]:
        return [k for k, box in self.show_boxes.items() if box.isChecked()]

    def ticked_kinds(self) -> list[str]:
        return [k for k, box in self.repair_boxes.items() if box.isChecked()]

    def _on_from_proposal(self) -> None:
        if self.doc is not None:
            self.doc.accept_into_damage_map()

    def _on_to_mask(self) -> None:
        if self.doc is not None:
            self.doc.mask_from_damage_map(self.ticked_kinds())
