"""Start the desktop application: ``restore-app`` and ``restore-app open PATH...``.

Importing this module loads Qt but never torch: the window must be on screen
first, and the inference worker loads torch on its own thread afterwards.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

import restore_app

ORGANIZATION = "restore-app"
APPLICATION = "restore-app"
DESKTOP_ID = "io.github.restore_app.Restore"


def application() -> QApplication:
    """The running QApplication, created with the app's names if there is none."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Restore")
    app.setApplicationVersion(restore_app.__version__)
    # The .desktop file's basename: lets the desktop match windows to its entry.
    app.setDesktopFileName(DESKTOP_ID)
    return app


def create_window(paths: list[str], settings: QSettings | None = None):
    """A shown main window that opens ``paths`` once the event loop runs."""
    from restore_app.ui.main_window import MainWindow

    window = MainWindow(settings)
    window.show()
    if paths:
        QTimer.singleShot(0, lambda: window.open_paths(list(paths)))
    return window


def run_app(paths: list[str]) -> int:
    """Run the desktop application on ``paths`` (files or a folder); the exit code."""
    app = application()
    from restore_app.ui.main_window import app_icon

    app.setWindowIcon(app_icon())
    window = create_window(paths)
    code = app.exec()
    del window
    return int(code)
