"""Restore one image file: the output beside its treatment record, the
source never written; and where a file's masks are found."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.errors import ImageWriteError, MaskError
from restore_app.core.naming import same_file
from restore_app.models.base import Task
from restore_app.pipeline.detect import (
    DetectSettings,
    NothingDetected,
    auto_mask_path,
    propose,
)


def sidecar_lookup(part: str = "mask") -> Callable[[Path], Path | None]:
    """Each image's saved working mask (``part`` "mask") or protect layer
    ("protect") from its folder's sidecar, wherever it lives; None when the
    image has none. Nothing is created."""
    from restore_app.core.sidecar import existing_sidecar

    cache: dict[Path, Any] = {}

    def lookup(image: Path) -> Path | None:
        image = Path(image).resolve()
        folder = image.parent
        if folder not in cache:
            cache[folder] = existing_sidecar(folder)
        car = cache[folder]
        return None if car is None else car.saved_mask(image, part)

    return lookup


def output_suffix(source: Path) -> str:
    """The output extension for ``source``: its own where we can write it, else .png.

    BMP and GIF are read but not written; PNG keeps every pixel they hold.
    """
    from restore_app.core.formats import WRITE_EXTENSIONS

    suffix = source.suffix.lower()
    return source.suffix if suffix in WRITE_EXTENSIONS else ".png"


def restore_file(
    source: str | Path,
    output: str | Path,
    *,
    task: Task | str,
    mask: str | Path | None = None,
    protect: str | Path | None = None,
    restorer_id: str | None = None,
    strength: float | None = None,
    overwrite: bool = False,
    device: str = "auto",
    tile_size: int = 512,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    auto_mask: DetectSettings | None = None,
    about: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> list[str]:
    """Restore the image file ``source`` into ``output`` with its treatment record.

    ``mask`` and ``protect`` are mask image files matched to the upright image
    (bright = restore / never change). With ``auto_mask`` (inpainting only, no
    ``mask``) the damage is detected first; the proposed mask is kept beside
    the output (:func:`auto_mask_path`) and the record says how it was made.
    ``options`` are the task's own choices (``keep_tone`` for colour).
    The source is never written; ``output`` appears whole or not at all.
    Returns the writer's warnings (e.g. a JPEG output that had to drop 16-bit
    depth). Raises RestoreError subclasses.
    """
    from restore_app.core.derivative import write_derivative
    from restore_app.core.formats import WRITE_EXTENSIONS
    from restore_app.core.image import read_image
    from restore_app.core.masks import read_mask
    from restore_app.models.engine import restore

    source, output = Path(source), Path(output)
    task = Task(task)
    if output.suffix.lower() not in WRITE_EXTENSIONS:
        kinds = ", ".join(sorted(WRITE_EXTENSIONS))
        raise ImageWriteError(
            f"cannot write {output.suffix or 'files without an extension'}: "
            f"use one of {kinds}"
        )
    if output.exists() and same_file(source, output):
        raise ImageWriteError(f"refusing to write over the source image: {output}")
    if output.exists() and not overwrite:
        # Checked before the work, not only by the writer, so a rerun costs nothing.
        from restore_app.core.errors import OutputExistsError

        raise OutputExistsError(
            f"output exists (use --overwrite to replace it): {output}"
        )
    if auto_mask is not None and (task is not Task.INPAINT or mask is not None):
        raise MaskError("automatic masks are for inpainting without a mask")
    if task is Task.INPAINT and mask is None and auto_mask is None:
        raise MaskError("inpainting needs a mask")
    proposed_path = auto_mask_path(output) if auto_mask is not None else None
    if proposed_path is not None and proposed_path.exists() and not overwrite:
        from restore_app.core.errors import OutputExistsError

        raise OutputExistsError(
            f"output exists (use --overwrite to replace it): {proposed_path}"
        )

    doc = read_image(source, identify=True)
    shape = (doc.height, doc.width)
    mask_array = read_mask(mask, shape) if mask is not None else None
    protect_array = read_mask(protect, shape) if protect is not None else None
    if cancel is not None:
        cancel.check()
    proposed: dict[str, Any] | None = None
    if auto_mask is not None:
        found = propose(
            doc.pixels, auto_mask, protect_array, device, None, cancel, doc.meta.dpi
        )
        mask_array, proposed = found.mask, found.operation
        if not mask_array.any():
            raise NothingDetected(
                f"no damage detected at sensitivity {proposed['sensitivity']:.2f}"
            )
        # A detected mask reaches the detector's own margin: not grown again.
        options = {k: v for k, v in (options or {}).items() if k != "cover_rim"}
        options = options or None
    result = restore(
        doc.pixels,
        task=task,
        restorer_id=restorer_id,
        mask=mask_array,
        protect=protect_array,
        strength=strength,
        device=device,
        tile_size=tile_size,
        on_progress=on_progress,
        cancel=cancel,
        options=options,
    )
    operation: dict[str, Any] = dict(result.operation)
    # The record adds each mask file's SHA-256 beside its path.
    if mask is not None:
        operation["mask"] = str(Path(mask).absolute())
    if protect is not None:
        operation["protect"] = str(Path(protect).absolute())
    if proposed_path is not None and proposed is not None:
        from restore_app.core.masks import write_mask

        write_mask(mask_array, proposed_path, overwrite=overwrite)
        operation["mask"] = str(proposed_path.absolute())
        operation["mask_proposed_automatically"] = {
            k: proposed[k]
            for k in (
                "detector",
                "weights_sha256",
                "sensitivity",
                "kinds",
                "pixels_flagged",
                "pixels_doubtful",
                "medium",
                "medium_why",
                "scale",
                "left_out",
                "device",
            )
        }

    pages_note = None
    if doc.meta.pages > 1:
        # Said in the record, the summary and the manifest: never in silence.
        operation["pages"] = {"processed": [1], "in_source": doc.meta.pages}
        pages_note = (
            f"only page 1 of {doc.meta.pages} was processed: the other pages "
            "are not in the output"
        )
    used = []
    if result.mask is not None:
        # The mask the fill used (grown over the rim), so a replay repeats it.
        mask_array = result.mask
    if mask_array is not None:
        used.append((f"01-{task}", mask_array))
    if protect_array is not None:
        used.append(("protect", protect_array))
    try:
        warnings = write_derivative(
            dataclasses.replace(doc, pixels=result.pixels),
            output,
            source=source,
            operations=[operation],
            masks=used,
            overwrite=overwrite,
            about=about,
        )
    except BaseException:
        if proposed_path is not None:
            proposed_path.unlink(missing_ok=True)
        raise
    return [*([pages_note] if pages_note else []), *warnings]


def find_mask(masks_dir: Path, relative_image: Path) -> Path | None:
    """The mask of an image: same stem, any image extension, mirrored subfolder.

    Returns None when there is none; raises MaskError when two files qualify,
    since picking one silently could repair with the wrong mask.
    """
    from restore_app.core.formats import READ_EXTENSIONS

    folder = masks_dir / relative_image.parent
    if not folder.is_dir():
        return None
    stem = relative_image.stem
    found = sorted(
        p
        for p in folder.iterdir()
        if p.stem == stem and p.suffix.lower() in READ_EXTENSIONS and p.is_file()
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise MaskError(f"{len(found)} masks match {relative_image.name}: {names}")
    return found[0] if found else None
