"""Writing a derivative: the image, the masks its treatment used, and its record,
all three or none. The window's Export and the command line both write here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from restore_app.core.image import ImageDoc, write_image


def masks_folder(output: str | os.PathLike[str]) -> Path:
    """Where the masks of a derivative go: ``OUTPUT.masks/`` beside it."""
    out = Path(output)
    return out.with_name(out.name + ".masks")


def _with_provenance(
    image: ImageDoc,
    output: Path,
    source: str | os.PathLike[str] | None,
    operations: list[dict[str, Any]],
) -> ImageDoc:
    """``image`` carrying its provenance in XMP (the source's XMP extended)."""
    import dataclasses

    from restore_app.core import dates
    from restore_app.core.provenance import JPEG_XMP_LIMIT, derivative_xmp

    if source is None or not Path(source).is_file():
        return image
    when = dates.now()
    digest = source_identity(image, source)
    jpeg = output.suffix.lower() in (".jpg", ".jpeg")
    packet = derivative_xmp(
        image.meta.xmp,
        source_name=Path(source).name,
        source_sha256=digest,
        operations=operations,
        when=when,
        limit=JPEG_XMP_LIMIT if jpeg else None,
    )
    return dataclasses.replace(image, meta=dataclasses.replace(image.meta, xmp=packet))


def source_identity(image: ImageDoc, source: str | os.PathLike[str]) -> str:
    """The SHA-256 of what ``image`` was made from: the one taken when its
    pixels were read, if they were read from ``source`` (raising
    SourceChangedError when that file has changed since), else ``source``'s now."""
    from restore_app.core.atomic import sha256_file

    read = image.identity
    if read and image.path and Path(image.path).resolve() == Path(source).resolve():
        read.check(source)
        return read.sha256
    return sha256_file(source)


def write_derivative(
    image: ImageDoc,
    output: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None,
    operations: list[dict[str, Any]],
    masks: Sequence[tuple[str, np.ndarray]] = (),
    overwrite: bool = False,
    warnings: Sequence[str] = (),
    about: dict[str, Any] | None = None,
) -> list[str]:
    """Write ``image`` to ``output``, each mask (name, bool (H, W)) as
    ``OUTPUT.masks/NAME.png``, and the treatment record naming them all by
    SHA-256. If anything after the image fails, the image and its masks are
    removed: an output never stands without its record. ``about`` goes into the
    record (object_id, operator, purpose). Returns the warnings (``warnings``
    given, then the writer's)."""
    from restore_app.core.atomic import sha256_file
    from restore_app.core.masks import write_mask
    from restore_app.core.record import write_record

    output = Path(output)
    source_sha256 = (
        source_identity(image, source)
        if source is not None and Path(source).is_file()
        else None
    )
    image = _with_provenance(image, output, source, operations)
    written = write_image(image, output, overwrite=overwrite)
    all_warnings = [*warnings, *written]
    folder = masks_folder(output)
    try:
        entries = []
        if folder.exists() and overwrite and not folder.is_symlink():
            shutil.rmtree(folder)
        if masks:
            folder.mkdir(exist_ok=False)
            for name, mask in masks:
                path = folder / f"{name}.png"
                write_mask(mask, path)
                entries.append(
                    {
                        "name": name,
                        "path": str(path.absolute()),
                        "sha256": sha256_file(path),
                    }
                )
        write_record(
            output,
            source_path=source,
            source_sha256=source_sha256,
            operations=operations,
            warnings=all_warnings,
            masks=entries,
            about=about,
        )
    except BaseException:
        output.unlink(missing_ok=True)
        if masks:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return all_warnings
