"""Test-wide environment: no real screen, no real user folders.

Both are set at import time, before any test module can load Qt or ask
platformdirs for a folder, and child processes (CLI tests) inherit them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

_USER_ROOT = Path(tempfile.mkdtemp(prefix="restore-tests-home-"))
for _var, _name in (
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CACHE_HOME", "cache"),
    ("XDG_STATE_HOME", "state"),
):
    (_USER_ROOT / _name).mkdir()
    os.environ[_var] = str(_USER_ROOT / _name)


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_USER_ROOT, ignore_errors=True)
