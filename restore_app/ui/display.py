"""Screen versions of image data: 8-bit, colour-managed, tiled and pyramided.

Display is a view: the document keeps its bit depth. Each display tile is
``DTILE`` screen-level pixels square at pyramid level L (1 level pixel =
2**L image pixels), made on first use from only the image region it covers,
and cached until that region changes. A repaint therefore never converts or
scales more than the tiles in view, and never the full-resolution image.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtGui import QColor, QColorSpace, QImage

from restore_app.app.tool_state import DEFAULT_OVERLAY_OPACITY, DEFAULT_OVERLAY_RGB
from restore_app.core.damage import PROTECT_RGB, colour_labels, kind, layer_kind

DTILE = 256

#: reads a box (x0, y0, x1, y1) of an image: (h, w, C) array in its own dtype
RegionReader = Callable[[int, int, int, int], np.ndarray]


def to_display8(region: np.ndarray) -> np.ndarray:
    """(h, w, C) uint8|uint16|float32 [0, 1] image data -> (h, w, C) uint8 to show."""
    if region.dtype == np.uint8:
        return region
    if region.dtype == np.uint16:
        # 257 maps 65535 to 255 exactly; convertScaleAbs rounds and saturates.
        out = cv2.convertScaleAbs(region, alpha=1.0 / 257.0)
    else:
        out = cv2.convertScaleAbs(np.nan_to_num(region), alpha=255.0)
    return out.reshape(region.shape)


def downscale(region: np.ndarray, factor: int) -> np.ndarray:
    """Area-average (h, w[, C]) ``region`` by an integer ``factor`` (cv2 dtypes).

    Past a factor of 4 the input is first strided down to 4× the output, so the
    cost of a deep level stays proportional to its own size, not the image's.
    """
    if factor <= 1:
        return region
    h, w = region.shape[:2]
    oh, ow = -(-h // factor), -(-w // factor)
    if factor > 4:
        step = factor // 4
        region = region[::step, ::step]
    src = region.view(np.uint8) if region.dtype == bool else region
    out = cv2.resize(src, (ow, oh), interpolation=cv2.INTER_AREA)
    if region.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def _block_max(a: np.ndarray, step: int) -> np.ndarray:
    """The largest value in each ``step``² block (edges padded with 0)."""
    h, w = a.shape
    padded = np.pad(a, ((0, (-h) % step), (0, (-w) % step)))
    blocks = padded.reshape(
        padded.shape[0] // step, step, padded.shape[1] // step, step
    )
    return blocks.max(axis=(1, 3))


def _qimage(arr: np.ndarray) -> QImage:
    """Wrap (h, w, 1|3|4) uint8 display data in a QImage that owns a copy."""
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    c = arr.shape[2] if arr.ndim == 3 else 1
    fmt = {
        1: QImage.Format.Format_Grayscale8,
        3: QImage.Format.Format_RGB888,
        4: QImage.Format.Format_RGBA8888,
    }[c]
    return QImage(arr.data, w, h, w * c, fmt).copy()


def color_space_for(icc: bytes | None) -> QColorSpace | None:
    """The profile's colour space when it needs converting for the screen (sRGB)."""
    if not icc:
        return None
    cs = QColorSpace.fromIccProfile(icc)
    if not cs.isValid() or cs == QColorSpace(QColorSpace.NamedColorSpace.SRgb):
        return None
    return cs


#: Overlay colour of the "original — do not repair" layer.
PROTECT_COLOR = QColor(*PROTECT_RGB)


class TileCache:
    """LRU of display tiles (QImage) keyed by (kind, level, ty, tx)."""

    def __init__(self, limit: int = 768) -> None:
        self._tiles: OrderedDict[tuple, QImage] = OrderedDict()
        self.limit = limit

    def get(self, key: tuple, make: Callable[[], QImage]) -> QImage:
        img = self._tiles.get(key)
        if img is None:
            img = make()
            self._tiles[key] = img
            if len(self._tiles) > self.limit:
                self._tiles.popitem(last=False)
        else:
            self._tiles.move_to_end(key)
        return img

    def invalidate(
        self, kinds: tuple[str, ...], box: tuple[int, int, int, int]
    ) -> None:
        """Drop the tiles of ``kinds`` that show any of image box (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = box
        for key in [k for k in self._tiles if k[0] in kinds]:
            _, level, ty, tx = key[:4]
            span = DTILE << level
            if (
                tx * span < x1
                and (tx + 1) * span > x0
                and ty * span < y1
                and (ty + 1) * span > y0
            ):
                del self._tiles[key]

    def clear(self) -> None:
        self._tiles.clear()


class TileFactory:
    """Makes the display tiles of one document: image, original, mask, difference."""

    def __init__(
        self,
        width: int,
        height: int,
        current: RegionReader,
        original: RegionReader,
        mask: Callable[[int, int, int, int], np.ndarray],
        repaired: Callable[[int, int, int, int], np.ndarray],
        alpha: np.ndarray | None = None,
        icc: bytes | None = None,
        proposal: Callable[[int, int, int, int], np.ndarray] | None = None,
        protect: Callable[[int, int, int, int], np.ndarray] | None = None,
        damage: Callable[[str], np.ndarray | None] | None = None,
        doubtful: Callable[[int, int, int, int], np.ndarray] | None = None,
    ) -> None:
        self.width, self.height = width, height
        self._doubtful = doubtful
        self._readers = {"image": current, "original": original}
        self._mask = mask
        self._repaired = repaired
        self._proposal = proposal
        self._protect = protect
        self._damage = damage  # kind id -> its layer (None when not marked)
        self._alpha = alpha
        self._cs = color_space_for(icc)
        self._srgb = QColorSpace(QColorSpace.NamedColorSpace.SRgb)
        self.overlay_color = QColor(*DEFAULT_OVERLAY_RGB)
        self.overlay_opacity = DEFAULT_OVERLAY_OPACITY
        self.repaired_color = QColor(40, 200, 120)
        self.protect_color = PROTECT_COLOR

    def box(self, level: int, ty: int, tx: int) -> tuple[int, int, int, int]:
        span = DTILE << level
        x0, y0 = tx * span, ty * span
        return x0, y0, min(self.width, x0 + span), min(self.height, y0 + span)

    def _pixels8(self, kind: str, level: int, ty: int, tx: int) -> np.ndarray:
        x0, y0, x1, y1 = self.box(level, ty, tx)
        region = downscale(self._readers[kind](x0, y0, x1, y1), 1 << level)
        out = to_display8(region)
        if self._alpha is not None and out.shape[2] in (1, 3):
            a = to_display8(downscale(self._alpha[y0:y1, x0:x1, None], 1 << level))
            rgb = np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out
            out = np.concatenate([rgb, a.reshape(*a.shape[:2], 1)], axis=2)
        return out

    def display_image(self, pixels8: np.ndarray) -> QImage:
        """(h, w, 1|3|4) uint8 display data as a QImage in the screen's colours."""
        return self._managed(_qimage(pixels8))

    def _managed(self, img: QImage) -> QImage:
        if self._cs is None or img.format() == QImage.Format.Format_Grayscale8:
            return img
        img.setColorSpace(self._cs)
        return img.convertedToColorSpace(self._srgb)

    def image_tile(self, kind: str, level: int, ty: int, tx: int) -> QImage:
        return self._managed(_qimage(self._pixels8(kind, level, ty, tx)))

    def _coverage(self, read, level: int, ty: int, tx: int) -> np.ndarray:
        x0, y0, x1, y1 = self.box(level, ty, tx)
        m = read(x0, y0, x1, y1).view(np.uint8) * np.uint8(255)
        return downscale(m, 1 << level)

    def overlay_tile(self, which: str, level: int, ty: int, tx: int) -> QImage:
        """RGBA tile of the mask ("mask"), the repaired record ("repaired"), the
        original that must not be repaired ("protect") or a damage-map layer
        ("damage:KIND", in the kind's colour)."""
        damage_kind = layer_kind(which)
        if damage_kind is not None:
            k = kind(damage_kind)
            layer = self._damage(k.id) if self._damage else None
            read = (
                (lambda x0, y0, x1, y1: layer[y0:y1, x0:x1])
                if layer is not None
                else (lambda x0, y0, x1, y1: np.zeros((y1 - y0, x1 - x0), bool))
            )
            color, opacity = QColor(*k.colour), 0.55
        else:
            read, color, opacity = {
                "mask": (self._mask, self.overlay_color, self.overlay_opacity),
                "repaired": (self._repaired, self.repaired_color, 0.35),
                "protect": (self._protect, self.protect_color, 0.45),
            }[which]
        cov = self._coverage(read, level, ty, tx).astype(np.float32) / 255.0
        out = np.empty((*cov.shape[:2], 4), dtype=np.uint8)
        out[..., 0], out[..., 1], out[..., 2] = color.red(), color.green(), color.blue()
        # Thin strokes stay visible when zoomed out: coverage is doubled, capped.
        out[..., 3] = (np.minimum(cov * 2.0, 1.0) * opacity * 255).astype(np.uint8)
        return _qimage(out)

    def proposal_tile(self, level: int, ty: int, tx: int) -> QImage:
        """RGBA tile of a damage proposal under review, each kind in its colour."""
        x0, y0, x1, y1 = self.box(level, ty, tx)
        if self._proposal is None:
            labels = np.zeros((y1 - y0, x1 - x0), np.uint8)
        else:
            labels = self._proposal(x0, y0, x1, y1)
        doubtful = (
            self._doubtful(x0, y0, x1, y1).view(np.uint8)
            if self._doubtful is not None
            else np.zeros(labels.shape, np.uint8)
        )
        step = 1 << level
        if step > 1:
            # Zoomed out, a level pixel shows a kind found anywhere under it, so
            # thin scratches stay visible.
            labels, doubtful = (_block_max(a, step) for a in (labels, doubtful))
        rgb = colour_labels(labels)
        out = np.empty((*labels.shape, 4), dtype=np.uint8)
        out[..., :3] = rgb
        out[..., 3] = np.where(labels > 0, 200, 0).astype(np.uint8)
        # Doubtful regions (left for the person to decide) are hatched: every
        # other diagonal stripe strong, the rest faint.
        yy, xx = np.indices(labels.shape)
        stripe = ((xx + yy + x0 // step + y0 // step) // 2) % 2 == 0
        hatch = (labels > 0) & (doubtful > 0)
        out[..., 3][hatch] = np.where(stripe[hatch], 220, 50)
        return _qimage(out)

    def difference_tile(self, level: int, ty: int, tx: int) -> QImage:
        """Dimmed gray image with every changed pixel in bright magenta.

        A pixel counts as changed when any channel differs at all; when zoomed
        out a level pixel is marked if any pixel under it changed.
        """
        x0, y0, x1, y1 = self.box(level, ty, tx)
        cur = self._readers["image"](x0, y0, x1, y1)
        orig = self._readers["original"](x0, y0, x1, y1)
        changed = (cur != orig).any(axis=2).view(np.uint8) * np.uint8(255)
        changed = downscale(changed, 1 << level) > 0
        base = to_display8(downscale(cur, 1 << level))
        gray = (
            base.mean(axis=2) if base.shape[2] == 3 else base[..., 0].astype(np.float32)
        )
        dim = (gray * 0.35).astype(np.uint8)
        out = np.repeat(dim[..., None], 3, axis=2)
        out[changed] = (255, 0, 200)
        return _qimage(out)
