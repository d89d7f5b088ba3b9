"""Check a derivative against its record, and make it again from its record.

``verify`` compares the files a treatment record names with what is on disk
(output, source, masks, model weights). ``replay`` runs the recorded operations
again on the source, with the recorded restorers, parameters and masks, and
writes the result with a record of its own: on the same machine and software
the pixels are identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restore_app.core.atomic import sha256_file
from restore_app.core.record import (
    FileEntry,
    RecordError,
    TreatmentRecord,
    read_record,
    record_path,
)
from restore_app.core.tasks import RESTORE_TASKS

#: What a recorded operation says of its masks, kept in its replay's record.
_MASK_KEYS = ("mask", "mask_sha256", "protect", "protect_sha256", "crop", "mask_id")


def _check_file(what: str, entry: FileEntry, problems: list[str]) -> None:
    if not entry.path:
        return
    path = Path(entry.path)
    if not path.is_file():
        problems.append(f"{what} missing: {path}")
        return
    if entry.sha256 and sha256_file(path) != entry.sha256:
        problems.append(f"{what} changed (SHA-256 differs): {path}")


def verify(output: str | Path) -> list[str]:
    """What does not match ``output``'s record, one line each (empty: all match)."""
    from restore_app.models.registry import list_restorers

    output = Path(output)
    record = read_record(record_path(output))
    problems: list[str] = []
    out = record.output
    _check_file("the output", FileEntry(str(output), out.sha256, out.size), problems)
    if record.source.path and Path(record.source.path).is_file():
        _check_file("the source", record.source, problems)
    for mask in record.masks:
        _check_file(f"mask {mask.name}", FileEntry(mask.path, mask.sha256), problems)
    known = {i.id: i.weights_sha256 for i in list_restorers()}
    for i, op in enumerate(record.operations, 1):
        for key in ("mask", "protect"):
            if isinstance(op.get(key), str):
                entry = FileEntry(op[key], op.get(f"{key}_sha256"))
                _check_file(f"operation {i}'s {key}", entry, problems)
        rid = op.get("restorer") or op.get("detector")
        if rid and op.get("weights_sha256"):
            if rid not in known:
                problems.append(f"operation {i}: model {rid} is not installed")
            elif known[rid] != op["weights_sha256"]:
                problems.append(f"operation {i}: the weights of {rid} changed")
    return problems


def _masks_by_name(record: TreatmentRecord) -> dict[str, Path]:
    out = {}
    for m in record.masks:
        path = Path(m.path)
        if not path.is_file() or sha256_file(path) != m.sha256:
            raise RecordError(f"mask {m.name} is missing or changed: {path}")
        out[m.name] = path
    return out


def replay(
    record_file: str | Path,
    output: str | Path,
    *,
    device: str = "cpu",
    overwrite: bool = False,
) -> tuple[Path, float | None]:
    """Run the operations of a record again on its source and write ``output``
    (with its own record). Returns the output and the largest difference from
    the recorded output (0.0: identical; None when that file is gone)."""
    from restore_app.core.derivative import write_derivative
    from restore_app.core.image import read_image
    from restore_app.core.masks import read_mask
    from restore_app.models.engine import restore
    from restore_app.models.registry import get_restorer

    record_file = Path(record_file)
    record = read_record(record_file)
    source = Path(record.source.path or "")
    if not source.is_file():
        raise RecordError(f"the source is missing: {source}")
    if sha256_file(source) != record.source.sha256:
        raise RecordError(f"the source changed since the treatment: {source}")
    doc = read_image(source)
    shape = (doc.height, doc.width)
    masks = _masks_by_name(record)
    protect = read_mask(masks["protect"], shape) if "protect" in masks else None
    pixels = doc.pixels
    replayed = []
    for i, op in enumerate(record.operations, 1):
        task = op.get("task")
        if task not in RESTORE_TASKS:
            if task == "damage-record":
                replayed.append(dict(op))  # the repaired area, as recorded
            continue
        restorer = get_restorer(op["restorer"])
        if (
            op.get("weights_sha256")
            and restorer.info.weights_sha256 != op["weights_sha256"]
        ):
            raise RecordError(f"operation {i}: the weights of {restorer.id} changed")
        named = f"{i:02d}-{task}"
        mask = None
        if named in masks:
            mask = read_mask(masks[named], shape)
        elif isinstance(op.get("mask"), str):
            mask = read_mask(op["mask"], shape)
        own_protect = protect
        if isinstance(op.get("protect"), str):
            own_protect = read_mask(op["protect"], shape)
        params = op.get("params") or {}
        result = restore(
            pixels,
            task=task,
            restorer_id=restorer.id,
            mask=mask,
            protect=own_protect,
            strength=params.get("strength") if task != "inpaint" else None,
            device=device,
            tile_size=int(op.get("tile_size") or 512),
            # A colour correction is its recorded curves, applied again as
            # they are rather than chosen again.
            recorded=params if task == "color" else None,
        )
        pixels = result.pixels
        entry = {**result.operation, "replay_of": str(record_file)}
        # Which masks it used, as the record names them.
        entry.update({k: op[k] for k in _MASK_KEYS if k in op})
        replayed.append(entry)
    import dataclasses

    output = Path(output)
    used = [(name, read_mask(p, shape)) for name, p in masks.items()]
    write_derivative(
        dataclasses.replace(doc, pixels=pixels),
        output,
        source=source,
        operations=replayed,
        masks=used,
        overwrite=overwrite,
        about=record.about(),
    )
    original = Path(record.output.path or "")
    if not original.is_file():
        return output, None
    before = read_image(original).pixels.astype(np.float64)
    after = pixels.astype(np.float64)
    if before.shape != after.shape:
        return output, float("inf")
    return output, float(np.abs(before - after).max())
