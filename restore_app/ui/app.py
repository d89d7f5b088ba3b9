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


#: Debian/Ubuntu packages of the libraries Qt's X11 plugin most often lacks on
#: a minimal system (the library's name itself comes from the loader).
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def missing_library(plugin: str) -> str | None:
    """The shared library the loader cannot find for ``plugin`` (a Qt plugin
    file), as the loader names it; None when the plugin loads."""
    import ctypes
    import re

    try:
        ctypes.CDLL(plugin)
    except OSError as exc:
        found = re.match(r"\s*([^:\s]+\.so[.\d]*): cannot open shared object", str(exc))
        return found.group(1) if found else str(exc).splitlines()[0]
    return None


def platform_problem() -> str | None:
    """Why Qt could not open a window here, in one line (None: it can).

    Qt aborts the process with many lines when its platform plugin cannot load;
    on Linux the X11 plugin is loaded first, so the loader can say which
    library is missing before Qt tries.
    """
    import os

    if not sys.platform.startswith("linux"):
        return None
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    if wanted and not wanted.startswith("xcb"):
        return None
    if not wanted and os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return "no display to open a window on (DISPLAY is not set)"
    import PySide6

    plugin = os.path.join(
        os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms", "libqxcb.so"
    )
    if not os.path.exists(plugin):
        return None
    lib = missing_library(plugin)
    if lib is None:
        return None
    package = DEBIAN_PACKAGES.get(lib)
    hint = f" (on Debian or Ubuntu: apt install {package})" if package else ""
    return f"Qt's X11 plugin needs {lib}, which is not installed{hint}"


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
    problem = platform_problem()
    if problem is not None:
        print(
            f"restore-app: error: the window cannot start: {problem}", file=sys.stderr
        )
        return 1
    app = application()
    from restore_app.ui.main_window import app_icon

    app.setWindowIcon(app_icon())
    window = create_window(paths)
    code = app.exec()
    del window
    return int(code)
