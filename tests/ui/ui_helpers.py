"""Helpers shared by the window tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_scan(
    path: Path, size=(240, 320), seed: int = 0, depth: int = 8
) -> np.ndarray:
    """A smooth RGB test scan with some texture, written losslessly; returns RGB."""
    h, w = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack(
        [xx / w, yy / h, 0.5 + 0.3 * np.sin(xx / 17.0 + seed) * np.cos(yy / 23.0)],
        axis=2,
    )
    base += rng.normal(0, 0.02, base.shape)
    base = np.clip(base, 0, 1)
    if depth == 16:
        rgb = (base * 65535).round().astype(np.uint16)
    else:
        rgb = (base * 255).round().astype(np.uint8)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return rgb


def open_and_wait(qtbot, window, paths, index: int = 0):
    window.open_paths([str(p) for p in paths])
    if index:
        window.show_index(index)
    want = window.session.paths[index]
    qtbot.waitUntil(
        lambda: window.doc is not None and window.doc.path == want, timeout=10000
    )
    return window.doc


def new_window(qtbot, settings):
    """Another main window on the same settings, as after a restart."""
    from restore_app.ui.main_window import MainWindow

    w = MainWindow(settings)
    w.ask_on_close = False
    qtbot.addWidget(w)
    w.show()
    return w


def child_window(folder: str):
    """The app and a window on ``folder``, for a child process a test kills."""
    import os

    from PySide6.QtCore import QSettings

    from restore_app.ui.app import application
    from restore_app.ui.main_window import MainWindow

    app = application()
    w = MainWindow(
        QSettings(os.environ["RESTORE_SETTINGS"], QSettings.Format.IniFormat)
    )
    w.resize(900, 600)
    w.show()
    w.open_paths([folder])
    return app, w
