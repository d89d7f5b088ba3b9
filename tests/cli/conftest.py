from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli


@pytest.fixture
def cli(tmp_path: Path):
    """``cli(*args)`` runs ``python -m restore_app *args`` in ``tmp_path``."""

    def run(*args: object, **kwargs):
        return run_cli(tmp_path, *args, **kwargs)

    return run
