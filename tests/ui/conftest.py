from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


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


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        write_scan(folder / f"scan_{i}.png", seed=i)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from restore_app.ui.main_window import MainWindow

    w = MainWindow(settings)
    w.ask_on_close = False
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def open_and_wait(qtbot, window, paths, index: int = 0):
    window.open_paths([str(p) for p in paths])
    if index:
        window.show_index(index)
    want = window.session.paths[index]
    qtbot.waitUntil(
        lambda: window.doc is not None and window.doc.path == want, timeout=10000
    )
    return window.doc
