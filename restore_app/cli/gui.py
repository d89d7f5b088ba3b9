"""Start the desktop application (``restore-app`` and ``restore-app open``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restore_app.cli.common import EXIT_FAILED, PROG
from restore_app.core.errors import ImageReadError


def run(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise ImageReadError(f"no such file or folder: {missing[0]}")
    try:
        # The one place the command line reaches the window (allowed explicitly in
        # pyproject's import contracts); Qt loads only here, never for the
        # headless commands.
        from restore_app.ui.app import run_app
    except ImportError as exc:
        if args.debug:
            raise
        print(
            f"{PROG}: error: the desktop application cannot start: {exc}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return int(run_app([str(p) for p in args.paths]))
