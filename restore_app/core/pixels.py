"""Pixel arrays and their contract, named once.

An image's pixels are ``Pixels``: (H, W, C) with C 1 (gray) or 3 (RGB),
uint8, uint16 or float32 in [0, 1], upright, alpha kept apart. The models
work on ``FloatPixels``: the same shape, float32 in [0, 1]. Masks are
``Mask``: bool (H, W), True where the layer holds. A region is a ``Box``:
(x0, y0, x1, y1) in pixels, x1 and y1 exclusive.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

import numpy as np

#: (H, W, C), C in (1, 3): uint8, uint16 or float32 in [0, 1]
Pixels: TypeAlias = np.ndarray
#: (H, W, C) float32 in [0, 1]
FloatPixels: TypeAlias = np.ndarray
#: bool (H, W)
Mask: TypeAlias = np.ndarray


def to_float(pixels: Pixels) -> FloatPixels:
    """Native pixels (uint8, uint16 or float) to float32 in [0, 1], same shape."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / 65535.0
    return np.clip(pixels.astype(np.float32), 0.0, 1.0)


def from_float(values: FloatPixels, dtype: np.dtype) -> Pixels:
    """float32 [0, 1] back to ``dtype``, rounded: the inverse of :func:`to_float`."""
    if dtype == np.uint8:
        return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.clip(np.rint(values * 65535.0), 0, 65535).astype(np.uint16)
    return values.astype(dtype)


class Box(NamedTuple):
    """Half-open pixel box ``[x0, x1) × [y0, y1)``: a plain (x0, y0, x1, y1)
    tuple wherever one is expected."""

    x0: int
    y0: int
    x1: int
    y1: int

    def expand(self, margin: int, width: int, height: int) -> Box:
        return Box(
            max(self.x0 - margin, 0),
            max(self.y0 - margin, 0),
            min(self.x1 + margin, width),
            min(self.y1 + margin, height),
        )

    def intersects(self, other: Box) -> bool:
        return (
            self.x0 < other.x1
            and other.x0 < self.x1
            and self.y0 < other.y1
            and other.y0 < self.y1
        )

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)
