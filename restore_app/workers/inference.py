"""The one inference worker: a QObject on its own QThread that owns the device.

Models load once and stay loaded, jobs run in the order they were submitted,
and CUDA is only ever touched from this thread. The window talks to it through
:class:`InferenceService`: ``submit`` queues a frozen job description, ``cancel``
sets the job's token directly (a queued "cancel" signal would wait behind the
running job). Every outcome comes back as exactly one signal: ``finished``,
``failed`` or ``cancelled``; no exception escapes a slot.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import Cancelled, RestoreError

log = logging.getLogger(__name__)
_ids = itertools.count(1)


def next_job_id() -> int:
    return next(_ids)


@dataclass(frozen=True, eq=False)
class RestoreJob:
    """Restore ``pixels`` (a crop (h, w, C) of an image, native dtype) on the worker.

    ``mask`` is bool (h, w), True where to restore (None: the whole crop for
    denoise/deblur). ``origin`` is the crop's (x0, y0) in its image, ``target``
    the document it belongs to; ``purpose`` says what the window does with the
    result ("apply", "preview", "heal"). The worker never writes into ``pixels``.
    """

    task: str
    pixels: np.ndarray
    mask: np.ndarray | None = None
    #: bool (h, w): the original that no restorer may change (None: none)
    protect: np.ndarray | None = None
    restorer_id: str | None = None
    strength: float | None = None
    device: str = "auto"
    tile_size: int = 512
    origin: tuple[int, int] = (0, 0)
    target: Any = None
    purpose: str = "apply"
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, eq=False)
class BatchJob:
    """A folder batch through :func:`restore_app.models.batch.run_batch`."""

    input_dir: Path
    output_dir: Path
    task: str
    restorer_id: str | None = None
    strength: float | None = None
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

    ``origin`` is the crop's (x0, y0) in its image, ``target`` its document;
    ``purpose`` is "region" for a first look at the visible part of a large
    scan, "image" for the whole one. The result is a DamageProposal.
    """

    pixels: np.ndarray
    detector_id: str | None = None
    protect: np.ndarray | None = None
    device: str = "auto"
    origin: tuple[int, int] = (0, 0)
    target: Any = None
    purpose: str = "image"
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
    job_id: int = field(default_factory=next_job_id)
    cancel: CancelToken = field(default_factory=CancelToken)


Job = RestoreJob | BatchJob | DetectJob | DetectFolderJob


class InferenceWorker(QObject):
    """Runs jobs on the thread it was moved to. Create it, move it, then start."""

    progressed = Signal(int, int, int)  # job_id, done, total
    finished = Signal(int, object)  # job_id, RestoreResult | BatchReport
    failed = Signal(int, str)  # job_id, one-line message
    cancelled = Signal(int)
    warmed_up = Signal(str)  # the device jobs will use ("cpu", "cuda", ...)

    def __init__(self) -> None:
        super().__init__()
        self._inference_mode: contextlib.AbstractContextManager | None = None

    @Slot()
    def warm_up(self) -> None:
        """Import torch and choose the device here, after the window is shown."""
        try:
            import torch

            # Inference mode is thread-local: entered once, on this thread.
            self._inference_mode = torch.inference_mode()
            self._inference_mode.__enter__()
            from restore_app.models.device import resolve_device

            self.warmed_up.emit(resolve_device("auto"))
        except Exception as exc:  # noqa: BLE001 - a slot must not raise
            log.warning("worker warm-up failed: %s", exc)
            self.warmed_up.emit("cpu")

    @Slot(object)
    def run_job(self, job: Job) -> None:
        job_id = job.job_id
        try:
            job.cancel.check()
            if isinstance(job, BatchJob):
                result = self._run_batch(job)
            elif isinstance(job, DetectJob):
                result = self._run_detect(job)
            elif isinstance(job, DetectFolderJob):
                result = self._run_detect_folder(job)
            else:
                result = self._run_restore(job)
        except Cancelled:
            self.cancelled.emit(job_id)
        except RestoreError as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.failed.emit(job_id, text)
        except MemoryError:
            self.failed.emit(job_id, "out of memory: try a smaller tile or region")
        except Exception as exc:  # noqa: BLE001 - report, never let it escape the slot
            log.error("job %s failed:\n%s", job_id, traceback.format_exc())
            first = str(exc).splitlines()[0] if str(exc) else ""
            self.failed.emit(job_id, f"{type(exc).__name__}: {first}".rstrip(": "))
        else:
            self.finished.emit(job_id, result)

    def _progress(self, job_id: int):
        def on_progress(done: int, total: int) -> None:
            self.progressed.emit(job_id, int(done), int(total))

        return on_progress

    def _run_restore(self, job: RestoreJob) -> Any:
        from restore_app.models.engine import restore

        return restore(
            job.pixels,
            task=job.task,
            restorer_id=job.restorer_id,
            mask=job.mask,
            protect=job.protect,
            strength=job.strength,
            device=job.device,
            tile_size=job.tile_size,
            on_progress=self._progress(job.job_id),
            cancel=job.cancel,
        )

    def _run_detect(self, job: DetectJob) -> Any:
        from restore_app.models.detection import detect

        return detect(
            job.pixels,
            detector_id=job.detector_id,
            protect=job.protect,
            device=job.device,
            on_progress=self._progress(job.job_id),
            cancel=job.cancel,
        )

    def _run_detect_folder(self, job: DetectFolderJob) -> Any:
        from restore_app.core.image import read_image
        from restore_app.models.detection import detect

        outcomes: list[tuple[Path, str | None]] = []
        total = len(job.paths)
        self.progressed.emit(job.job_id, 0, total)
        for i, path in enumerate(job.paths):
            job.cancel.check()
            try:
                doc = read_image(path)
                proposal = detect(
                    doc.pixels,
                    detector_id=job.detector_id,
                    device=job.device,
                    cancel=job.cancel,
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
            self.progressed.emit(job.job_id, i + 1, total)
        return outcomes

    def _run_batch(self, job: BatchJob) -> Any:
        from restore_app.models.batch import run_batch

        masks = job.masks or {}
        protects = job.protects or {}
        # Progress moves within each image (its tiles), not only between images:
        # done and total in thousandths of an image.
        images = [0, max(len(job.files or ()), 1)]

        def on_images(done: int, total: int) -> None:
            images[:] = [done, max(total, 1)]
            self.progressed.emit(job.job_id, done * 1000, images[1] * 1000)

        def on_tiles(done: int, total: int) -> None:
            part = done * 1000 // max(total, 1)
            self.progressed.emit(
                job.job_id, images[0] * 1000 + min(part, 999), images[1] * 1000
            )

        report = run_batch(
            job.input_dir,
            job.output_dir,
            task=job.task,
            restorer_id=job.restorer_id,
            strength=job.strength,
            overwrite=job.overwrite,
            device=job.device,
            tile_size=job.tile_size,
            files=list(job.files) if job.files is not None else None,
            mask_lookup=(lambda p: masks.get(Path(p).resolve())) if masks else None,
            protect_lookup=(lambda p: protects.get(Path(p).resolve())),
            on_progress=on_images,
            on_image_progress=on_tiles,
            cancel=job.cancel,
        )
        if report.cancelled:
            raise Cancelled("cancelled")
        return report


class JobHandle(QObject):
    """One submitted job's own signals, so its caller listens to it alone.

    Exactly one of ``returned``, ``errored`` and ``cancelled`` comes, then
    ``finished``. ``cancel()`` sets the job's token directly: a queued signal
    would wait behind the running tile.
    """

    progressed = Signal(int, int)  # done, total
    returned = Signal(object)  # RestoreResult | DamageProposal | BatchReport | ...
    errored = Signal(str)  # one-line message
    cancelled = Signal()
    finished = Signal()

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job

    @property
    def job_id(self) -> int:
        return self.job.job_id

    def cancel(self) -> None:
        self.job.cancel.cancel()


class InferenceService(QObject):
    """The window's handle on the worker thread; lives on the UI thread."""

    progressed = Signal(int, int, int)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    warmed_up = Signal(str)
    _submitted = Signal(object)
    _warm = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device: str | None = None
        self._jobs: dict[int, JobHandle] = {}
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self._thread)
        self._submitted.connect(self.worker.run_job)
        self._warm.connect(self.worker.warm_up)
        self.worker.progressed.connect(self._on_worker_progressed)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.cancelled.connect(self._on_worker_cancelled)
        self.worker.warmed_up.connect(self._on_worker_warmed_up)
        self._thread.start()

    def warm_up(self) -> None:
        """Load torch on the worker thread (call once the window is on screen)."""
        self._warm.emit()

    def submit(self, job: Job) -> JobHandle:
        """Queue ``job``; its handle carries its progress and outcome."""
        handle = JobHandle(job, self)
        self._jobs[job.job_id] = handle
        self._submitted.emit(job)
        return handle

    def job(self, job_id: int) -> Job | None:
        handle = self._jobs.get(job_id)
        return handle.job if handle is not None else None

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def pending(self) -> list[Job]:
        return [h.job for h in self._jobs.values()]

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job, or every queued and running job when ``job_id`` is None."""
        if job_id is None:
            handles = list(self._jobs.values())
        else:
            handles = [h for h in (self._jobs.get(job_id),) if h is not None]
        for handle in handles:
            handle.cancel()

    def _on_worker_progressed(self, job_id: int, done: int, total: int) -> None:
        self.progressed.emit(job_id, done, total)
        handle = self._jobs.get(job_id)
        if handle is not None:
            handle.progressed.emit(done, total)

    def _end(self, job_id: int) -> JobHandle | None:
        handle = self._jobs.pop(job_id, None)
        if handle is not None:
            handle.deleteLater()
        return handle

    def _on_worker_finished(self, job_id: int, result: object) -> None:
        handle = self._end(job_id)
        self.finished.emit(job_id, result)
        if handle is not None:
            handle.returned.emit(result)
            handle.finished.emit()

    def _on_worker_failed(self, job_id: int, message: str) -> None:
        handle = self._end(job_id)
        self.failed.emit(job_id, message)
        if handle is not None:
            handle.errored.emit(message)
            handle.finished.emit()

    def _on_worker_cancelled(self, job_id: int) -> None:
        handle = self._end(job_id)
        self.cancelled.emit(job_id)
        if handle is not None:
            handle.cancelled.emit()
            handle.finished.emit()

    def _on_worker_warmed_up(self, device: str) -> None:
        self.device = device
        self.warmed_up.emit(device)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything and stop the thread (waits for the running tile)."""
        self.cancel()
        self._thread.quit()
        self._thread.wait(timeout_ms)
