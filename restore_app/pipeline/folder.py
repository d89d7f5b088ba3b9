"""Run one restorer or detector over a folder of scans.

The command line and the window's batch both call :func:`run_batch`, so a
batch from either writes the same outputs, names and treatment records.
Nothing here prints: the caller shows progress and the report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restore_app.core.atomic import blocking_file, sha256_file
from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.errors import Cancelled, RestoreError
from restore_app.models.base import Task
from restore_app.pipeline.detect import (
    DetectSettings,
    NothingDetected,
    detect_file,
)
from restore_app.pipeline.files import find_mask, output_suffix, restore_file


class BatchUsageError(RestoreError):
    """The folders given to a batch cannot be used together (nothing was run)."""


#: Why a batch leaves an output of Restore among its inputs alone.
DERIVATIVE_SKIPPED = (
    "an output of Restore (a treatment record is beside it); "
    "--include-derivatives restores it too"
)
#: The status of an image in which automatic masks found no damage.
NOTHING_DETECTED = "nothing detected"


@dataclass(frozen=True)
class BatchItem:
    """What happened to one input: status is "done", "skipped", "failed" or
    "nothing detected" (automatic masks found no damage: nothing written)."""

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
    #: automatic masks found no damage there: no derivative was written
    nothing: list[Path] = field(default_factory=list)
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed) + len(self.nothing)

    @property
    def ok(self) -> bool:
        return not self.failed


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Step:
    """What a batch does to each image: plain data, so a cluster can ship it.

    ``options`` are the task's own choices (``cover_rim``, ``keep_tone``);
    ``detect`` says how damage is found for ``task`` "detect" and for
    ``auto_masks`` (inpainting: each image's damage detected, then filled);
    ``about`` is what the person states for the records."""

    task: Task
    restorer_id: str | None = None
    strength: float | None = None
    options: dict[str, Any] | None = None
    detect: DetectSettings = DetectSettings()
    auto_masks: bool = False
    device: str = "auto"
    tile_size: int = 512
    about: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", Task(self.task))


@dataclass(frozen=True)
class BatchOptions:
    """A folder run: its :class:`Step`, where each image's masks come from,
    and which images count.

    Masks come from ``masks_dir`` (same stem, any extension, mirrored
    subfolders) or ``mask_lookup(image)`` (the window passes its saved ones);
    protect masks likewise from ``protect_dir`` or ``protect_lookup``.
    Outputs of Restore among the inputs are skipped (and reported) unless
    ``include_derivatives``. An existing output is made again unless its
    record names its size (with ``verify``, its SHA-256 too)."""

    step: Step
    masks_dir: str | Path | None = None
    protect_dir: str | Path | None = None
    mask_lookup: Callable[[Path], Path | None] | None = None
    protect_lookup: Callable[[Path], Path | None] | None = None
    recursive: bool = False
    include_derivatives: bool = False
    overwrite: bool = False
    verify: bool = False


def run_batch(
    input_dir: str | Path,
    output_dir: str | Path,
    options: BatchOptions,
    *,
    files: list[Path] | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    on_progress: ProgressFn | None = None,
    on_image_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    engine: Callable[[Iterator[Work]], Iterator[BatchItem]] | None = None,
) -> BatchReport:
    """Restore every image of ``input_dir`` into ``output_dir`` under the same
    name, as ``options`` says (task "detect": each image's damage mask
    ``STEM.png`` with its record).

    ``files`` limits the batch to those images (inside ``input_dir``).
    ``on_item`` hears each outcome, ``on_progress(images_finished, total)``
    the batch's progress and ``on_image_progress(done, total)`` the tiles of
    the current image. A failing image is reported and the batch goes on; a
    cancel stops between tiles and returns the report so far with
    ``cancelled`` set. Raises BatchUsageError before doing anything when the
    folders or options cannot be used together.

    ``engine`` runs the images elsewhere: ``engine(works)`` takes the Works as
    they are planned (a stream, so memory does not grow with the folder) and
    yields a BatchItem per Work, in any order (see restore_app.pipeline.cluster).
    Without it they run here, one after another.

    The batch holds a lock in ``output_dir`` (a second batch there refuses to
    start) and, holding it, removes temporaries that killed writes left there.
    Raises ImageWriteError before the first image when ``output_dir`` is not
    writable.
    """
    from restore_app.core.naming import is_derivative, list_images

    step = options.step
    task, auto_masks = step.task, step.auto_masks
    masks_dir, protect_dir = options.masks_dir, options.protect_dir
    mask_lookup, protect_lookup = options.mask_lookup, options.protect_lookup
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
    blocker = blocking_file(output_dir)
    if blocker is not None:
        raise BatchUsageError(
            f"cannot make the output folder {output_dir}: {blocker} is a file"
        )
    protect_path = Path(protect_dir).resolve() if protect_dir is not None else None
    for what, folder in (("mask", masks_path), ("protect", protect_path)):
        if folder is None:
            continue
        if folder == input_dir:
            raise BatchUsageError(
                f"the {what} folder must differ from the input folder"
            )
        if not folder.is_dir():
            raise BatchUsageError(f"{what} folder not found: {folder}")
    if auto_masks:
        if task is not Task.INPAINT:
            raise BatchUsageError("automatic masks (--auto-masks) are for inpainting")
        if masks_path is not None or mask_lookup is not None:
            raise BatchUsageError("use either a mask folder or --auto-masks, not both")
    if (
        task is Task.INPAINT
        and masks_path is None
        and mask_lookup is None
        and not auto_masks
    ):
        raise BatchUsageError(
            "inpainting a folder needs a mask folder (--masks) or --auto-masks"
        )

    derivatives: list[Path] = []
    if files is None:
        images = list_images(input_dir, recursive=options.recursive, derivatives=True)
        if not options.include_derivatives:
            # An earlier batch's or the window's outputs, saved among the
            # scans, are not scans: said in the report, never restored again.
            derivatives = [p for p in images if is_derivative(p)]
            images = [p for p in images if p not in set(derivatives)]
    else:
        images = [Path(f).resolve() for f in files]
    # A mask folder inside the input folder would otherwise be restored as well.
    for folder in (masks_path, protect_path):
        if folder is not None:
            images = [p for p in images if not _is_within(p, folder)]

    output_dir.mkdir(parents=True, exist_ok=True)
    with batch_lock(output_dir):
        report = BatchReport()
        claimed: dict[Path, Path] = {}
        total = len(images) + len(derivatives)

        def finish(item: BatchItem) -> None:
            if item.status == "done":
                report.done.append(item.source)
            elif item.status == NOTHING_DETECTED:
                report.nothing.append(item.source)
            elif item.status == "skipped":
                report.skipped.append((item.source, item.reason))
            else:
                report.failed.append((item.source, item.reason))
            if on_item is not None:
                on_item(item)
            if on_progress is not None:
                on_progress(report.total, total)

        for source in derivatives:
            finish(BatchItem(source, None, "skipped", DERIVATIVE_SKIPPED))

        def plan() -> Iterator[Work]:
            # A generator, so the file list streams to the engine: nothing per
            # image is kept beyond the report's names.
            for source in images:
                if cancel is not None and cancel.cancelled:
                    report.cancelled = True
                    return
                try:
                    relative = source.relative_to(input_dir)
                except ValueError:
                    finish(
                        BatchItem(source, None, "failed", "not inside the input folder")
                    )
                    continue
                suffix = ".png" if task is Task.DETECT else output_suffix(source)
                output = output_dir / relative.parent / (relative.stem + suffix)
                if output in claimed:
                    # a.bmp and a.png would both become a.png: keep the first, say why.
                    why = f"same output name as {claimed[output].name}"
                    finish(BatchItem(source, output, "failed", why))
                    continue
                claimed[output] = source
                redo = options.overwrite
                if output.exists() and not redo:
                    if is_complete(output, verify=options.verify):
                        finish(BatchItem(source, output, "skipped", "output exists"))
                        continue
                    # An output without a record naming it (a kill between the two
                    # writes, or a file of someone else's): made again.
                    redo = True
                try:
                    if mask_lookup is not None:
                        mask = mask_lookup(source)
                    elif masks_path is not None:
                        mask = find_mask(masks_path, relative)
                    else:
                        mask = None
                    if protect_lookup is not None:
                        protect = protect_lookup(source)
                    elif protect_path is not None:
                        protect = find_mask(protect_path, relative)
                    else:
                        protect = None
                except RestoreError as exc:
                    finish(BatchItem(source, output, "failed", _reason(source, exc)))
                    continue
                if task is Task.INPAINT and mask is None and not auto_masks:
                    finish(BatchItem(source, output, "skipped", "no mask"))
                    continue
                yield Work(source, output, mask, protect, redo, step)

        if on_progress is not None:
            on_progress(0, total)
        if engine is None:
            for work in plan():
                try:
                    finish(process(work, on_image_progress, cancel))
                except Cancelled:
                    report.cancelled = True
                    break
        else:
            for item in engine(plan()):
                finish(item)
        return report


@dataclass(frozen=True)
class Work:
    """One image of a batch, with everything its step needs (plain data, so a
    cluster can ship it to another machine)."""

    source: Path
    output: Path
    mask: Path | None
    protect: Path | None
    overwrite: bool
    step: Step


def process(
    work: Work,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> BatchItem:
    """Make one image's output; a failure is an outcome, not an exception
    (except Cancelled, which stops the batch)."""
    source, output, step = work.source, work.output, work.step
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if step.task is Task.DETECT:
            detect_file(
                source,
                output,
                settings=step.detect,
                protect=work.protect,
                overwrite=work.overwrite,
                device=step.device,
                on_progress=on_progress,
                cancel=cancel,
                about=step.about,
            )
            warnings: list[str] = []
        else:
            warnings = restore_file(
                source,
                output,
                task=step.task,
                mask=work.mask,
                protect=work.protect,
                restorer_id=step.restorer_id,
                strength=step.strength,
                overwrite=work.overwrite,
                device=step.device,
                tile_size=step.tile_size,
                on_progress=on_progress,
                cancel=cancel,
                auto_mask=step.detect if step.auto_masks else None,
                about=step.about,
                options=step.options,
            )
    except Cancelled:
        raise
    except NothingDetected as exc:
        return BatchItem(source, None, NOTHING_DETECTED, str(exc))
    except RestoreError as exc:
        return BatchItem(source, output, "failed", _reason(source, exc))
    except MemoryError:
        return BatchItem(source, output, "failed", "out of memory")
    except Exception as exc:  # one bad file must not stop the batch
        why = _one_line(f"{type(exc).__name__}: {exc}")
        return BatchItem(source, output, "failed", why)
    return BatchItem(source, output, "done", warnings=tuple(warnings))


LOCK_NAME = ".restore-batch.lock"


class BatchBusyError(RestoreError):
    """Another batch is writing into the same output folder: a failure to
    retry later (exit status 1), not a wrong command line."""


@contextlib.contextmanager
def batch_lock(output_dir: Path):
    """Hold ``output_dir`` for one batch (:func:`restore_app.core.atomic.folder_lock`);
    holding it, leftovers of killed writes are removed; an unwritable folder is
    refused."""
    from restore_app.core.atomic import FolderBusyError, folder_lock, remove_partials

    try:
        with folder_lock(output_dir, LOCK_NAME, "output folder"):
            remove_partials(output_dir)
            yield
    except FolderBusyError:
        raise BatchBusyError(
            f"another batch is writing into {output_dir}: wait for it to end"
        ) from None


def is_complete(output: Path, *, verify: bool = False) -> bool:
    """Whether ``output`` is a finished result: its record exists and names its
    size (and, with ``verify``, its SHA-256)."""
    from restore_app.core.record import RecordError, read_record, record_path

    try:
        entry = read_record(record_path(output)).output
        if entry.size is None or entry.size != output.stat().st_size:
            return False
        return not verify or entry.sha256 == sha256_file(output)
    except (OSError, RecordError):
        return False


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def _reason(source: Path, exc: Exception) -> str:
    """Why ``source`` failed, in one line, without the file's name in front
    (the summary line and the manifest name it already)."""
    text = _one_line(str(exc))
    for name in (str(source), str(source.resolve()), source.name):
        if text.startswith(f"{name}: "):
            return text[len(name) + 2 :]
    return text
