"""Predictable names for derivatives, and listing the images of a folder."""

from __future__ import annotations

import os
from pathlib import Path

from restore_app.core.errors import ImageReadError
from restore_app.core.formats import READ_EXTENSIONS, WRITE_EXTENSIONS

SIDECAR_DIRNAME = ".restore"


def derivative_path(
    source: str | os.PathLike[str],
    *,
    task: str,
    out_dir: str | os.PathLike[str] | None = None,
    ext: str | None = None,
) -> Path:
    """Name of a derivative: ``<stem>.<task><ext>`` in ``out_dir`` or beside ``source``.

    ``ext`` (with or without the dot) defaults to the source's extension; a source
    format the writer does not support (BMP, GIF) becomes ``.png``. The name never
    equals the source's, so a derivative cannot land on its master.
    """
    src = Path(source)
    task = task.strip().strip(".")
    if not task:
        raise ValueError("task must not be empty")
    if ext is None:
        ext = src.suffix if src.suffix.lower() in WRITE_EXTENSIONS else ".png"
    elif not ext.startswith("."):
        ext = "." + ext
    folder = Path(out_dir) if out_dir is not None else src.parent
    return folder / f"{src.stem}.{task}{ext}"


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


#: What a treatment record says it is (its ``format`` key).
RECORD_FORMAT = "restore-app treatment record"
#: Suffixes of what sits beside a derivative: its automatic mask and the
#: folder of the masks its record names.
_BESIDE = (".mask.png", ".masks")


def default_output_dir(folder: str | os.PathLike[str]) -> Path:
    """Where derivatives of a folder of scans go: a sibling of it, never among
    the scans (``scans`` → ``scans-restored``)."""
    folder = Path(folder)
    return folder.parent / f"{folder.name}-restored"


def is_derivative(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an output of Restore (a treatment record stands
    beside it, ``NAME.json``) or a file of one (its automatic mask)."""
    p = Path(path)
    for suffix in _BESIDE:
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            return is_derivative(p.with_name(p.name[: -len(suffix)]))
    record = p.with_name(p.name + ".json")
    try:
        with open(record, encoding="utf-8") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return f'"format": "{RECORD_FORMAT}"' in head


def list_images(
    folder: str | os.PathLike[str],
    *,
    recursive: bool = False,
    derivatives: bool = False,
) -> list[Path]:
    """Image files in ``folder`` by extension, sorted; hidden files and folders,
    the app's sidecar folders (``.restore``) and, unless ``derivatives``, the
    outputs of Restore (:func:`is_derivative`) are skipped: an export saved
    among the scans is not taken for a scan.

    Raises ImageReadError if ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ImageReadError(f"{root}: is not a folder")
    found: list[Path] = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            # Pruning in place keeps os.walk out of sidecar and hidden folders.
            dirnames[:] = [
                d for d in dirnames if d != SIDECAR_DIRNAME and not _is_hidden(d)
            ]
            base = Path(dirpath)
            found.extend(
                base / name
                for name in filenames
                if not _is_hidden(name) and Path(name).suffix.lower() in READ_EXTENSIONS
            )
    else:
        found = [
            entry
            for entry in root.iterdir()
            if not _is_hidden(entry.name)
            and entry.suffix.lower() in READ_EXTENSIONS
            and entry.is_file()
        ]
    return sorted(
        p for p in found if p.is_file() and (derivatives or not is_derivative(p))
    )


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file (by identity where both exist)."""
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()
