"""Run one restorer over files: one image (``restore_file``) or a folder.

The command line and the window's batch both call these, so a batch from either
writes the same outputs, names and treatment records. Nothing here prints: the
caller shows progress and the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import Cancelled, ImageWriteError, MaskError, RestoreError
from restore_app.models.base import Task

ProgressFn = Callable[[int, int], None]


class BatchUsageError(RestoreError):
    """The folders given to a batch cannot be used together (nothing was run)."""


@dataclass(frozen=True)
class BatchItem:
    """What happened to one input: status is "done", "skipped" or "failed"."""

    source: Path
    output: Path | None
    status: str
    reason: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class BatchReport:
    """Outcome of a batch; ``skipped`` and ``failed`` hold (source, why)."""

    done: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


def output_suffix(source: Path) -> str:
    """The output extension for ``source``: its own where we can write it, else .png.

    BMP and GIF are read but not written; PNG keeps every pixel they hold.
    """
    from restore_app.core.image import WRITE_EXTENSIONS

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
) -> list[str]:
    """Restore the image file ``source`` into ``output`` with its treatment record.

    ``mask`` and ``protect`` are mask image files matched to the upright image
    (bright = restore / never change). The source is never written; ``output``
    appears whole or not at all. Returns the writer's warnings (e.g. a JPEG
    output that had to drop 16-bit depth). Raises RestoreError subclasses.
    """
    from restore_app.core.image import WRITE_EXTENSIONS, read_image, write_image
    from restore_app.core.masks import read_mask
    from restore_app.core.record import write_record
    from restore_app.models.engine import restore

    source, output = Path(source), Path(output)
    task = Task(task)
    if output.suffix.lower() not in WRITE_EXTENSIONS:
        kinds = ", ".join(sorted(WRITE_EXTENSIONS))
        raise ImageWriteError(
            f"cannot write {output.suffix or 'files without an extension'}: "
            f"use one of {kinds}"
        )
    if output.exists() and _same_file(source, output):
        raise ImageWriteError(f"refusing to write over the source image: {output}")
    if output.exists() and not overwrite:
        # Checked before the work, not only by the writer, so a rerun costs nothing.
        from restore_app.core.errors import OutputExistsError

        raise OutputExistsError(
            f"output exists (use --overwrite to replace it): {output}"
        )
    if task is Task.INPAINT and mask is None:
        raise MaskError("inpainting needs a mask")

    doc = read_image(source)
    shape = (doc.height, doc.width)
    mask_array = read_mask(mask, shape) if mask is not None else None
    protect_array = read_mask(protect, shape) if protect is not None else None
    if cancel is not None:
        cancel.check()
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
    )
    operation: dict[str, Any] = dict(result.operation)
    # The record adds each mask file's SHA-256 beside its path.
    if mask is not None:
        operation["mask"] = str(Path(mask).absolute())
    if protect is not None:
        operation["protect"] = str(Path(protect).absolute())

    warnings = write_image(
        dataclasses.replace(doc, pixels=result.pixels), output, overwrite=overwrite
    )
    try:
        write_record(
            output, source_path=source, operations=[operation], warnings=warnings
        )
    except BaseException:
        # A derivative without its record would be an untraceable treatment.
        output.unlink(missing_ok=True)
        raise
    return list(warnings)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def find_mask(masks_dir: Path, relative_image: Path) -> Path | None:
    """The mask of an image: same stem, any image extension, mirrored subfolder.

    Returns None when there is none; raises MaskError when two files qualify,
    since picking one silently could repair with the wrong mask.
    """
    from restore_app.core.image import READ_EXTENSIONS

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


def run_batch(
    input_dir: str | Path,
    output_dir: str | Path,
    *,
    task: Task | str,
    masks_dir: str | Path | None = None,
    restorer_id: str | None = None,
    strength: float | None = None,
    recursive: bool = False,
    overwrite: bool = False,
    device: str = "auto",
    tile_size: int = 512,
    files: list[Path] | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    mask_lookup: Callable[[Path], Path | None] | None = None,
    on_image_progress: ProgressFn | None = None,
) -> BatchReport:
    """Restore every image of ``input_dir`` into ``output_dir`` under the same name.

    ``files`` limits the batch to those images (inside ``input_dir``). Masks come
    from ``masks_dir`` (same stem, any extension) or from ``mask_lookup(image)``
    (the window passes its saved masks). ``on_item`` hears each outcome,
    ``on_progress(images_finished, total)`` the batch's progress and
    ``on_image_progress(done, total)`` the tiles of the current image. A failing
    image is reported and the batch goes on; a cancel stops between tiles and
    returns the report so far with ``cancelled`` set. Raises BatchUsageError
    before doing anything when the folders are unusable.
    """
    from restore_app.core.naming import list_images

    task = Task(task)
    input_dir = Path(input_dir).resolve()
    output_dir = Path(output_dir).resolve()
    masks_path = Path(masks_dir).resolve() if masks_dir is not None else None
    if not input_dir.is_dir():
        raise BatchUsageError(f"not a folder: {input_dir}")
    if _is_within(output_dir, input_dir):
        raise BatchUsageError(
            "the output folder must be outside the input folder, "
            "so that a batch never writes beside the masters"
        )
    if output_dir.exists() and not output_dir.is_dir():
        raise BatchUsageError(f"the output exists and is not a folder: {output_dir}")
    if masks_path is not None:
        if masks_path == input_dir:
            raise BatchUsageError("the mask folder must differ from the input folder")
        if not masks_path.is_dir():
            raise BatchUsageError(f"mask folder not found: {masks_path}")
    if task is Task.INPAINT and masks_path is None and mask_lookup is None:
        raise BatchUsageError("inpainting a folder needs a mask folder (--masks)")

    if files is None:
        images = list_images(input_dir, recursive=recursive)
    else:
        images = [Path(f).resolve() for f in files]
    # A mask folder inside the input folder would otherwise be restored as well.
    if masks_path is not None:
        images = [p for p in images if not _is_within(p, masks_path)]

    output_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    claimed: dict[Path, Path] = {}
    total = len(images)

    def finish(item: BatchItem) -> None:
        if item.status == "done":
            report.done.append(item.source)
        elif item.status == "skipped":
            report.skipped.append((item.source, item.reason))
        else:
            report.failed.append((item.source, item.reason))
        if on_item is not None:
            on_item(item)
        if on_progress is not None:
            on_progress(report.total, total)

    if on_progress is not None:
        on_progress(0, total)
    for source in images:
        if cancel is not None and cancel.cancelled:
            report.cancelled = True
            break
        try:
            relative = source.relative_to(input_dir)
        except ValueError:
            finish(BatchItem(source, None, "failed", "not inside the input folder"))
            continue
        output = output_dir / relative.parent / (relative.stem + output_suffix(source))
        if output in claimed:
            # a.bmp and a.png would both become a.png: keep the first, say why.
            why = f"same output name as {claimed[output].name}"
            finish(BatchItem(source, output, "failed", why))
            continue
        claimed[output] = source
        if output.exists() and not overwrite:
            finish(BatchItem(source, output, "skipped", "output exists"))
            continue
        try:
            if mask_lookup is not None:
                mask = mask_lookup(source)
            elif masks_path is not None:
                mask = find_mask(masks_path, relative)
            else:
                mask = None
            if task is Task.INPAINT and mask is None:
                finish(BatchItem(source, output, "skipped", "no mask"))
                continue
            output.parent.mkdir(parents=True, exist_ok=True)
            warnings = restore_file(
                source,
                output,
                task=task,
                mask=mask,
                restorer_id=restorer_id,
                strength=strength,
                overwrite=overwrite,
                device=device,
                tile_size=tile_size,
                on_progress=on_image_progress,
                cancel=cancel,
            )
        except Cancelled:
            report.cancelled = True
            break
        except RestoreError as exc:
            finish(BatchItem(source, output, "failed", _one_line(str(exc))))
        except MemoryError:
            finish(BatchItem(source, output, "failed", "out of memory"))
        except Exception as exc:  # one bad file must not stop the batch
            finish(
                BatchItem(
                    source, output, "failed", _one_line(f"{type(exc).__name__}: {exc}")
                )
            )
        else:
            finish(BatchItem(source, output, "done", warnings=tuple(warnings)))
    return report


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"
