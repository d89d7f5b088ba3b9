"""OpenCV, imported once with its image-size guard lifted.

OpenCV refuses to decode images above about one gigapixel by default; the app checks
declared sizes itself (``RESTORE_MAX_PIXELS``) before decoding, so OpenCV's own limit
would only get in the way of a user who raised ours. The variable must be set before
the first import of cv2 to take effect.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(1 << 40))

import cv2  # noqa: E402

# Decoder complaints reach the user as our own one-line errors; OpenCV's log lines
# on stderr would only add noise to the command line.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

__all__ = ["cv2"]
