"""The image canvas: draws only what is visible, and turns mouse input into mask edits.

Coordinates: a widget point p and an image point q relate by
``p = q * scale + offset (+ pane shift)``; ``scale`` is logical screen pixels per
image pixel. Pixels are drawn from pyramid level L, the deepest level still at
least as fine as the screen (see :mod:`restore_app.ui.display`).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from restore_app.app import edits
from restore_app.app.document import Document
from restore_app.app.tool_state import Tool, ToolState
from restore_app.core.damage import layer_name
from restore_app.ui.canvas_paint import CanvasPainting, ViewMode, checker
from restore_app.ui.display import TileCache, TileFactory, to_display8

MIN_SCALE, MAX_SCALE = 1 / 256, 64.0


class Canvas(CanvasPainting, QWidget):
    """Shows one :class:`Document` and edits its mask with the current tool."""

    view_changed = Signal()
    heal_requested = Signal(object, float)  # list of image points (x, y), radius

    def __init__(self, tools: ToolState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: the tool, brush, layer and overlays it paints with: the workspace's
        self.tools = tools
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(200, 150)
        self.doc: Document | None = None
        self.factory: TileFactory | None = None
        self.cache = TileCache()
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self.mode = ViewMode.NORMAL
        self.split = 0.5  # split line as a fraction of the width
        self.show_original = False
        self.show_protect = True
        #: the name of a scan still being read ("" when none), shown meanwhile
        self.loading = ""
        #: the damage-map layers shown, by kind id
        self.damage_visible: list[str] = []
        self.preview: tuple[int, int, QImage] | None = None
        self._checker = checker()
        self._space = False
        self._drag: str | None = None  # "paint" | "erase" | "pan" | "split" | tool
        self._last_widget = QPointF()
        self._last_image = QPointF()
        self._stroke: edits.Stroke | None = None
        self._points: list[QPointF] = []
        self._rect_start: QPointF | None = None
        self._cursor: QPointF | None = None
        ev = tools.events
        for sig in (ev.tool, ev.brush_size, ev.layer):
            sig.connect(self._on_tools_changed)
        for sig in (ev.show_mask, ev.show_repaired, ev.overlay_rgb, ev.overlay_opacity):
            sig.connect(self._on_overlay_changed)

    # -- document ---------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self._end_stroke(cancel=True)
            self.doc.view_state = {
                "scale": self.scale,
                "x": self.offset.x(),
                "y": self.offset.y(),
            }
            for sig, slot in self._doc_links():
                sig.disconnect(slot)
        self.doc = doc
        self.cache.clear()
        self.preview = None
        self.factory = None
        if doc is not None:
            self.factory = TileFactory(
                doc.width,
                doc.height,
                lambda x0, y0, x1, y1: doc.pixels[y0:y1, x0:x1],
                doc.original_region,
                lambda x0, y0, x1, y1: doc.mask[y0:y1, x0:x1],
                lambda x0, y0, x1, y1: doc.repaired[y0:y1, x0:x1],
                alpha=doc.image.alpha,
                icc=doc.image.meta.icc_profile,
                proposal=doc.proposed_labels,
                doubtful=doc.doubtful,
                protect=lambda x0, y0, x1, y1: doc.protect[y0:y1, x0:x1],
                damage=lambda kid, d=doc: d.layers.get(layer_name(kid)),
            )
            self._apply_overlay_style()
            for sig, slot in self._doc_links():
                sig.connect(slot)
            vs = doc.view_state
            if vs:
                self.scale = vs["scale"]
                self.offset = QPointF(vs["x"], vs["y"])
                self.view_changed.emit()
            else:
                self.fit()
        self.update()

    def _doc_links(self):
        d = self.doc
        return [
            (d.pixels_changed, self._on_doc_pixels_changed),
            (d.mask_changed, self._on_doc_mask_changed),
            (d.repaired_changed, self._on_doc_repaired_changed),
            (d.proposal_changed, self._on_doc_proposal_changed),
            (d.protect_changed, self._on_doc_protect_changed),
            (d.damage_changed, self._on_doc_damage_changed),
        ]

    def _on_doc_pixels_changed(self, box) -> None:
        self.preview = None
        self._invalidate(("image", "diff"), box)

    def _on_doc_mask_changed(self, box) -> None:
        self._invalidate(("mask",), box)

    def _on_doc_repaired_changed(self, box) -> None:
        self._invalidate(("repaired",), box)

    def _on_doc_proposal_changed(self, box) -> None:
        self._invalidate(("proposal",), box)

    def _on_doc_protect_changed(self, box) -> None:
        self._invalidate(("protect",), box)

    def _on_doc_damage_changed(self, kind_id: str, box) -> None:
        self._invalidate((layer_name(kind_id),), box)

    def set_damage_visible(self, kinds) -> None:
        """Which damage-map layers show over the image."""
        self.damage_visible = list(kinds)
        self.update()

    def _invalidate(self, kinds: tuple[str, ...], box) -> None:
        if self.doc is None:
            return
        if box is None:
            box = (0, 0, self.doc.width, self.doc.height)
        self.cache.invalidate(kinds, box)
        self.update_image_box(box)

    def _on_tools_changed(self, _value: object = None) -> None:
        self.update()

    def _on_overlay_changed(self, _value: object = None) -> None:
        self._apply_overlay_style()
        self.cache.invalidate(("mask",), (0, 0, 1 << 30, 1 << 30))
        self.update()

    def _apply_overlay_style(self) -> None:
        if self.factory is not None:
            self.factory.overlay_color = QColor(*self.tools.overlay_rgb)
            self.factory.overlay_opacity = self.tools.overlay_opacity

    def set_mode(self, mode: ViewMode) -> None:
        self.mode = ViewMode(mode)
        self.update()
        self.view_changed.emit()

    # -- geometry ---------------------------------------------------------------------

    def _pane_width(self) -> float:
        return (
            float(self.width() // 2)
            if self.mode == ViewMode.SIDE
            else float(self.width())
        )

    def _pane_shift(self, x: float) -> float:
        if self.mode == ViewMode.SIDE and x >= float(self.width() // 2):
            return float(self.width() // 2)
        return 0.0

    def to_image(self, p: QPointF) -> QPointF:
        shift = self._pane_shift(p.x())
        return QPointF(
            (p.x() - shift - self.offset.x()) / self.scale,
            (p.y() - self.offset.y()) / self.scale,
        )

    def to_widget(self, q: QPointF, shift: float = 0.0) -> QPointF:
        return QPointF(
            q.x() * self.scale + self.offset.x() + shift,
            q.y() * self.scale + self.offset.y(),
        )

    def level(self) -> int:
        device_scale = self.scale * self.devicePixelRatioF()
        if device_scale >= 1 or self.doc is None:
            return 0
        lv = int(math.floor(math.log2(1 / device_scale)))
        top = max(0, int(math.log2(max(self.doc.width, self.doc.height))) - 4)
        return max(0, min(lv, top))

    def visible_image_box(self) -> tuple[int, int, int, int]:
        """Image box (x0, y0, x1, y1) shown in the (first) pane, clipped."""
        if self.doc is None:
            return (0, 0, 0, 0)
        a = self.to_image(QPointF(0, 0))
        b = self.to_image(QPointF(self._pane_width() - 1, self.height()))
        x0, y0 = max(0, int(a.x())), max(0, int(a.y()))
        x1 = min(self.doc.width, int(math.ceil(b.x())) + 1)
        y1 = min(self.doc.height, int(math.ceil(b.y())) + 1)
        return x0, y0, max(x0, x1), max(y0, y1)

    def update_image_box(self, box) -> None:
        x0, y0, x1, y1 = box
        pad = 2
        for shift in {
            0.0,
            float(self.width() // 2) if self.mode == ViewMode.SIDE else 0.0,
        }:
            a = self.to_widget(QPointF(x0, y0), shift)
            b = self.to_widget(QPointF(x1, y1), shift)
            self.update(QRectF(a, b).toAlignedRect().adjusted(-pad, -pad, pad, pad))

    # -- zoom and pan -----------------------------------------------------------------

    def fit(self) -> None:
        if self.doc is None:
            return
        pw, ph = self._pane_width(), float(self.height())
        s = min(pw / self.doc.width, ph / self.doc.height) * 0.98
        self.scale = max(MIN_SCALE, min(MAX_SCALE, s))
        self.offset = QPointF(
            (pw - self.doc.width * self.scale) / 2,
            (ph - self.doc.height * self.scale) / 2,
        )
        self._view_moved()

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale``, keeping the image point under ``anchor`` in place."""
        if self.doc is None:
            return
        scale = max(MIN_SCALE, min(MAX_SCALE, scale))
        if anchor is None:
            anchor = QPointF(self._pane_width() / 2, self.height() / 2)
        shift = self._pane_shift(anchor.x())
        q = self.to_image(anchor)
        self.scale = scale
        self.offset = QPointF(
            anchor.x() - shift - q.x() * scale, anchor.y() - q.y() * scale
        )
        self._view_moved()

    def zoom_actual(self) -> None:
        """100 %: one image pixel per device pixel, also on HiDPI screens."""
        self.zoom_to(1.0 / self.devicePixelRatioF())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.scale * factor, anchor)

    def pan_by(self, dx: float, dy: float) -> None:
        self.offset += QPointF(dx, dy)
        self._view_moved()

    def _view_moved(self) -> None:
        self.update()
        self.view_changed.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25**steps, event.position())
        event.accept()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.doc is not None and self.doc.view_state is None and self._drag is None:
            self.fit()

    def show_brush_at(self, image_point: QPointF | None) -> None:
        """Draw the brush outline at an image point (None: where the mouse is)."""
        self._cursor = None if image_point is None else self.to_widget(image_point)
        self.update()

    def set_preview(
        self, origin: tuple[int, int] | None, pixels: np.ndarray | None
    ) -> None:
        """Show (h, w, C) result pixels at image ``origin`` until the image changes."""
        if origin is None or pixels is None or self.factory is None:
            self.preview = None
        else:
            img = self.factory.display_image(to_display8(pixels))
            self.preview = (origin[0], origin[1], img)
        self.update()

    # -- mouse and keys ---------------------------------------------------------------

    def _cursor_rect(self, at: QPointF | None) -> QRect:
        if at is None:
            return QRect()
        r = self.tools.brush_size / 2 * self.scale + 4
        return QRectF(at.x() - r, at.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _move_cursor(self, at: QPointF | None) -> None:
        old = self._cursor
        self._cursor = at
        if self.tools.tool in (Tool.BRUSH, Tool.ERASER, Tool.HEAL):
            self.update(self._cursor_rect(old))
            self.update(self._cursor_rect(at))
        elif self._drag in ("rect", "lasso"):
            self.update()

    def _near_split(self, x: float) -> bool:
        return self.mode == ViewMode.SPLIT and abs(x - self.split * self.width()) < 8

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self._last_widget = pos
        if self.doc is None:
            return
        btn = event.button()
        if btn == Qt.MouseButton.MiddleButton or (
            btn == Qt.MouseButton.LeftButton
            and (self._space or self.tools.tool == Tool.PAN)
        ):
            self._drag = "pan"
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if btn != Qt.MouseButton.LeftButton:
            return
        if self._near_split(pos.x()):
            self._drag = "split"
            return
        q = self.to_image(pos)
        self._last_image = q
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if self.tools.tool in (Tool.BRUSH, Tool.ERASER):
            self._drag = "erase" if (self.tools.tool == Tool.ERASER or alt) else "paint"
            self._stroke = edits.Stroke(
                self.doc,
                self.tools.layer,
                self.tools.brush_size,
                self._drag == "erase",
                (q.x(), q.y()),
            )
            self._painted(self._stroke.to((q.x(), q.y())))
        elif self.tools.tool == Tool.HEAL:
            self._drag = "heal"
            self._points = [q]
            self.update()
        elif self.tools.tool == Tool.RECT:
            self._drag = "rect"
            self._rect_start = q
            self._erase_shape = alt
        elif self.tools.tool == Tool.LASSO:
            self._drag = "lasso"
            self._points = [q]
            self._erase_shape = alt
        elif self.tools.tool == Tool.REVIEW:
            self.doc.toggle_region(int(q.x()), int(q.y()))
        elif self.tools.tool == Tool.WAND:
            edits.select_similar(
                self.doc,
                int(q.x()),
                int(q.y()),
                self.tools.wand_tolerance,
                self.tools.layer,
                subtract=alt,
            )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag == "pan":
            d = pos - self._last_widget
            self._last_widget = pos
            self.pan_by(d.x(), d.y())
            return
        if self._drag == "split":
            self.split = min(0.98, max(0.02, pos.x() / max(1, self.width())))
            self.update()
            return
        self._last_widget = pos
        q = self.to_image(pos)
        if self._drag in ("paint", "erase"):
            if self._stroke is not None:
                self._painted(self._stroke.to((q.x(), q.y())))
            self._last_image = q
        elif self._drag in ("heal", "lasso"):
            self._points.append(q)
            if self._drag == "heal":
                self.update_image_box(
                    edits.points_box(
                        [(p.x(), p.y()) for p in self._points[-2:]],
                        self.tools.brush_size,
                    )
                )
        self._move_cursor(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag == "pan":
            self.unsetCursor()
        elif self._drag in ("paint", "erase"):
            self._end_stroke()
        elif self._drag == "heal":
            points = [(p.x(), p.y()) for p in self._points]
            self._points = []
            self._drag = None
            self.update()
            self.heal_requested.emit(points, self.tools.brush_size / 2)
        elif self._drag == "rect" and self._rect_start is not None:
            a, b = self._rect_start, self.to_image(event.position())
            edits.rectangle(
                self.doc, self.tools.layer, (a.x(), a.y()), (b.x(), b.y()), self._erase
            )
        elif self._drag == "lasso" and len(self._points) > 2:
            points = [(p.x(), p.y()) for p in self._points]
            edits.fill_polygon(self.doc, self.tools.layer, points, self._erase, "Lasso")
        self._drag = None
        self._points = []
        self._rect_start = None
        self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._move_cursor(None)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.isAutoRepeat():
            return super().keyPressEvent(event)
        if event.key() == Qt.Key.Key_Space:
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() == Qt.Key.Key_Backslash:
            self.show_original = True
            self.update()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.isAutoRepeat():
            return super().keyReleaseEvent(event)
        if event.key() == Qt.Key.Key_Space:
            self._space = False
            self.unsetCursor()
        elif event.key() == Qt.Key.Key_Backslash:
            self.show_original = False
            self.update()
        else:
            super().keyReleaseEvent(event)

    # -- mask edits -------------------------------------------------------------------

    @property
    def _erase(self) -> bool:
        """A shape erases with Alt held or with the Eraser chosen."""
        return getattr(self, "_erase_shape", False) or self.tools.tool == Tool.ERASER

    def _painted(self, box) -> None:
        if box is not None:
            self.cache.invalidate((self.tools.layer, "proposal"), box)
            self.update_image_box(box)

    def _end_stroke(self, cancel: bool = False) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        if cancel:
            stroke.cancel()
        else:
            stroke.finish()
