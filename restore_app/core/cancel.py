"""Long work's two callbacks, shared by the engine, the pipeline, the workers and
the CLI: cooperative cancellation, and progress."""

from __future__ import annotations

import threading
from collections.abc import Callable

from restore_app.core.errors import Cancelled

#: Progress of long work: ``(done, total)`` in the work's own units.
ProgressFn = Callable[[int, int], None]


class CancelToken:
    """Set from any thread; long loops call :meth:`check` between tiles.

    Setting the token directly (not through a queued signal) is what lets a
    running job see it at its next check.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the token was set."""
        if self._event.is_set():
            raise Cancelled("cancelled")
