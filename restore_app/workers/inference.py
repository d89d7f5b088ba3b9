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
import logging
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from restore_app.core.errors import Cancelled, RestoreError
from restore_app.pipeline import jobs
from restore_app.pipeline.jobs import Job

log = logging.getLogger(__name__)


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
            result = jobs.run(job, self._progress(job_id))
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
