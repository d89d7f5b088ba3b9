"""Append-only logs cut into numbered segment files (``NAME.N.EXT``).

The edit journal and the undo history both append records that must reach the
system before the call returns, and both delete whole old segments rather than
rewrite one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def numbered(folder: Path, name: str, ext: str) -> list[tuple[int, Path]]:
    """The segments ``NAME.N.EXT`` of ``folder``, oldest (lowest N) first."""
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(name)}\.(\d+)\.{re.escape(ext)}$")
    found = []
    for p in folder.iterdir():
        m = pattern.match(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` in one write that reaches the system before
    this returns (a process killed right after loses nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
