"""Atomic file output: a reader sees the old file or the new one, never half of one.

Every derivative, mask and record goes through here. The new content is written to a
hidden temporary file in the destination folder (same file system, so the final
``os.replace`` is an atomic rename), flushed to disk, then renamed over the target.
On any failure the temporary file is removed and the old file is left as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from restore_app.core.errors import ImageWriteError, OutputExistsError, RestoreError

_HASH_CHUNK = 1 << 20
_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """The mode a file created now gets under the process's umask (0o644 under
    022), as an editor's files do: temporary files start private (0o600), and a
    finished output must not stay so, or colleagues and ingest cannot read it."""
    with _UMASK_LOCK:  # reading the umask means setting it for a moment
        umask = os.umask(0o077)
        os.umask(umask)
    return 0o666 & ~umask


def publish(tmp: str | os.PathLike[str]) -> None:
    """Give a finished temporary file the mode a new file gets under the umask."""
    os.chmod(tmp, new_file_mode())


def blocking_file(folder: Path) -> Path | None:
    """The file standing where ``folder`` or one of its parents should be (so
    the folder can neither exist nor be made), or None."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _check_target(path: Path, *, overwrite: bool) -> None:
    if path.is_dir():
        raise ImageWriteError(f"{path}: is a folder, not a file")
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{path}: already exists (ask to overwrite to replace it)"
        )
    if not path.parent.is_dir():
        blocker = blocking_file(path.parent)
        if blocker is not None:
            raise ImageWriteError(f"{path}: {blocker} is a file, not a folder")
        raise ImageWriteError(f"{path}: the folder {path.parent} does not exist")


def _fsync_file(path: Path) -> None:
    # Without fsync a power cut after the rename can leave an empty file in place of
    # both the old and the new content on some file systems.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    Raises OutputExistsError if ``path`` exists and ``overwrite`` is false. The
    temporary name starts with a dot (hidden, skipped by folder listings) and keeps
    the target's extension, so encoders that look at the suffix choose the right
    format. If the body raises, the temporary file is removed and the exception
    propagates; the old file is untouched.
    """
    target = Path(path)
    _check_target(target, overwrite=overwrite)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.",
            suffix=f"{PART}{target.suffix}",
            dir=target.parent,
        )
    except OSError as exc:
        raise ImageWriteError(
            f"{target}: cannot create a file in {target.parent} ({exc.strerror or exc})"
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        publish(tmp)
        _fsync_file(tmp)
        # Re-check: another process may have created the target meanwhile.
        if not overwrite and target.exists():
            raise OutputExistsError(
                f"{target}: already exists (ask to overwrite to replace it)"
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True
) -> None:
    """Write ``data`` to ``path`` atomically; ImageWriteError on an OS failure."""
    target = Path(path)
    try:
        with atomic_output(target, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise ImageWriteError(
            f"{target}: could not be written ({exc.strerror or exc})"
        ) from exc


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (large scans use little memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: What a file being written is called: ``.STEM.XXXXXXXX.part.EXT`` beside it.
PART = ".part"
_PART_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.part(\.[^./]+)?$")


def is_partial(path: Path) -> bool:
    """Whether ``path`` is the temporary of a write that never finished."""
    return _PART_NAME.match(path.name) is not None


def remove_partials(folder: Path) -> int:
    """Remove what killed writes left in ``folder`` and below (only while no
    write can be under way there: hold :func:`folder_lock`). Returns how many."""
    removed = 0
    for leftover in folder.rglob(f".*{PART}*"):
        if leftover.is_file() and is_partial(leftover):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
    return removed


class FolderBusyError(RestoreError):
    """Another process holds the folder."""


@contextlib.contextmanager
def folder_lock(folder: Path, name: str, what: str = "folder") -> Iterator[None]:
    """Hold ``folder`` through the lock file ``name`` in it: an advisory lock the
    system releases when the process ends however it ends (``flock`` on POSIX,
    ``msvcrt.locking`` on Windows). FolderBusyError when another process holds
    it; ImageWriteError when the folder cannot be written."""
    path = folder / name
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ImageWriteError(
            f"cannot write into the {what} {folder}: {exc.strerror or exc}"
        ) from None
    try:
        try:
            _lock(fd)
        except OSError:
            raise FolderBusyError(f"another process holds {folder}") from None
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()


def _lock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
