"""Turns tool requests into jobs, and their results into undo steps.

Qt-free: jobs go to a runner (the window's inference worker thread) that
returns a handle per job; the handle's ``returned``, ``errored`` and
``cancelled`` come back on the model's thread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from psygnal import Signal

from restore_app.app.document import Document
from restore_app.app.edits import heal_region
from restore_app.app.preferences import Preferences
from restore_app.app.tool_state import TaskSettings
from restore_app.core.history import TILE
from restore_app.core.identity import SourceChangedError
from restore_app.core.masks import mask_bounds, mask_sha256
from restore_app.core.pixels import Box
from restore_app.core.tasks import Task, task_options
from restore_app.models.engine import MAX_CONTEXT
from restore_app.pipeline.jobs import DetectFolderJob, DetectJob, Job, RestoreJob

#: The heal brush's fill: instant, and grain continued into it.
HEAL_RESTORER = "inpaint.telea-grain"
#: Scans larger than this (pixels) are first detected in the visible region.
DETECT_REGION_FIRST = 4_000_000
#: context kept around a mask's bounding box so crop results match whole-image runs
MARGIN = 64
#: How far from the pixels it changes a whole-image job may have read: the
#: engine's widest context (a wide hole's fill reads that far around it).
READ_REACH = MAX_CONTEXT


class Outcome(Enum):
    """What the window does with a job's result."""

    APPLY = "apply"  # the tool's result becomes an undo step
    PREVIEW = "preview"  # shown over the view, not applied
    HEAL = "heal"  # a heal stroke's fill, applied
    PROPOSE_REGION = "propose region"  # a large scan's visible part, first
    PROPOSE = "propose"  # the whole image's damage, for review
    FOLDER_PROPOSALS = "folder proposals"  # images not open: kept in sidecars
    BATCH_REPORT = "batch report"  # a folder batch's report


@dataclass
class _Pending:
    doc: Document | None  # None: a folder's images, none of them open
    outcome: Outcome
    region: np.ndarray | None  # bool crop of what was repaired (heal/inpaint/masked)
    origin: tuple[int, int] = (0, 0)
    protect: np.ndarray | None = None  # bool crop the job honoured
    tiles: np.ndarray | None = None  # the document's pixel tile counts at the start
    reads_all: bool = False  # it measures the whole image (automatic strength)
    auto_strength: bool = False  # the restorer chose the strength


def _grow_box(box, margin: int, w: int, h: int) -> tuple[int, int, int, int]:
    """``box`` (x0, y0, x1, y1) grown by ``margin`` and kept inside w × h."""
    return Box(*(int(v) for v in box)).expand(margin, w, h).as_tuple()


def _protect_crop(doc: Document, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """A copy of the document's protect layer in ``box`` (None when nothing
    there is protected), so later edits cannot race the worker."""
    x0, y0, x1, y1 = box
    crop = doc.protect[y0:y1, x0:x1]
    return crop.copy() if crop.any() else None


class Runner(Protocol):
    """Runs jobs in order off the model's thread (the window's worker)."""

    def submit(self, job: Job) -> Any:
        """Queue ``job``; the handle has ``returned``, ``errored`` and
        ``cancelled`` signals, emitted on the model's thread."""

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job, or all of them."""


class JobController:
    """The window's tools, run on the inference worker."""

    message = Signal(str)  # one line for the status bar
    error = Signal(str)  # a failure to show to the person
    preview_ready = Signal(object, object, object)  # Document, origin, pixels
    applied = Signal(object, str)  # Document, undo text
    busy_changed = Signal(bool)
    #: a folder's detection ended: [(path, error message or None), ...]
    folder_detected = Signal(object)
    batch_finished = Signal(object)  # the batch's report

    def __init__(self, runner: Runner, preferences: Preferences) -> None:
        self.runner = runner
        self.preferences = preferences
        self._pending: dict[int, _Pending] = {}

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def device(self) -> str:
        return self.preferences.device

    @property
    def tile_size(self) -> int:
        return self.preferences.tile_size

    def pending_docs(self) -> set[Any]:
        return {p.doc.path for p in self._pending.values() if p.doc is not None}

    def _submit(self, job: Any, pending: _Pending) -> int:
        pending.origin = getattr(job, "origin", (0, 0))
        pending.protect = getattr(job, "protect", None)
        if pending.doc is not None:
            pending.tiles = pending.doc.pixel_tiles.copy()
        task = getattr(job, "task", "")
        pending.auto_strength = task != Task.INPAINT and (
            getattr(job, "strength", 0.0) is None
        )
        # Colour is chosen from the whole image, whatever its strength.
        pending.reads_all = pending.auto_strength or task == Task.COLOR
        self._pending[job.job_id] = pending
        handle = self.runner.submit(job)
        jid = job.job_id
        handle.returned.connect(lambda result: self._on_job_returned(jid, result))
        handle.errored.connect(lambda message: self._on_job_errored(jid, message))
        handle.cancelled.connect(lambda: self._on_job_cancelled(jid))
        self.busy_changed.emit(True)
        return jid

    # -- requests ---------------------------------------------------------------------

    def run(self, doc: Document, settings: TaskSettings) -> int | None:
        """Run the chosen tool: inpaint the mask; denoise/deblur the mask or image.

        The engine gets what the command line gives it — the whole image, the
        whole mask, the protect layer — so both give the same pixels; it works
        only around the mask. The image is passed as a view: a result whose
        pixels changed meanwhile is not applied (see :meth:`_apply`).
        """
        task = settings.task
        region = doc.mask.copy() if doc.mask.any() else None
        if task == Task.INPAINT and region is None:
            self.error.emit("Paint over the damage first: inpainting fills the mask.")
            return None
        if doc.image.identity is not None:
            try:
                doc.image.identity.check(doc.path)
            except SourceChangedError as exc:
                self.error.emit(str(exc))
                return None
        job = RestoreJob(
            task=task,
            pixels=doc.pixels,
            mask=region,
            protect=_protect_crop(doc, (0, 0, doc.width, doc.height)),
            restorer_id=settings.restorer or None,
            strength=settings.chosen_strength,
            options=settings.options,
            device=self.device,
            tile_size=self.tile_size,
            target=doc,
        )
        self.message.emit(f"{str(task).capitalize()} running…")
        return self._submit(job, _Pending(doc, Outcome.APPLY, region))

    def preview(
        self, doc: Document, settings: TaskSettings, view: tuple[int, int, int, int]
    ) -> int | None:
        """Run the tool on the visible region only and show it without applying."""
        task = settings.task
        x0, y0, x1, y1 = _grow_box(view, MARGIN, doc.width, doc.height)
        if x1 <= x0 or y1 <= y0:
            return None
        region = doc.mask[y0:y1, x0:x1].copy()
        if task == Task.INPAINT and not region.any():
            self.error.emit("No mask in view to preview.")
            return None
        job = RestoreJob(
            task=task,
            pixels=doc.pixels[y0:y1, x0:x1].copy(),
            mask=region if region.any() else None,
            protect=_protect_crop(doc, (x0, y0, x1, y1)),
            restorer_id=settings.restorer or None,
            strength=settings.chosen_strength,
            options=settings.options,
            # A correction chosen for the whole image is previewed as such.
            whole=doc.pixels if task == Task.COLOR else None,
            device=self.device,
            tile_size=self.tile_size,
            origin=(x0, y0),
            target=doc,
        )
        self.message.emit("Preview of the visible region…")
        return self._submit(job, _Pending(doc, Outcome.PREVIEW, None))

    def heal(
        self,
        doc: Document,
        points: list[tuple[float, float]],
        radius: float,
        cover_rim: bool = True,
    ) -> int | None:
        """Fill a heal-brush stroke with the fast classical inpainter at once."""
        covered = heal_region(doc, points, radius, MARGIN // 2) if points else None
        if covered is None:
            return None
        (x0, y0, x1, y1), region = covered
        job = RestoreJob(
            task="inpaint",
            pixels=doc.pixels[y0:y1, x0:x1].copy(),
            mask=region,
            protect=_protect_crop(doc, (x0, y0, x1, y1)),
            restorer_id=HEAL_RESTORER,
            options=task_options(Task.INPAINT, cover_rim=cover_rim),
            device=self.device,
            origin=(x0, y0),
            target=doc,
        )
        return self._submit(job, _Pending(doc, Outcome.HEAL, region))

    def detect(
        self,
        doc: Document,
        detector_id: str | None = None,
        view: tuple[int, int, int, int] | None = None,
        medium: str = "auto",
    ) -> int | None:
        """Find the damage of ``doc`` for review; a large scan's ``view`` first."""
        first = None
        if view is not None and doc.width * doc.height > DETECT_REGION_FIRST:
            x0, y0, x1, y1 = _grow_box(view, MARGIN, doc.width, doc.height)
            if (x1 - x0) * (y1 - y0) < doc.width * doc.height // 2:
                job = DetectJob(
                    pixels=doc.pixels[y0:y1, x0:x1].copy(),
                    detector_id=detector_id,
                    protect=_protect_crop(doc, (x0, y0, x1, y1)),
                    device=self.device,
                    origin=(x0, y0),
                    target=doc,
                    medium=medium,
                    dpi=doc.image.meta.dpi,
                )
                first = self._submit(job, _Pending(doc, Outcome.PROPOSE_REGION, None))
        job = DetectJob(
            # The whole image is passed as a view, as for a whole-image tool:
            # jobs run one at a time and detection only reads.
            pixels=doc.pixels,
            detector_id=detector_id,
            protect=_protect_crop(doc, (0, 0, doc.width, doc.height)),
            device=self.device,
            target=doc,
            medium=medium,
            dpi=doc.image.meta.dpi,
        )
        self.message.emit("Detecting damage…")
        whole = self._submit(job, _Pending(doc, Outcome.PROPOSE, None))
        return first if first is not None else whole

    def detect_folder(self, paths: list[Path], save: Any, medium: str = "auto") -> int:
        """Propose the damage of images not open, in the background; ``save(path,
        proposal)`` keeps each (on the worker thread)."""
        job = DetectFolderJob(
            paths=tuple(paths), save=save, device=self.device, medium=medium
        )
        self.message.emit(f"Detecting damage in {len(paths)} image(s)…")
        return self._submit(job, _Pending(None, Outcome.FOLDER_PROPOSALS, None))

    def batch(self, job: Any) -> int:
        """Run a batch over files on the worker; its report comes in
        ``batch_finished``."""
        return self._submit(job, _Pending(None, Outcome.BATCH_REPORT, None))

    def cancel_all(self) -> None:
        self.runner.cancel()

    # -- outcomes ---------------------------------------------------------------------

    def _done(self, job_id: int) -> _Pending | None:
        pending = self._pending.pop(job_id, None)
        if not self._pending:
            self.busy_changed.emit(False)
        return pending

    def _on_job_returned(self, job_id: int, result: object) -> None:
        pending = self._done(job_id)
        if pending is None:
            return
        try:
            self._apply(pending, result)
        except Exception as exc:  # noqa: BLE001 - a slot must not raise
            self.error.emit(f"Could not apply the result: {exc}")

    def _show_proposal(self, pending: _Pending, proposal: Any) -> None:
        from restore_app.core.proposal import DamageProposal

        doc = pending.doc
        if pending.outcome is Outcome.PROPOSE_REGION:
            # A first look: the visible region's proposal, nothing elsewhere yet.
            x0, y0 = pending.origin
            h, w = proposal.shape
            prob = np.zeros(doc.mask.shape, np.uint8)
            kinds = np.zeros(doc.mask.shape, np.uint8)
            prob[y0 : y0 + h, x0 : x0 + w] = proposal.probability
            kinds[y0 : y0 + h, x0 : x0 + w] = proposal.kinds
            proposal = DamageProposal(
                prob, kinds, proposal.midpoint, proposal.operation
            )
            doc.propose(proposal)
            self.message.emit("Damage in view proposed; the rest of the image follows…")
            return
        keep = doc.review if doc.proposal is not None else None
        doc.propose(proposal, keep_review=keep)
        n = int(doc.proposed_labels().astype(bool).sum())
        self.applied.emit(doc, "Detect damage")
        self.message.emit(
            f"Damage proposed: {n:,} pixels. Review it, then accept it into the mask."
        )

    def _apply(self, pending: _Pending, result: Any) -> None:
        if pending.outcome is Outcome.FOLDER_PROPOSALS:
            self.folder_detected.emit(result)
            return
        if pending.outcome is Outcome.BATCH_REPORT:
            self.batch_finished.emit(result)
            return
        if pending.outcome in (Outcome.PROPOSE, Outcome.PROPOSE_REGION):
            self._show_proposal(pending, result)
            return
        doc = pending.doc
        if getattr(result, "mask", None) is not None and pending.region is not None:
            # The mask the fill used: grown over the damage's rim.
            pending = dataclasses.replace(pending, region=result.mask)
        rebased = False
        if pending.outcome is not Outcome.PREVIEW:
            moved = doc.pixels_changed_since(pending.tiles)
            if moved.any():
                why = self._conflict(pending, result, moved)
                if why:
                    self.message.emit(
                        f"{str(result.operation.get('task', 'The tool')).capitalize()}"
                        f" was not applied: {why}. Run it again."
                    )
                    return
                result, pending = self._rebase(pending, result)
                rebased = True
        origin = pending.origin
        op = dict(result.operation)
        op["boxes"] = [
            [b[0] + origin[0], b[1] + origin[1], b[2] + origin[0], b[3] + origin[1]]
            for b in result.boxes
        ]
        op["crop"] = [
            origin[0],
            origin[1],
            origin[0] + result.pixels.shape[1],
            origin[1] + result.pixels.shape[0],
        ]
        if pending.protect is not None:
            # The protect layer this run honoured, over the crop, as the PNG
            # File ▸ Save Mask writes: the record can be checked against it.
            op["protect_sha256"] = mask_sha256(pending.protect)
            op["protect_pixels"] = int(pending.protect.sum())
        if pending.outcome is Outcome.PREVIEW:
            self.preview_ready.emit(doc, origin, result.pixels)
            self.message.emit(
                "Preview shown: Enter runs it on the image, any edit clears it."
            )
            return
        pixels = result.pixels
        task = op.get("task", "inpaint")
        if pending.outcome is Outcome.HEAL:
            text = "Heal"
        elif task == "inpaint":
            n = int(op["regions"])
            text = f"Inpaint {n} region{'s' if n != 1 else ''}"
        else:
            text = task.capitalize() + (
                " mask" if pending.region is not None else " image"
            )
            if pending.auto_strength:
                # The strength the restorer chose, so the History says what
                # "Auto" did to this image.
                text += f" (auto strength {op['params']['strength']:.2f})"
        if pending.region is not None:
            # The mask this operation used, kept for the export's record.
            box = mask_bounds(pending.region)
            if box is not None:
                x0, y0, x1, y1 = box
                crop = pending.region[y0:y1, x0:x1]
                op["mask_id"] = doc.keep_op_mask((origin[0] + x0, origin[1] + y0), crop)
        repaired = None
        if task == "inpaint":
            repaired = pending.region
            if pending.protect is not None:
                # What the protect layer kept was not repaired.
                repaired = repaired & ~pending.protect
        cmd = doc.apply_result(
            origin,
            pixels,
            text=text,
            repaired=repaired,
            clear_mask=pending.outcome is Outcome.APPLY and task == "inpaint",
            operation=op,
        )
        self.applied.emit(doc, text)
        self.message.emit(
            f"{text}: done"
            + ("" if cmd is not None else " (nothing changed)")
            + (", around the edits made while it ran" if rebased else "")
        )

    # -- a document that moved on ---------------------------------------------------

    def _conflict(self, pending: _Pending, result: Any, moved: np.ndarray) -> str:
        """Why a result may not land on a document whose pixels changed while
        it ran ("" if it may: nothing it read or writes was touched)."""
        doc = pending.doc
        if doc.undo_stack.index() < doc.undo_stack.count():
            # A new step would throw away the steps waiting to be redone.
            return "a step was undone while it ran"
        guard = self._footprint(pending, result)
        if guard is None:
            return "the image changed while it ran"
        x0, y0, x1, y1 = guard
        if moved[y0 // TILE : -(-y1 // TILE), x0 // TILE : -(-x1 // TILE)].any():
            return "the image changed where it worked while it ran"
        return ""

    def _footprint(
        self, pending: _Pending, result: Any
    ) -> tuple[int, int, int, int] | None:
        """The pixels a result read and writes (None: all of the image)."""
        doc = pending.doc
        h, w = result.pixels.shape[:2]
        ox, oy = pending.origin
        if (h, w) != (doc.height, doc.width):
            return (ox, oy, ox + w, oy + h)  # a crop: it read and writes just that
        if pending.reads_all or not result.boxes:
            return None
        x0 = max(0, min(b[0] for b in result.boxes) - READ_REACH)
        y0 = max(0, min(b[1] for b in result.boxes) - READ_REACH)
        x1 = min(w, max(b[2] for b in result.boxes) + READ_REACH)
        y1 = min(h, max(b[3] for b in result.boxes) + READ_REACH)
        return (x0, y0, x1, y1)

    @staticmethod
    def _rebase(pending: _Pending, result: Any) -> tuple[Any, _Pending]:
        """A whole-image result cut down to the box of what it changed, so it
        lands around the edits made meanwhile without undoing them."""
        h, w = result.pixels.shape[:2]
        doc = pending.doc
        if (h, w) != (doc.height, doc.width):
            return result, pending  # a crop already
        x0 = min(b[0] for b in result.boxes)
        y0 = min(b[1] for b in result.boxes)
        x1 = max(b[2] for b in result.boxes)
        y1 = max(b[3] for b in result.boxes)
        boxes = [(b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0) for b in result.boxes]
        cut = dataclasses.replace(
            result, pixels=result.pixels[y0:y1, x0:x1], boxes=boxes
        )
        region = pending.region
        moved = dataclasses.replace(
            pending,
            origin=(x0, y0),
            region=None if region is None else region[y0:y1, x0:x1],
            protect=None if pending.protect is None else pending.protect[y0:y1, x0:x1],
        )
        return cut, moved

    def _on_job_errored(self, job_id: int, message: str) -> None:
        pending = self._done(job_id)
        if pending is not None:
            batch = pending.outcome is Outcome.BATCH_REPORT
            self.error.emit(f"Batch stopped: {message}" if batch else message)

    def _on_job_cancelled(self, job_id: int) -> None:
        pending = self._done(job_id)
        if pending is None:
            return
        if pending.outcome is Outcome.BATCH_REPORT:
            self.message.emit("Batch cancelled; a rerun resumes where it stopped.")
        else:
            self.message.emit("Cancelled: the image is unchanged.")
