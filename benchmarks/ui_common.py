"""Shared set-up of the window benchmarks: an offscreen window, in-memory images."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_window():
    from PySide6.QtCore import QSettings

    from restore_app.ui.app import application
    from restore_app.ui.main_window import MainWindow

    app = application()
    ini = Path(tempfile.mkdtemp(prefix="restore-bench-")) / "settings.ini"
    w = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    w.ask_on_close = False
    w.resize(1600, 1000)
    w.show()
    # torch loads on the worker thread after show; its import holds the GIL for a
    # moment, so measurements start once it is done, as in a session under way.
    import time

    end = time.monotonic() + 120
    while w.service.device is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    return app, w


def show_array(w, pixels: np.ndarray, name: str = "bench.tif"):
    """Show (H, W, C) pixels in the window as a document (no file involved)."""
    from restore_app.app.document import Document
    from restore_app.core.image import ImageDoc, ImageMeta

    doc = Document(Path(name), ImageDoc(pixels=pixels, alpha=None, meta=ImageMeta()))
    w.show_document(doc)
    return doc


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))
