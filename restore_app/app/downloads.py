"""Getting the public checkpoints of the catalogue, in the background.

The window's Get Models dialog views this: what the catalogue holds and what
of it is installed, downloads under way with their progress, and how each
ended. A download runs on a thread of its own (the network, not the worker
that runs the tools); its events come back through ``post``, on the model's
thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from psygnal import Signal

from restore_app.app.scheduling import Post
from restore_app.core.cancel import CancelToken
from restore_app.core.errors import Cancelled, RestoreError
from restore_app.models.downloads import (
    KNOWN_MODELS,
    DownloadCutOff,
    KnownModel,
    download_model,
    partial_path,
)


@dataclass(frozen=True)
class CatalogueEntry:
    """One public checkpoint as a person sees it."""

    name: str  # the catalogue's key ("big-lama")
    model: KnownModel
    installed: bool
    #: bytes a download cut off left, to resume from (0: none)
    kept: int


class Downloads:
    """The catalogue and the downloads from it."""

    progressed = Signal(str, int, int)  # name, bytes done, bytes in all
    finished = Signal(str, object)  # name, the added model's RestorerInfo
    failed = Signal(str, str)  # name, one line (a cut-off one can be resumed)
    cancelled = Signal(str)  # name: nothing of it was kept

    def __init__(self, post: Post) -> None:
        self._post = post
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="download")
        self._running: dict[str, CancelToken] = {}

    def catalogue(self) -> list[CatalogueEntry]:
        from restore_app.models.user_models import user_card_path, user_model_id

        out = []
        for name, model in KNOWN_MODELS.items():
            partial = partial_path(model)
            out.append(
                CatalogueEntry(
                    name,
                    model,
                    user_card_path(user_model_id(model.file)).exists(),
                    partial.stat().st_size if partial.is_file() else 0,
                )
            )
        return out

    def running(self) -> set[str]:
        return set(self._running)

    def start(self, name: str, *, overwrite: bool = False) -> None:
        """Download ``name`` (resuming what a cut-off try left); its events
        follow. Nothing happens while it is already under way."""
        if name in self._running:
            return
        token = self._running[name] = CancelToken()
        self._pool.submit(self._run, name, token, overwrite)

    def cancel(self, name: str) -> None:
        token = self._running.get(name)
        if token is not None:
            token.cancel()

    def shutdown(self) -> None:
        for token in self._running.values():
            token.cancel()
        self._pool.shutdown(wait=True)

    def _run(self, name: str, token: CancelToken, overwrite: bool) -> None:
        # On the download thread: only events go back, through post.
        def progress(done: int, total: int) -> None:
            self._post(lambda: self.progressed.emit(name, done, total))

        try:
            info = download_model(
                name,
                progress=False,
                overwrite=overwrite,
                on_progress=progress,
                cancel=token,
            )
        except Cancelled:
            self._post(lambda: self._end(name, self.cancelled, name))
        except DownloadCutOff as exc:
            why = f"{exc} (Download again resumes it)"
            self._post(lambda: self._end(name, self.failed, name, why))
        except RestoreError as exc:
            why = str(exc)
            self._post(lambda: self._end(name, self.failed, name, why))
        except Exception as exc:  # noqa: BLE001 - one line for the person
            why = f"{name}: {type(exc).__name__}: {exc}"
            self._post(lambda: self._end(name, self.failed, name, why))
        else:
            self._post(lambda: self._end(name, self.finished, name, info))

    def _end(self, name: str, signal, *args) -> None:
        self._running.pop(name, None)
        signal.emit(*args)
