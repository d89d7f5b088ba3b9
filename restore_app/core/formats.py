"""The image file types Restore reads and writes, by extension.

Plain data, so that listing a folder imports no codec.
"""

from __future__ import annotations

READ_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"}
)
WRITE_EXTENSIONS = frozenset({".png", ".tif", ".tiff", ".jpg", ".jpeg", ".webp"})
