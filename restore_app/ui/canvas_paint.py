"""How the canvas draws: only the visible tiles of the image (from the
pyramid level that suits the zoom), the mask, protect, proposal and damage-map
overlays, the before/after panes, and the brush, shapes and labels over them.
Part of :class:`restore_app.ui.canvas.Canvas` (its view state and document)."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)

from restore_app.app.tool_state import Tool
from restore_app.core.damage import layer_name
from restore_app.ui.display import DTILE


class ViewMode(StrEnum):
    NORMAL = "normal"
    SPLIT = "split"
    SIDE = "side"
    DIFF = "diff"


def checker() -> QBrush:
    img = QImage(16, 16, QImage.Format.Format_RGB32)
    img.fill(QColor(200, 200, 200))
    p = QPainter(img)
    p.fillRect(0, 0, 8, 8, QColor(150, 150, 150))
    p.fillRect(8, 8, 8, 8, QColor(150, 150, 150))
    p.end()
    return QBrush(img)


class CanvasPainting:
    """The drawing half of the canvas."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(event.rect(), QColor(48, 48, 50))
        if self.doc is None or self.factory is None or self.loading:
            p.setPen(QColor(170, 170, 170))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                f"Loading {self.loading}…"
                if self.loading
                else "Open an image or a folder (Ctrl+O), or drop it here",
            )
            return
        for rect, pane, shift, overlays in self._panes():
            clip = rect.intersected(event.rect())
            if clip.isEmpty():
                continue
            p.save()
            p.setClipRect(clip)
            self._draw_kind(p, clip, pane, shift, overlays)
            p.restore()
        self._draw_decorations(p)

    def _panes(self) -> list[tuple[QRect, str, float, bool]]:
        w, h = self.width(), self.height()
        if self.show_original:
            return [(self.rect(), "original", 0.0, False)]
        if self.mode == ViewMode.SPLIT:
            sx = int(round(self.split * w))
            return [
                (QRect(0, 0, sx, h), "original", 0.0, False),
                (QRect(sx, 0, w - sx, h), "image", 0.0, True),
            ]
        if self.mode == ViewMode.SIDE:
            half = w // 2
            return [
                (QRect(0, 0, half, h), "original", 0.0, False),
                (QRect(half, 0, w - half, h), "image", float(half), True),
            ]
        if self.mode == ViewMode.DIFF:
            return [(self.rect(), "diff", 0.0, False)]
        return [(self.rect(), "image", 0.0, True)]

    def _tiles_for(self, clip: QRect, shift: float, level: int):
        a = QPointF(
            (clip.left() - shift - self.offset.x()) / self.scale,
            (clip.top() - self.offset.y()) / self.scale,
        )
        b = QPointF(
            (clip.right() + 1 - shift - self.offset.x()) / self.scale,
            (clip.bottom() + 1 - self.offset.y()) / self.scale,
        )
        span = DTILE << level
        tx0 = max(0, int(a.x() // span))
        ty0 = max(0, int(a.y() // span))
        tx1 = min((self.doc.width - 1) // span, int(b.x() // span))
        ty1 = min((self.doc.height - 1) // span, int(b.y() // span))
        for ty in range(ty0, ty1 + 1):
            for tx in range(tx0, tx1 + 1):
                x0, y0, x1, y1 = self.factory.box(level, ty, tx)
                target = QRectF(
                    self.to_widget(QPointF(x0, y0), shift),
                    self.to_widget(QPointF(x1, y1), shift),
                )
                yield ty, tx, target

    def _draw_kind(
        self, p: QPainter, clip: QRect, kind: str, shift: float, overlays: bool
    ) -> None:
        level = self.level()
        f = self.factory
        smooth = self.scale * self.devicePixelRatioF() < 1.0
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        if self.doc.image.alpha is not None:
            area = QRectF(
                self.to_widget(QPointF(0, 0), shift),
                self.to_widget(QPointF(self.doc.width, self.doc.height), shift),
            )
            p.fillRect(area, self._checker)
        tiles = list(self._tiles_for(clip, shift, level))
        for ty, tx, target in tiles:
            if kind == "diff":
                img = self.cache.get(
                    ("diff", level, ty, tx),
                    lambda ty=ty, tx=tx: f.difference_tile(level, ty, tx),
                )
            else:
                img = self.cache.get(
                    (kind, level, ty, tx),
                    lambda k=kind, ty=ty, tx=tx: f.image_tile(k, level, ty, tx),
                )
            p.drawImage(target, img)
        if overlays and self.preview is not None:
            px, py, pimg = self.preview
            target = QRectF(
                self.to_widget(QPointF(px, py), shift),
                self.to_widget(QPointF(px + pimg.width(), py + pimg.height()), shift),
            )
            p.drawImage(target, pimg)
        if overlays and self.tools.show_repaired:
            for ty, tx, target in tiles:
                img = self.cache.get(
                    ("repaired", level, ty, tx),
                    lambda ty=ty, tx=tx: f.overlay_tile("repaired", level, ty, tx),
                )
                p.drawImage(target, img)
        if overlays and self.doc.proposal is not None:
            for ty, tx, target in tiles:
                img = self.cache.get(
                    ("proposal", level, ty, tx),
                    lambda ty=ty, tx=tx: f.proposal_tile(level, ty, tx),
                )
                p.drawImage(target, img)
        damage = [(layer_name(k), True) for k in self.damage_visible]
        for layer, shown in (
            *damage,
            ("protect", self.show_protect),
            ("mask", self.tools.show_mask),
        ):
            if not (overlays and shown):
                continue
            for ty, tx, target in tiles:
                img = self.cache.get(
                    (layer, level, ty, tx),
                    lambda ty=ty, tx=tx, k=layer: f.overlay_tile(k, level, ty, tx),
                )
                p.drawImage(target, img)

    def _draw_decorations(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.mode == ViewMode.SPLIT and not self.show_original:
            x = round(self.split * self.width())
            p.setPen(QPen(QColor(255, 255, 255, 220), 2))
            p.drawLine(x, 0, x, self.height())
            p.setBrush(QColor(255, 255, 255, 220))
            p.drawEllipse(QPointF(x, self.height() / 2), 7, 7)
            self._label(p, QPointF(8, 8), "Before")
            self._label(p, QPointF(x + 8, 8), "After")
        elif self.mode == ViewMode.SIDE and not self.show_original:
            x = self.width() // 2
            p.setPen(QPen(QColor(20, 20, 20), 2))
            p.drawLine(x, 0, x, self.height())
            self._label(p, QPointF(8, 8), "Before")
            self._label(p, QPointF(x + 8, 8), "After")
        elif self.mode == ViewMode.DIFF:
            self._label(p, QPointF(8, 8), "Changed pixels")
        if self.show_original:
            self._label(p, QPointF(8, 8), "Original")
        if (
            self._drag in ("heal", "paint", "erase")
            and self.tools.tool == Tool.HEAL
            and len(self._points) > 0
        ):
            path = QPainterPath(self.to_widget(self._points[0]))
            for q in self._points[1:]:
                path.lineTo(self.to_widget(q))
            pen = QPen(
                QColor(80, 200, 255, 150), max(1.0, self.tools.brush_size * self.scale)
            )
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.strokePath(path, pen)
        if (
            self._drag == "rect"
            and self._rect_start is not None
            and self._cursor is not None
        ):
            p.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(self.to_widget(self._rect_start), self._cursor))
        if self._drag == "lasso" and len(self._points) > 1:
            p.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            p.drawPolyline(QPolygonF([self.to_widget(q) for q in self._points]))
        if (
            self._cursor is not None
            and self.tools.tool in (Tool.BRUSH, Tool.ERASER, Tool.HEAL)
            and not self._space
        ):
            r = self.tools.brush_size / 2 * self.scale
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(0, 0, 0, 160), 3))
            p.drawEllipse(self._cursor, r, r)
            p.setPen(QPen(QColor(255, 255, 255), 1))
            p.drawEllipse(self._cursor, r, r)

    def _label(self, p: QPainter, at: QPointF, text: str) -> None:
        fm = p.fontMetrics()
        rect = QRectF(at.x(), at.y(), fm.horizontalAdvance(text) + 12, fm.height() + 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(QColor(255, 255, 255))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
