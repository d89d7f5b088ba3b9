"""Treatment records: a JSON file beside each derivative saying how it was made.

Conservators need to show what was done, when, by which software and model, on which
input; checksums tie the record to the exact bytes of the source, masks and output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restore_app
from restore_app.core import dates
from restore_app.core.atomic import atomic_write_bytes, sha256_file
from restore_app.core.errors import RestoreError
from restore_app.core.naming import RECORD_FORMAT

__all__ = [
    "RECORD_FORMAT",
    "FileEntry",
    "MaskEntry",
    "RecordError",
    "TreatmentRecord",
    "read_record",
    "record_path",
    "sha256_file",
    "write_record",
]

#: 2 adds who and why (object, operator, purpose), the masks beside the output,
#: file sizes and the torch version; records of version 1 are still read.
RECORD_VERSION = 2


class RecordError(RestoreError):
    """A treatment record that cannot be read or used."""


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


@dataclass(frozen=True)
class FileEntry:
    """A file a record names: where it was, its SHA-256 and size (None where
    it was not there)."""

    path: str | None
    sha256: str | None
    size: int | None = None

    @classmethod
    def of(
        cls, path: str | os.PathLike[str] | None, sha256: str | None = None
    ) -> FileEntry:
        """The file at ``path`` now; ``sha256`` is the one taken when the file
        was read, where the caller has it (else it is computed now)."""
        if path is None:
            return cls(None, None)
        p = Path(path)
        if not p.is_file():
            return cls(str(p.absolute()), None)
        return cls(str(p.absolute()), sha256 or sha256_file(p), p.stat().st_size)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256}
        if self.size is not None:
            out["size"] = self.size
        return out

    @classmethod
    def from_dict(cls, data: Any) -> FileEntry:
        if not isinstance(data, dict):
            return cls(None, None)
        size = data.get("size")
        return cls(data.get("path"), data.get("sha256"), int(size) if size else None)


@dataclass(frozen=True)
class MaskEntry:
    """A mask written beside the output: its name (``01-inpaint``,
    ``protect``, ``damage-crack``), path and SHA-256."""

    name: str
    path: str
    sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "sha256": self.sha256}


@dataclass
class TreatmentRecord:
    """How a derivative was made: built here, written as JSON beside it
    (:meth:`to_dict`), read back by :func:`read_record` only.

    ``operations`` are the steps in order, as the restorers and detectors
    recorded them (restorer id, weights SHA-256, parameters, device, masks).
    """

    source: FileEntry
    output: FileEntry
    operations: list[dict[str, Any]]
    masks: list[MaskEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    object_id: str | None = None
    operator: str | None = None
    purpose: str | None = None
    #: how it ran: "local", or "ray" for a cluster batch
    engine: str = "local"
    time: str = ""
    software: dict[str, Any] = field(default_factory=dict)
    format_version: int = RECORD_VERSION

    def about(self) -> dict[str, str | None]:
        """What the person stated: object, operator, purpose."""
        return {
            "object_id": self.object_id,
            "operator": self.operator,
            "purpose": self.purpose,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "format_version": self.format_version,
            "software": self.software,
            "object_id": self.object_id,
            "operator": self.operator,
            "purpose": self.purpose,
            "engine": self.engine,
            "time": self.time,
            "source": self.source.to_dict(),
            "operations": self.operations,
            "output": self.output.to_dict(),
            "masks": [m.to_dict() for m in self.masks],
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "record") -> TreatmentRecord:
        """The record in ``data`` (a parsed JSON object, any version so far);
        RecordError when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
            raise RecordError(f"{where}: not a treatment record")
        try:
            masks = [
                MaskEntry(str(m["name"]), str(m["path"]), m.get("sha256"))
                for m in data.get("masks") or []
            ]
            return cls(
                source=FileEntry.from_dict(data.get("source")),
                output=FileEntry.from_dict(data.get("output")),
                operations=[dict(op) for op in data["operations"]],
                masks=masks,
                warnings=[str(w) for w in data.get("warnings") or []],
                object_id=data.get("object_id"),
                operator=data.get("operator"),
                purpose=data.get("purpose"),
                engine=data.get("engine") or "local",
                time=str(data.get("time") or ""),
                software=dict(data.get("software") or {}),
                format_version=int(data.get("format_version") or 1),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"{where}: not a treatment record ({exc})") from None


def read_record(path: str | os.PathLike[str]) -> TreatmentRecord:
    """The treatment record in the file ``path``; RecordError, in one line,
    when there is none or it cannot be read."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordError(f"{p}: no such record") from None
    except (OSError, ValueError) as exc:
        raise RecordError(f"{p}: not a treatment record ({exc})") from None
    return TreatmentRecord.from_dict(data, str(p))


def _operation(op: Mapping[str, Any]) -> dict[str, Any]:
    entry = dict(op)
    for key in _FILE_KEYS:
        value = entry.get(key)
        sha_key = f"{key}_sha256"
        if isinstance(value, str | os.PathLike) and value and sha_key not in entry:
            file = FileEntry.of(value)
            entry[key] = file.path
            entry[sha_key] = file.sha256
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
    about = about or {}
    record = TreatmentRecord(
        source=FileEntry.of(source_path, source_sha256),
        output=FileEntry.of(out),
        operations=[_operation(op) for op in operations],
        masks=[
            MaskEntry(str(m["name"]), str(m["path"]), m.get("sha256")) for m in masks
        ],
        warnings=list(warnings),
        object_id=about.get("object_id"),
        operator=about.get("operator"),
        purpose=about.get("purpose"),
        engine=about.get("engine") or "local",
        time=dates.now(),
        software=_software(),
    )
    text = json.dumps(record.to_dict(), indent=2, ensure_ascii=False, default=_jsonable)
    path = record_path(out)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"), overwrite=True)
    return path
