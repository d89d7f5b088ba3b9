"""When Qt cannot open a window, the app says why in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from restore_app.ui.app import missing_library

REPO = Path(__file__).resolve().parents[2]


def test_the_loader_names_the_missing_library(tmp_path) -> None:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build a plugin with a missing dependency")
    (tmp_path / "dep.c").write_text("int restore_dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text(
        "int restore_dep(void);\nint plugin(void) { return restore_dep(); }\n"
    )
    dep = tmp_path / "libnothere.so.7"
    subprocess.run(
        [cc, "-shared", "-fPIC", "-Wl,-soname,libnothere.so.7", "-o", dep,
         tmp_path / "dep.c"],
        check=True,
    )  # fmt: skip
    plugin = tmp_path / "libqfake.so"
    subprocess.run(
        [cc, "-shared", "-fPIC", "-o", plugin, tmp_path / "plugin.c", dep],
        check=True,
    )
    dep.unlink()  # as on a system without the package
    assert missing_library(str(plugin)) == "libnothere.so.7"


def test_no_display_is_one_line(tmp_path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "restore_app"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the check is for Linux desktops")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        "restore-app: error: the window cannot start: no display to open a "
        "window on (DISPLAY is not set)"
    ]
