"""The ``restore-app`` command: the desktop app's launcher and its headless tools.

Only argparse is imported here. numpy, torch and Qt load inside the command
that needs them, so ``restore-app --help`` answers at once and the headless
commands never load Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from restore_app.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    UsageError,
)
from restore_app.cli.parser import build_parser


def _load_handler(spec: str):
    import importlib

    module_name, _, func = spec.partition(":")
    return getattr(importlib.import_module(module_name), func)


@contextlib.contextmanager
def quiet_libraries(debug: bool) -> Iterator[None]:
    """Keep what libraries print off the person's terminal, unless ``--debug``.

    The contract is one line per failure: Python warnings and library log
    records are dropped, and what C libraries write to the stderr file
    descriptor (libpng, libtiff) goes to a discarded file, while our own lines
    and progress bars still reach the terminal through a copy of it.
    """
    import logging
    import tempfile
    import warnings

    if debug:
        yield
        return
    root = logging.getLogger()
    null = logging.NullHandler()
    root.addHandler(null)  # no "last resort" printing of library warnings
    previous_level = logging.root.manager.disable
    logging.disable(logging.WARNING)
    saved_stderr = sys.stderr
    try:
        own_fd = saved_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        own_fd = False  # stderr is already captured (a test, an IDE)
    real_fd = os.dup(2)
    try:
        with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved_stderr.flush()
            os.dup2(sink.fileno(), 2)
            if own_fd:
                sys.stderr = os.fdopen(
                    os.dup(real_fd), "w", buffering=1, errors="replace"
                )
            try:
                yield
            finally:
                if sys.stderr is not saved_stderr:
                    with contextlib.suppress(Exception):
                        sys.stderr.close()
                    sys.stderr = saved_stderr
                os.dup2(real_fd, 2)
    finally:
        os.close(real_fd)
        logging.disable(previous_level)
        root.removeHandler(null)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit status (0 ok, 1 failed, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "memory_budget", None):
        # Read by the image reader, in this process and the window alike.
        os.environ["RESTORE_MEMORY_BUDGET"] = args.memory_budget
        os.environ["RESTORE_MEMORY_BUDGET_FROM"] = "command line"
    # The window shows its own messages; the headless commands print one line.
    quiet = quiet_libraries(
        args.debug or args.handler.startswith("restore_app.cli.gui")
    )
    try:
        with quiet:
            return _run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        return int(_load_handler(args.handler)(args))
    except UsageError as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED


def describe_error(exc: BaseException) -> str:
    """One line for a person: our errors say it all; others get their type."""
    from restore_app.core.errors import RestoreError

    text = " ".join(str(exc).split())
    if isinstance(exc, RestoreError) and text:
        return text
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    name = type(exc).__name__
    return f"{name}: {text} (run with --debug for details)" if text else name


if __name__ == "__main__":
    sys.exit(main())
