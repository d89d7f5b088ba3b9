"""A folder served over HTTP on 127.0.0.1 for the model-download tests.

Shared by the model and CLI tests: downloads are never tested against the
internet, only against this server, which stops itself after two minutes even
if a test hangs.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Files with an ETag (from their bytes) and HTTP range requests honoured
    while ``If-Range`` names that ETag, as a release server answers; a
    response may be cut off after the bytes in ``server.cut_after``."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        asked = self.headers.get("Range", "")
        start = 0
        if asked.startswith("bytes=") and self.headers.get("If-Range") in (None, etag):
            start = min(int(asked[6:].split("-")[0]), len(data))
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
            )
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.requests.append((start, self.headers.get("If-Range")))
        cut = self.server.cut_after.pop(0) if self.server.cut_after else None
        sent = body if cut is None else body[:cut]
        hold = self.server.hold
        if hold is not None and len(sent) > 16384:
            self.wfile.write(sent[:16384])
            self.wfile.flush()
            hold.wait(20)  # the rest comes when the test lets it
            sent = sent[16384:]
        self.wfile.write(sent)
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


@contextmanager
def serve_folder(
    root: Path,
    cut_after: list[int] | None = None,
    requests: list | None = None,
    hold: threading.Event | None = None,
) -> Iterator[str]:
    """Serve ``root``; yields the base URL (http://127.0.0.1:PORT). The n-th
    response is cut off after ``cut_after[n]`` bytes of its body (the
    connection dropped); ``requests`` hears (first byte asked, If-Range) of
    each; with ``hold``, a body stops after its first 16 KiB until the event
    is set (a line that stalls)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.cut_after = list(cut_after or [])
    server.requests = requests if requests is not None else []
    server.hold = hold
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
