"""Which version of a file was read: its size, modification time and SHA-256.

A scan can be replaced on disk (a rescan, a sync) while its work is open. The
identity taken when it was read says what the pixels in memory came from: a
record names that SHA-256, and work is never saved or exported against a file
that no longer matches it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from restore_app.core.atomic import sha256_file
from restore_app.core.errors import RestoreError


class SourceChangedError(RestoreError):
    """The file changed on disk since it was read."""


@dataclass(frozen=True)
class FileIdentity:
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileIdentity:
        """The identity of ``path`` now. The SHA-256 is taken between two looks
        at its size and time, so a file written meanwhile is not mistaken."""
        for _ in range(3):
            before = os.stat(path)
            digest = sha256_file(path)
            after = os.stat(path)
            if _stamp(before) == _stamp(after):
                return cls(after.st_size, after.st_mtime_ns, digest)
        raise SourceChangedError(f"{path}: the file keeps changing while it is read")

    @property
    def stamp(self) -> tuple[int, int]:
        """(size, modification time in ns), as the sidecar keeps them."""
        return self.size, self.mtime_ns

    def matches(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is still this version (by size and time: cheap)."""
        try:
            return _stamp(os.stat(path)) == self.stamp
        except OSError:
            return False

    def check(self, path: str | os.PathLike[str]) -> None:
        """Raise SourceChangedError, in one line, if ``path`` is not this version."""
        if not self.matches(path):
            raise SourceChangedError(
                f"{Path(path).name} changed on disk since it was opened: "
                "reload it to work on the new file"
            )


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns
