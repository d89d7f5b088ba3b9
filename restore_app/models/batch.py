"""Run one restorer or detector over files: one image or a folder.

The command line and the window's batch both call these, so a batch from either
writes the same outputs, names and treatment records. Nothing here prints: the
caller shows progress and the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restore_app.core.atomic import blocking_file
from restore_app.core.cancel import CancelToken
from restore_app.core.errors import Cancelled, ImageWriteError, MaskError, RestoreError
from restore_app.models.base import Task

ProgressFn = Callable[[int, int], None]


class NothingDetected(RestoreError):
    """Automatic masks found no damage in an image: there is nothing to repair,
    and no derivative is written (it would only copy the source)."""


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


@dataclass(frozen=True)
class DetectSettings:
    """How damage is found: which detector, how sensitive, which kinds."""

    detector_id: str | None = None
    sensitivity: float | None = None  # None: the detector's default
    kinds: tuple[str, ...] = ()  # empty: every kind
    medium: str = "auto"  # see restore_app.core.medium

    def chosen_kinds(self):
        """The kinds asked for; by default those the detector finds."""
        from restore_app.core.damage import parse_kinds
        from restore_app.models.detection import get_detector
        from restore_app.models.registry import default_restorer_id

        if self.kinds:
            return parse_kinds(self.kinds)
        detector = get_detector(self.detector_id or default_restorer_id(Task.DETECT))
        return parse_kinds(detector.kinds)


def auto_mask_path(output: Path) -> Path:
    """Where an automatically proposed mask is kept: ``OUTPUT.mask.png``."""
    return output.with_name(output.name + ".mask.png")


@dataclass
class Proposed:
    """Damage found in one scan: what a repair may fill unattended (``labels``,
    ``mask``), what a person must decide (``doubtful``), and the operation."""

    mask: Any  # bool (H, W): the confident proposal
    labels: Any  # uint8 (H, W): its kinds, 0 elsewhere
    doubtful: Any  # bool (H, W)
    operation: dict[str, Any]


def _propose(
    pixels,
    settings: DetectSettings,
    protect_array,
    device: str,
    on_progress: ProgressFn | None,
    cancel: CancelToken | None,
    dpi=None,
) -> Proposed:
    """The damage found in ``pixels``, split by :mod:`restore_app.core.doubt`."""
    from restore_app.core.doubt import review_regions
    from restore_app.models.detection import detect

    proposal = detect(
        pixels,
        detector_id=settings.detector_id,
        protect=protect_array,
        device=device,
        on_progress=on_progress,
        cancel=cancel,
        medium=settings.medium,
        dpi=dpi,
    )
    kinds = settings.chosen_kinds()
    sensitivity = (
        proposal.default_sensitivity
        if settings.sensitivity is None
        else settings.sensitivity
    )  # 0.5 by default: the detector's own threshold
    labels = proposal.labels(sensitivity, kinds)
    review = review_regions(pixels, labels, proposal.operation.get("guards"))
    labels[review.doubtful] = 0
    operation = dict(proposal.operation)
    operation["sensitivity"] = sensitivity
    operation["kinds"] = [k.id for k in kinds]
    operation["pixels_flagged"] = int(review.confident.sum())
    operation["pixels_doubtful"] = int(review.doubtful.sum())
    operation["left_out"] = review.left_out
    return Proposed(review.confident, labels, review.doubtful, operation)


def detect_file(
    source: str | Path,
    output: str | Path,
    *,
    settings: DetectSettings = DetectSettings(),
    protect: str | Path | None = None,
    layers_dir: str | Path | None = None,
    overwrite: bool = False,
    device: str = "auto",
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    about: dict[str, Any] | None = None,
) -> list[Path]:
    """Find the damage in the image file ``source``; write it as a mask ``output``.

    ``output`` is a lossless 8-bit PNG of the upright image's size, 255 where
    damage was found with confidence (what ``--auto-masks`` fills).
    ``layers_dir`` also gets one such mask per kind (``STEM.<kind>.png``), the
    doubtful regions left for a person (``STEM.doubtful.png``) and the label
    image (``STEM.kinds.png``, values from the damage-kind table). The record
    ``output.json`` names the detector, its weights, sensitivity, kinds, the
    medium, what was left out and why, and the source by SHA-256. No metadata of the
    scan is copied. Everything is written whole or not at all. Returns the files
    written.
    """
    from restore_app.core.atomic import sha256_file
    from restore_app.core.errors import OutputExistsError
    from restore_app.core.image import read_image
    from restore_app.core.masks import read_mask, write_mask
    from restore_app.core.record import record_path, write_record

    source, output = Path(source), Path(output)
    if output.suffix.lower() != ".png":
        raise ImageWriteError(f"{output}: a damage mask is written as PNG")
    if output.exists() and _same_file(source, output):
        raise ImageWriteError(f"refusing to write over the source image: {output}")
    targets = [output, record_path(output)]
    layers: list[tuple[Path, Any]] = []
    doc = read_image(source, identify=True)
    shape = (doc.height, doc.width)
    protect_array = read_mask(protect, shape) if protect is not None else None
    if layers_dir is not None:
        layers_dir = Path(layers_dir)
        for k in settings.chosen_kinds():
            layers.append((layers_dir / f"{source.stem}.{k.id}.png", k))
        layers.append((layers_dir / f"{source.stem}.doubtful.png", "doubtful"))
        layers.append((layers_dir / f"{source.stem}.kinds.png", None))
        summaries = [
            layers_dir / f"{source.stem}.damage.csv",
            layers_dir / f"{source.stem}.damage.json",
        ]
        targets += [p for p, _ in layers] + summaries
    if not overwrite:
        for t in targets:
            if t.exists():
                raise OutputExistsError(
                    f"output exists (use --overwrite to replace it): {t}"
                )
    if cancel is not None:
        cancel.check()
    found = _propose(
        doc.pixels, settings, protect_array, device, on_progress, cancel, doc.meta.dpi
    )
    mask, labels, operation = found.mask, found.labels, found.operation
    if protect is not None:
        operation["protect"] = str(Path(protect).absolute())
    written: list[Path] = []
    try:
        if layers:
            # Area per kind: pixels, share, mm² at the scan's resolution, regions.
            from restore_app.core.damage_map import (
                protected_entry,
                scan_entry,
                summarise,
                write_damage_map,
            )

            dpi = doc.meta.dpi
            sha = doc.identity.sha256 if doc.identity else None
            kinds = settings.chosen_kinds()
            maps = write_damage_map(
                layers_dir,
                source.stem,
                [(k.id, labels == k.label) for k in kinds]
                + [("doubtful", found.doubtful)],
                labels,
                summarise(labels, dpi, kinds),
                dpi,
                scan_entry(source.name, sha, shape, dpi),
                protected_entry(protect_array, dpi),
                overwrite=overwrite,
            )
            written += [path for _, path in maps]
            operation["layers"] = [
                {"kind": what, "path": str(path.absolute()),
                 "sha256": sha256_file(path)}
                for what, path in maps
            ]  # fmt: skip
        write_mask(mask, output, overwrite=overwrite)
        written.append(output)
        written.append(
            write_record(
                output, source_path=source, operations=[operation], about=about
            )
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


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
    if output.exists() and _same_file(source, output):
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
        found = _propose(
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
    protect_dir: str | Path | None = None,
    detect: DetectSettings | None = None,
    auto_masks: bool = False,
    protect_lookup: Callable[[Path], Path | None] | None = None,
    options: dict[str, Any] | None = None,
    include_derivatives: bool = False,
    verify: bool = False,
    about: dict[str, Any] | None = None,
    engine: Callable[[Iterator[Work]], Iterator[BatchItem]] | None = None,
) -> BatchReport:
    """Restore every image of ``input_dir`` into ``output_dir`` under the same name.

    ``files`` limits the batch to those images (inside ``input_dir``); without
    it, outputs of Restore found there are skipped (reported so) unless
    ``include_derivatives``. Masks come
    from ``masks_dir`` (same stem, any extension) or from ``mask_lookup(image)``
    (the window passes its saved masks). ``on_item`` hears each outcome,
    ``on_progress(images_finished, total)`` the batch's progress and
    ``on_image_progress(done, total)`` the tiles of the current image. A failing
    image is reported and the batch goes on; a cancel stops between tiles and
    returns the report so far with ``cancelled`` set. Raises BatchUsageError
    before doing anything when the folders are unusable.

    ``task`` "detect" writes each image's damage mask (``STEM.png``) with its
    record; ``auto_masks`` (inpainting) detects the damage of each image and
    fills it. ``detect`` says how damage is found for both. ``protect_dir``
    holds protect masks, looked up like the masks, or ``protect_lookup(image)``
    names each image's (the window passes its saved ones).

    ``engine`` runs the images elsewhere: ``engine(works)`` takes the Works as
    they are planned (a stream, so memory does not grow with the folder) and
    yields a BatchItem per Work, in any order (see restore_app.models.cluster).
    Without it they run here, one after another.

    An existing output is skipped only when its record names its size (and,
    with ``verify``, its SHA-256); otherwise it is made again. The batch holds
    a lock in ``output_dir`` (a second batch there refuses to start) and,
    holding it, removes temporaries that killed writes left there. Raises
    ImageWriteError before the first image when ``output_dir`` is not writable.
    """
    from restore_app.core.naming import is_derivative, list_images

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
    detect = detect or DetectSettings()
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
        images = list_images(input_dir, recursive=recursive, derivatives=True)
        if not include_derivatives:
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
                redo = overwrite
                if output.exists() and not overwrite:
                    if is_complete(output, verify=verify):
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
                yield Work(
                    source=source,
                    output=output,
                    task=task,
                    mask=mask,
                    protect=protect,
                    restorer_id=restorer_id,
                    strength=strength,
                    overwrite=redo,
                    device=device,
                    tile_size=tile_size,
                    detect=detect,
                    auto_masks=auto_masks,
                    about=about,
                    options=options,
                )

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
    task: Task
    mask: Path | None
    protect: Path | None
    restorer_id: str | None
    strength: float | None
    overwrite: bool
    device: str
    tile_size: int
    detect: DetectSettings
    auto_masks: bool
    about: dict[str, Any] | None
    options: dict[str, Any] | None = None


def process(
    work: Work,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> BatchItem:
    """Make one image's output; a failure is an outcome, not an exception
    (except Cancelled, which stops the batch)."""
    source, output = work.source, work.output
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if work.task is Task.DETECT:
            detect_file(
                source,
                output,
                settings=work.detect,
                protect=work.protect,
                overwrite=work.overwrite,
                device=work.device,
                on_progress=on_progress,
                cancel=cancel,
                about=work.about,
            )
            warnings: list[str] = []
        else:
            warnings = restore_file(
                source,
                output,
                task=work.task,
                mask=work.mask,
                protect=work.protect,
                restorer_id=work.restorer_id,
                strength=work.strength,
                overwrite=work.overwrite,
                device=work.device,
                tile_size=work.tile_size,
                on_progress=on_progress,
                cancel=cancel,
                auto_mask=work.detect if work.auto_masks else None,
                about=work.about,
                options=work.options,
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
    import json

    from restore_app.core.record import record_path, sha256_file

    try:
        record = json.loads(record_path(output).read_text(encoding="utf-8"))
        entry = record["output"]
        if int(entry["size"]) != output.stat().st_size:
            return False
        return not verify or entry["sha256"] == sha256_file(output)
    except (OSError, ValueError, KeyError, TypeError):
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
