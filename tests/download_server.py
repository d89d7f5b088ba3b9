"""A folder served over HTTP on 127.0.0.1 for the model-download tests.

Shared by the model and CLI tests: downloads are never tested against the
internet, only against this server, which stops itself after two minutes even
if a test hangs.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve_folder(root: Path) -> Iterator[str]:
    """Serve ``root``; yields the base URL (http://127.0.0.1:PORT)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    timer = threading.Timer(120, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)


def publish(monkeypatch, path: Path, sha256: str) -> None:
    """Put ``path`` in the download table as 'tiny' (test data, not a mock)."""
    from restore_app.models import downloads

    entry = downloads.KnownModel(
        file=path.name,
        url="http://127.0.0.1:9/never-used",
        sha256=sha256,
        size=path.stat().st_size,
        task="denoise",
        name="Tiny NAFNet",
        license="test",
    )
    monkeypatch.setitem(downloads.KNOWN_MODELS, "tiny", entry)
