"""Treatment records: a JSON file beside each derivative saying how it was made.

Conservators need to show what was done, when, by which software and model, on which
input; checksums tie the record to the exact bytes of the source, masks and output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import restore_app
from restore_app.core import dates
from restore_app.core.atomic import atomic_write_bytes, sha256_file
from restore_app.core.naming import RECORD_FORMAT

__all__ = ["RECORD_FORMAT", "record_path", "sha256_file", "write_record"]

#: 2 adds who and why (object, operator, purpose), the masks beside the output,
#: file sizes and the torch version; records of version 1 are still read.
RECORD_VERSION = 2

# Operation keys naming a file whose checksum belongs in the record.
_FILE_KEYS = ("mask", "protect")


def _software() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, Any] = {"name": "restore-app", "version": restore_app.__version__}
    for package in ("torch", "numpy", "opencv-contrib-python-headless", "pillow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def record_path(output_path: str | os.PathLike[str]) -> Path:
    """``<output file name>.json`` beside the output (``a.denoise.tif.json``)."""
    out = Path(output_path)
    return out.with_name(out.name + ".json")


def _jsonable(value: Any) -> Any:
    # Operation parameters come from many places (numpy scalars, paths, tuples).
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def _file_entry(
    path: str | os.PathLike[str] | None, sha256: str | None = None
) -> dict[str, Any]:
    """Path, SHA-256 and size of a file; ``sha256`` is the one taken when the
    file was read, where the caller has it (else it is computed now)."""
    if path is None:
        return {"path": None, "sha256": None}
    p = Path(path)
    if not p.is_file():
        return {"path": str(p.absolute()), "sha256": None}
    return {
        "path": str(p.absolute()),
        "sha256": sha256 or sha256_file(p),
        "size": p.stat().st_size,
    }


def _operation(op: Mapping[str, Any]) -> dict[str, Any]:
    entry = dict(op)
    for key in _FILE_KEYS:
        value = entry.get(key)
        sha_key = f"{key}_sha256"
        if isinstance(value, str | os.PathLike) and value and sha_key not in entry:
            file = _file_entry(value)
            entry[key] = file["path"]
            entry[sha_key] = file["sha256"]
    return entry


def write_record(
    output_path: str | os.PathLike[str],
    *,
    source_path: str | os.PathLike[str] | None,
    operations: list[dict],
    source_sha256: str | None = None,
    warnings: Iterable[str] = (),
    masks: Iterable[dict[str, Any]] = (),
    about: Mapping[str, Any] | None = None,
) -> Path:
    """Write the treatment record for ``output_path`` (which must exist) and return
    its path, ``<output file name>.json`` beside the output; written atomically.

    ``source_sha256`` is the source's as it was read (else it is computed from
    the file now). ``operations`` are recorded as given (restorer id, weights
    SHA-256, parameters, device...); an operation with a ``mask`` or
    ``protect`` file path and no ``mask_sha256`` / ``protect_sha256`` gets that
    checksum added. ``masks`` name
    the mask files written beside the output (name, path, SHA-256); ``about``
    says what and why: ``object_id``, ``operator``, ``purpose`` (None: not said),
    and how: ``engine`` (``local``, the default, or ``ray`` for a cluster batch).
    """
    out = Path(output_path)
    record = {
        "format": RECORD_FORMAT,
        "format_version": RECORD_VERSION,
        "software": _software(),
        "object_id": (about or {}).get("object_id"),
        "operator": (about or {}).get("operator"),
        "purpose": (about or {}).get("purpose"),
        "engine": (about or {}).get("engine") or "local",
        "time": dates.now(),
        "source": _file_entry(source_path, source_sha256),
        "operations": [_operation(op) for op in operations],
        "output": _file_entry(out),
        "masks": list(masks),
        "warnings": list(warnings),
    }
    text = json.dumps(record, indent=2, ensure_ascii=False, default=_jsonable)
    path = record_path(out)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"), overwrite=True)
    return path
