"""What every ``restore-app`` command shares: its name, exit statuses, the
usage error, and the task options read from a command line."""

from __future__ import annotations

import argparse

from restore_app.core.tasks import RESTORE_TASKS

PROG = "restore-app"
TASKS = tuple(t.value for t in RESTORE_TASKS)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command line that names things in a way no command can honour."""


def options_of(task: str, args: argparse.Namespace) -> dict[str, bool] | None:
    """The task's own options from the command line (None: it has none)."""
    from restore_app.core.tasks import task_options

    keep_tone = bool(getattr(args, "keep_tone", False))
    if keep_tone and task != "color":
        raise UsageError("--keep-tone is an option of color only")
    no_rim = bool(getattr(args, "no_rim", False))
    if no_rim and task != "inpaint":
        raise UsageError("--no-rim is an option of inpaint only")
    return task_options(task, keep_tone=keep_tone, cover_rim=not no_rim)
