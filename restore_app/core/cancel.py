"""Cooperative cancellation shared by the engine, the workers and the CLI."""

from __future__ import annotations

import threading

from restore_app.core.errors import Cancelled


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
