"""Handing work to the thread that owns the model, without Qt.

The model's objects are changed on one thread (the window's). Background work
(reading a scan, writing a sidecar, a timer) gives its result back through a
``Post``: a callable that runs a function on that thread later. The window
passes one built on its event loop; tests pass a :class:`QueuePost` and drain
it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

#: Runs the function it is given on the model's thread, later.
Post = Callable[[Callable[[], None]], None]


class QueuePost:
    """A ``Post`` whose functions wait until :meth:`drain` runs them."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def drain(self, timeout: float = 0.0) -> int:
        """Run what was posted (waiting up to ``timeout`` s for the first);
        returns how many ran."""
        n = 0
        try:
            fn = (
                self._queue.get(timeout=timeout)
                if timeout
                else self._queue.get_nowait()
            )
            while True:
                fn()
                n += 1
                fn = self._queue.get_nowait()
        except queue.Empty:
            return n


class Debounce:
    """Calls ``fn`` (through ``post``) once, ``delay`` seconds after the last
    :meth:`start`: a burst of edits is saved once, when it ends."""

    def __init__(self, fn: Callable[[], None], post: Post, delay: float) -> None:
        self._fn = fn
        self._post = post
        self.delay = delay
        self._lock = threading.Lock()
        self._deadline: float | None = None
        self._timer: threading.Timer | None = None

    @property
    def pending(self) -> bool:
        return self._deadline is not None

    def start(self, delay: float | None = None) -> None:
        """(Re)start the wait: ``fn`` runs ``delay`` (default: the debounce's)
        seconds from now unless started again or stopped first."""
        with self._lock:
            self._deadline = time.monotonic() + (self.delay if delay is None else delay)
            if self._timer is None:
                self._arm(self._deadline - time.monotonic())

    def stop(self) -> None:
        with self._lock:
            self._deadline = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(max(seconds, 0.0), self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._deadline is None:
                return
            left = self._deadline - time.monotonic()
            if left > 0:
                self._arm(left)  # started again meanwhile: wait for the rest
                return
        self._post(self._fire)

    def _fire(self) -> None:
        with self._lock:
            if self._deadline is None or self._deadline > time.monotonic():
                return  # stopped, or started again, since the post
            self._deadline = None
        self._fn()
