"""The open images: background loading, sidecar autosave, bounded memory.

Reading and writing run on threads of their own; what they find is handed back
through the ``post`` the session was given, so documents and their events only
ever change on the model's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from psygnal import Signal

from restore_app.app.document import Document
from restore_app.app.preferences import Preferences
from restore_app.app.scheduling import Debounce, Post
from restore_app.core import history_log, journal
from restore_app.core.errors import RestoreError
from restore_app.core.sidecar import Sidecar

log = logging.getLogger(__name__)

#: Seconds after the last edit of a burst before it is saved.
AUTOSAVE_S = 1.5
#: ... and before a failed save is tried again.
RETRY_S = 5.0
#: Pixel bytes of open documents kept in memory before the least recently used
#: ones (saved to their sidecar first) are closed.
MEMORY_BUDGET = 3 * 1024**3


class Session:
    """Images of the open folder (or files) and the documents made from them."""

    document_loaded = Signal(object)  # Document
    load_failed = Signal(object, str)  # Path, message
    status_changed = Signal(object, str)  # Path, status
    sidecar_damaged = Signal(str)  # one line: what was set aside, and where
    saved = Signal(object)  # Path
    save_failed = Signal(object, str)  # Path, one line
    #: the file changed on disk since it was read: Path, one line
    source_changed = Signal(object, str)

    def __init__(self, preferences: Preferences, post: Post) -> None:
        #: the undo history kept per image comes from them
        self.preferences = preferences
        self._post = post
        self.paths: list[Path] = []
        self.docs: dict[Path, Document] = {}
        self._order: list[Path] = []  # least recently used first
        self._sidecars: dict[Path, Sidecar] = {}
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="reader")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sidecar")
        self._writes: list[Future] = []
        self._loading: dict[Path, int] = {}
        self._token = 0
        #: the documents with jobs in flight, by path (the workspace tells it
        #: where its jobs are; none without one)
        self.busy_paths: Callable[[], set[Path]] = set
        self._autosave = Debounce(self.save_all, post, AUTOSAVE_S)
        self._journal_seq: dict[Path, int] = {}
        self._history: dict[Path, history_log.HistoryLog] = {}
        #: images whose last sidecar write failed: their work is not yet safe
        self.unsaved: dict[Path, str] = {}

    # -- sidecars ---------------------------------------------------------------------

    def sidecar_for(self, path: Path) -> Sidecar:
        folder = Path(path).resolve().parent
        car = self._sidecars.get(folder)
        if car is None:
            car = self._sidecars[folder] = Sidecar(folder)
        return car

    def statuses(self) -> dict[Path, str]:
        out: dict[Path, str] = {}
        for folder in {p.resolve().parent for p in self.paths}:
            car = self.sidecar_for(folder / "x")
            for name, status in car.statuses().items():
                out[folder / name] = status
            self._report_damaged(car)
        return {p: out.get(p.resolve(), "untouched") for p in self.paths}

    def unexported_paths(self) -> list[Path]:
        """The images whose changes were never exported: an open image whose
        pixels differ from its last export (or the scan), and an image not
        opened since a restart whose saved work says it was edited (the strip's
        orange ●)."""
        loaded = {p for p, d in self.docs.items() if d.has_unexported_changes()}
        saved = {p for p, status in self.statuses().items() if status == "edited"}
        return [
            p for p in self.paths if p in loaded or (p in saved and p not in self.docs)
        ]

    def set_paths(self, paths: list[Path]) -> None:
        self.save_all()
        self.paths = [Path(p).resolve() for p in paths]

    # -- loading ----------------------------------------------------------------------

    def load(self, path: Path) -> Document | None:
        """The document of ``path`` if open; else start reading it and return None."""
        path = Path(path).resolve()
        doc = self.docs.get(path)
        if doc is not None:
            self._touch(path)
            return doc
        if path not in self._loading:
            self._token += 1
            self._loading[path] = self._token
            self._reader.submit(self._read, self._token, path)
        return None

    def _read(self, token: int, path: Path) -> None:
        # Runs on the reader thread: decode and the sidecar read stay off the UI.
        from restore_app.core.image import read_image

        try:
            image = read_image(path, identify=True)
            car = self.sidecar_for(path)
            saved = car.load(path.name, image.pixels.shape, image.pixels.dtype)
            if saved is not None:
                # Read here, off the window's thread: a long history is large.
                try:
                    saved.history = history_log.read(car.image_dir(path.name))
                except Exception as exc:  # noqa: BLE001 - costs the history only
                    log.error("the history of %s could not be read: %s", path, exc)
            outcome = (image, saved)
        except RestoreError as exc:
            outcome = (None, str(exc))
        except Exception as exc:  # noqa: BLE001 - one line for the person, log the rest
            log.exception("reading %s failed", path)
            outcome = (None, f"{path.name}: {type(exc).__name__}: {exc}")
        self._post(lambda: self._on_reader_loaded(token, path, *outcome))

    def _on_reader_loaded(self, token: int, path: Path, image, saved) -> None:
        if self._loading.get(path) != token:
            return
        del self._loading[path]
        if image is None:
            self.load_failed.emit(path, str(saved))
            return
        doc = Document(path, image)
        if saved is not None:
            doc.restore_saved(saved)
        folder = self.sidecar_for(path).image_dir(path.name)
        if saved is not None and saved.history is not None:
            doc.rebuild_history(saved.history)
        self._history[path] = history_log.HistoryLog(
            folder, self.preferences.history_budget_bytes
        )
        doc.undo_stack.index_changed.connect(lambda i, d=doc: self._log_history(d, i))
        self._report_damaged(self.sidecar_for(path))
        doc.state_changed.connect(self._on_doc_state_changed)
        car = self.sidecar_for(path)
        existing = journal.segments(car.image_dir(path.name))
        self._journal_seq[path] = existing[-1][0] + 1 if existing else 1
        doc.layer_edited.connect(lambda name, box, d=doc: self._journal(d, name, box))
        self.docs[path] = doc
        self._touch(path)
        self._evict()
        self.document_loaded.emit(doc)

    def _report_damaged(self, car) -> None:
        damaged = car.take_damaged()
        if damaged:
            self.sidecar_damaged.emit(
                f"Damaged saved work set aside in {car.root}: " + "; ".join(damaged)
            )

    def _touch(self, path: Path) -> None:
        if path in self._order:
            self._order.remove(path)
        self._order.append(path)

    def _evict(self) -> None:
        """Close least recently used documents past the memory budget (saved first)."""
        total = sum(d.pixels.nbytes + 2 * d.mask.nbytes for d in self.docs.values())
        for path in list(self._order[:-1]):
            if total <= MEMORY_BUDGET:
                break
            if path in self.busy_paths():
                continue
            doc = self.docs.pop(path)
            self._order.remove(path)
            self.save(doc)
            total -= doc.pixels.nbytes + 2 * doc.mask.nbytes

    # -- autosave ---------------------------------------------------------------------

    def _on_doc_state_changed(self, doc: Document) -> None:
        self.status_changed.emit(doc.path, doc.status)
        self._autosave.start()

    def save(self, doc: Document) -> None:
        """Queue a sidecar write of what changed in ``doc`` (copies taken now)."""
        if not doc.dirty:
            return
        car = self.sidecar_for(doc.path)
        identity = doc.image.identity
        if identity is not None and not identity.matches(doc.path):
            # The work belongs to the scan that was read, not to whatever is
            # on disk now: it stays in memory, unsaved, until reopened.
            self._report_changed(doc)
            return
        try:
            stamp = identity.stamp if identity else car.source_stamp(doc.path)
        except OSError:
            return
        snap = doc.snapshot(stamp)
        # Edits from here on go to a new journal segment; this save covers the
        # ones before, which it deletes once the masks are on disk.
        seq = self._journal_seq.get(doc.path, 1)
        snap.journal_upto = seq
        self._journal_seq[doc.path] = seq + 1
        fut = self._writer.submit(car.save, snap)
        fut.add_done_callback(
            lambda f, p=doc.path, s=snap: self._on_writer_done(f, p, s)
        )
        self._writes = [f for f in self._writes if not f.done()] + [fut]

    def _on_writer_done(self, fut: Future, path: Path, snap) -> None:
        # Called on the writer thread: the outcome goes back to the model's.
        exc = fut.exception()
        if exc is not None:
            log.error("sidecar save of %s failed: %s", path, exc)
            text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._post(lambda: self._on_write_failed(path, snap, text))
        else:
            self._post(lambda: self._on_saved(path))

    def _journal(self, doc: Document, layer: str, box) -> None:
        """Append a mask edit to the image's journal, on the UI thread, before
        the handler that made it returns: a crash a moment later loses nothing."""
        x0, y0, x1, y1 = box if box is not None else (0, 0, doc.width, doc.height)
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(doc.width, int(x1)), min(doc.height, int(y1))
        if x1 <= x0 or y1 <= y0:
            return
        bits = doc.array(layer)[y0:y1, x0:x1]
        folder = self.sidecar_for(doc.path).image_dir(doc.path.name)
        try:
            journal.append(
                folder,
                self._journal_seq.get(doc.path, 1),
                layer,
                (x0, y0, x1, y1),
                bits,
            )
        except OSError as exc:
            # The autosave still runs, and says so if it fails too.
            log.error("journaling an edit of %s failed: %s", doc.path, exc)

    def _log_history(self, doc: Document, index: int) -> None:
        """Append a new step, or the new position after an undo or redo."""
        if doc.restoring:
            return
        log_ = self._history.get(doc.path)
        if log_ is None:
            return
        stack = doc.undo_stack

        def number(i: int) -> int | None:
            cmd = stack.command(i) if 0 <= i < stack.count() else None
            return getattr(cmd, "logged_number", None)

        try:
            top = stack.command(index - 1) if index > 0 else None
            if top is not None and getattr(top, "logged_number", None) is None:
                before = number(index - 2)
                n = before + 1 if before is not None else doc.history_base
                top.logged_number = n
                log_.step(n, top.text(), getattr(top, "operation", None), top.parts)
                return
            if index > 0:
                log_.index(int(top.logged_number) + 1)
            else:
                first = number(0)
                log_.index(first if first is not None else doc.history_base)
        except OSError as exc:
            log.error("the history of %s could not be saved: %s", doc.path, exc)

    def _on_write_failed(self, path: Path, snap, message: str) -> None:
        """What a failed write carried is still to save: mark it again, say so,
        and try again shortly."""
        doc = self.docs.get(path)
        if doc is not None:
            doc.dirty |= snap.parts()
        first = path not in self.unsaved
        self.unsaved[path] = message
        if first:
            self.save_failed.emit(
                path, f"Could not save the work on {path.name} ({message}); retrying"
            )
        self._autosave.start(max(AUTOSAVE_S, RETRY_S))

    def save_proposal(self, path: Path, proposal) -> None:
        """Keep a damage proposal of an image not open in its sidecar, for
        review; safe on any thread (it only writes the sidecar's files)."""
        meta = {"operation": dict(proposal.operation), "midpoint": proposal.midpoint}
        self.sidecar_for(path).save_proposal(
            path, proposal.shape, (proposal.probability, proposal.kinds), meta
        )

    def check_source(self, doc: Document) -> bool:
        """Whether ``doc``'s file on disk is still the version that was read;
        if not, say so (:attr:`source_changed`) before anything is run,
        exported or saved against it."""
        identity = doc.image.identity
        if identity is None or identity.matches(doc.path):
            return True
        self._report_changed(doc, again=True)
        return False

    def _report_changed(self, doc: Document, again: bool = False) -> None:
        """Say that ``doc``'s file changed on disk (once, unless ``again``): its
        work is kept in memory (listed as unsaved, so Quit warns), never saved
        against the new file, until the person reloads (:meth:`reload`)."""
        if doc.path in self.unsaved and not again:
            return
        message = (
            f"{doc.path.name} changed on disk since it was opened: its work is "
            "not run, exported or saved against the new file. Reload it to work "
            "on the file as it is now (the work so far is set aside)."
        )
        self.unsaved[doc.path] = message
        self.source_changed.emit(doc.path, message)

    def reload(self, path: Path) -> Path | None:
        """Read ``path`` again as it is on disk now. The work done on the
        version read before is set aside, whole, in the sidecar's
        ``set-aside/`` folder (returned; None when it was not open) — never
        pasted onto the new scan. RestoreError, and nothing done, while a job
        works on the image or when the work cannot be set aside."""
        path = Path(path).resolve()
        if path in self.busy_paths():
            raise RestoreError(
                f"{path.name}: a job is still working on it; reload it when it "
                "has finished"
            )
        if path in self._loading:
            return None
        doc = self.docs.get(path)
        aside = None
        if doc is not None:
            self._settle_writes()  # a save under way lands before the move
            identity = doc.image.identity
            stamp = identity.stamp if identity else (0, 0)
            snap = doc.snapshot(stamp, whole=True)
            snap.journal_upto = self._journal_seq.get(path, 1)
            try:
                aside = self.sidecar_for(path).set_work_aside(path.name, snap)
            except OSError as exc:
                doc.dirty |= snap.parts()
                raise RestoreError(
                    f"{path.name}: its work could not be set aside "
                    f"({exc.strerror or exc}); nothing was reloaded"
                ) from exc
            # The old version's document is let go: nothing it does reaches
            # the sidecar of the new one.
            doc.layer_edited.disconnect()
            doc.undo_stack.index_changed.disconnect()
            doc.state_changed.disconnect(self._on_doc_state_changed)
            del self.docs[path]
            self._order.remove(path)
            self._history.pop(path, None)
            self._journal_seq.pop(path, None)
        self.unsaved.pop(path, None)
        self.load(path)
        return aside

    def _on_saved(self, path: Path) -> None:
        self.unsaved.pop(path, None)
        self.saved.emit(path)

    def save_all(self) -> None:
        self._autosave.stop()
        for doc in list(self.docs.values()):
            self.save(doc)

    def flush(self, timeout: float = 30.0) -> None:
        """Save everything and wait until it is on disk."""
        self.save_all()
        self._settle_writes(timeout)

    def _settle_writes(self, timeout: float = 30.0) -> None:
        """Wait for the sidecar writes under way (a failure is logged and,
        through its callback, tried again later)."""
        for fut in list(self._writes):
            try:
                fut.result(timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - logged; closing must go on
                log.error("sidecar save failed: %s", exc)

    def close(self) -> None:
        self.flush()
        self._reader.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=True)
