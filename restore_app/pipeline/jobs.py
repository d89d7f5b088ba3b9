"""What the inference worker runs: frozen job descriptions, and one function
that runs any of them on the calling thread.

The window's worker thread (``restore_app.workers``) runs them in order; so
could any other runner. ``run`` reports progress as (done, total), checks the
job's cancel token between tiles and images, and raises ``Cancelled`` when it
was cancelled.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.errors import Cancelled, RestoreError

_ids = itertools.count(1)


def next_job_id() -> int:
    return next(_ids)


@dataclass(frozen=True, eq=False)
class RestoreJob:
    """Restore ``pixels`` (a crop (h, w, C) of an image, native dtype) on the worker.

    ``mask`` is bool (h, w), True where to restore (None: the whole crop for
    denoise/deblur). ``origin`` is the crop's (x0, y0) in its image, ``target``
    the document it belongs to (what becomes of the result is the window's
    business). The worker never writes into ``pixels``.
    """

    task: str
    pixels: np.ndarray
    mask: np.ndarray | None = None
    #: bool (h, w): the original that no restorer may change (None: none)
    protect: np.ndarray | None = None
    restorer_id: str | None = None
    strength: float | None = None
    #: the task's own choices (``keep_tone`` for colour)
    options: dict[str, Any] | None = None
    #: the whole image ``pixels`` is a crop of, where the restorer measures
    #: the whole image (colour): the crop gets the whole image's correction
    whole: np.ndarray | None = None
    device: str = "auto"
    tile_size: int = 512
    origin: tuple[int, int] = (0, 0)
    target: Any = None
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, eq=False)
class BatchJob:
    """A folder batch through :func:`restore_app.pipeline.folder.run_batch`."""

    input_dir: Path
    output_dir: Path
    task: str
    restorer_id: str | None = None
    strength: float | None = None
    options: dict[str, Any] | None = None
    files: tuple[Path, ...] | None = None
    masks: dict[Path, Path] | None = None
    protects: dict[Path, Path] | None = None
    overwrite: bool = False
    device: str = "auto"
    tile_size: int = 512
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, eq=False)
class DetectJob:
    """Find the damage in ``pixels`` (a crop (h, w, C) of an image, native dtype).

    ``origin`` is the crop's (x0, y0) in its image (a large scan's visible
    part is looked at first), ``target`` its document. The result is a
    DamageProposal.
    """

    pixels: np.ndarray
    detector_id: str | None = None
    protect: np.ndarray | None = None
    device: str = "auto"
    origin: tuple[int, int] = (0, 0)
    target: Any = None
    medium: str = "auto"
    dpi: tuple[float, float] | None = None
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, eq=False)
class DetectFolderJob:
    """Detect the damage of each image file and hand each proposal to ``save``.

    ``save(path, proposal)`` runs on the worker thread and must only write
    files (the sidecar); the window hears of each image through ``progressed``
    and of the whole through ``finished`` (a list of (path, error or None)).
    """

    paths: tuple[Path, ...]
    save: Any
    detector_id: str | None = None
    device: str = "auto"
    medium: str = "auto"
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


Job = RestoreJob | BatchJob | DetectJob | DetectFolderJob


def run(job: Job, on_progress: ProgressFn) -> Any:
    """Run ``job`` here and return its result (RestoreResult, DamageProposal,
    a folder detection's [(path, error or None), ...], or a BatchReport)."""
    job.cancel.check()
    if isinstance(job, BatchJob):
        return _run_batch(job, on_progress)
    if isinstance(job, DetectJob):
        return _run_detect(job, on_progress)
    if isinstance(job, DetectFolderJob):
        return _run_detect_folder(job, on_progress)
    return _run_restore(job, on_progress)


def _run_restore(job: RestoreJob, on_progress: ProgressFn) -> Any:
    from restore_app.models.engine import measure, restore
    from restore_app.models.registry import default_restorer_id, get_restorer

    recorded = None
    if job.whole is not None:
        restorer = get_restorer(job.restorer_id or default_restorer_id(job.task))
        recorded = measure(job.whole, restorer, job.strength, job.options)
    return restore(
        job.pixels,
        task=job.task,
        restorer_id=job.restorer_id,
        mask=job.mask,
        protect=job.protect,
        strength=job.strength,
        device=job.device,
        tile_size=job.tile_size,
        on_progress=on_progress,
        cancel=job.cancel,
        options=job.options,
        recorded=recorded,
        origin=job.origin,
    )


def _run_detect(job: DetectJob, on_progress: ProgressFn) -> Any:
    from restore_app.models.detection import detect

    return detect(
        job.pixels,
        detector_id=job.detector_id,
        protect=job.protect,
        device=job.device,
        on_progress=on_progress,
        cancel=job.cancel,
        medium=job.medium,
        dpi=job.dpi,
    )


def _run_detect_folder(job: DetectFolderJob, on_progress: ProgressFn) -> Any:
    from restore_app.core.image import read_image
    from restore_app.models.detection import detect

    outcomes: list[tuple[Path, str | None]] = []
    total = len(job.paths)
    on_progress(0, total)
    for i, path in enumerate(job.paths):
        job.cancel.check()
        try:
            doc = read_image(path)
            proposal = detect(
                doc.pixels,
                detector_id=job.detector_id,
                device=job.device,
                cancel=job.cancel,
                medium=job.medium,
                dpi=doc.meta.dpi,
            )
            job.save(path, proposal)
        except Cancelled:
            raise
        except RestoreError as exc:
            outcomes.append((path, str(exc).splitlines()[0]))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop it
            outcomes.append((path, f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append((path, None))
        on_progress(i + 1, total)
    return outcomes


def _run_batch(job: BatchJob, on_progress: ProgressFn) -> Any:
    from restore_app.pipeline.folder import BatchOptions, Step, run_batch

    masks = job.masks or {}
    protects = job.protects or {}
    # ProgressFn moves within each image (its tiles), not only between images:
    # done and total in thousandths of an image.
    images = [0, max(len(job.files or ()), 1)]

    def on_images(done: int, total: int) -> None:
        images[:] = [done, max(total, 1)]
        on_progress(done * 1000, images[1] * 1000)

    def on_tiles(done: int, total: int) -> None:
        part = done * 1000 // max(total, 1)
        on_progress(images[0] * 1000 + min(part, 999), images[1] * 1000)

    step = Step(
        task=job.task,
        restorer_id=job.restorer_id,
        strength=job.strength,
        options=job.options,
        device=job.device,
        tile_size=job.tile_size,
    )
    report = run_batch(
        job.input_dir,
        job.output_dir,
        BatchOptions(
            step,
            mask_lookup=(lambda p: masks.get(Path(p).resolve())) if masks else None,
            protect_lookup=(lambda p: protects.get(Path(p).resolve())),
            overwrite=job.overwrite,
        ),
        files=list(job.files) if job.files is not None else None,
        on_progress=on_images,
        on_image_progress=on_tiles,
        cancel=job.cancel,
    )
    if report.cancelled:
        raise Cancelled("cancelled")
    return report
