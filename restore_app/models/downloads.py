"""Fetching well-known public checkpoints, only ever when a person asks.

Each entry pins the file's SHA-256: the download streams into a hidden folder
inside the model folder (``.partial/``), is checked against it, and only then is
added like any checkpoint a person brings
(:func:`restore_app.models.user_models.add_model`). A download cut off (a
dropped connection) keeps its partial file and the server's ETag, and the next
try asks only for the rest (an HTTP range request, honoured only while the
ETag is the same). Cancel, a checksum mismatch or a file changed on the server
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from restore_app.core.errors import ModelError

if TYPE_CHECKING:
    from restore_app.core.cancel import CancelToken
    from restore_app.models.base import RestorerInfo

# The table is read by the command line's help, which must start instantly:
# this module imports nothing heavy until a download begins.

#: A base URL replacing every entry's own location (a mirror, or a local server).
BASE_ENV = "RESTORE_DOWNLOAD_BASE"
_CHUNK = 1 << 16
_TIMEOUT_S = 60


@dataclass(frozen=True)
class KnownModel:
    """A public checkpoint: where it lives, what it must hash to, what it does."""

    file: str
    url: str
    sha256: str
    size: int | None
    task: str  # "inpaint" | "denoise" | "deblur"
    name: str
    license: str
    #: what it is good at, in a line
    about: str = ""
    #: figures its authors published (not measured here), in a line
    published: str = ""


KNOWN_MODELS: dict[str, KnownModel] = {
    "big-lama": KnownModel(
        file="big-lama.pt",
        url="https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
        sha256="344c77bbcb158f17dd143070d1e789f38a66c04202311ae3a258ef66667a9ea9",
        size=205_669_692,
        task="inpaint",
        name="Big LaMa (TorchScript)",
        license="Apache-2.0",
        about="Large holes and wide scratches: fills with structure from far "
        "around (Suvorov et al., WACV 2022)",
        published="FID and LPIPS on Places and CelebA-HQ, narrow to wide "
        "masks, in the authors' paper (arXiv 2109.07161)",
    ),
    "scunet-real-psnr": KnownModel(
        file="scunet_color_real_psnr.pth",
        url="https://github.com/cszn/KAIR/releases/download/v1.0/scunet_color_real_psnr.pth",
        sha256="fa78899ba2caec9d235a900e91d96c689da71c42029230c2028b00f09f809c2e",
        size=71_982_841,
        task="denoise",
        name="SCUNet real-noise PSNR",
        license="Apache-2.0",
        about="Real camera and scanner noise of unknown level, blind (Zhang et "
        "al., Machine Intelligence Research 2023)",
        published="results on synthetic and real noise in the authors' paper "
        "(arXiv 2203.13278)",
    ),
}


def _source_url(entry: KnownModel, url: str | None) -> str:
    if url:
        chosen = url
    elif os.environ.get(BASE_ENV):
        chosen = os.environ[BASE_ENV].rstrip("/") + "/" + entry.file
    else:
        chosen = entry.url
    if not chosen.startswith(("https://", "http://")):
        raise ModelError(f"{chosen}: only http(s) addresses can be downloaded")
    return chosen


def partial_path(entry: KnownModel) -> Path:
    """Where a download of ``entry`` cut off is kept until it is resumed."""
    from restore_app.models.registry import user_models_dir

    return user_models_dir() / ".partial" / entry.file


def _etag_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".etag")


def discard_partial(entry: KnownModel) -> None:
    """Forget a download of ``entry`` cut off before (its bytes and ETag)."""
    partial = partial_path(entry)
    partial.unlink(missing_ok=True)
    _etag_path(partial).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        partial.parent.rmdir()  # the folder goes with its last partial file


def _fetch(
    url: str,
    dest: Path,
    entry: KnownModel,
    *,
    progress: bool,
    on_progress: Callable[[int, int], None] | None,
    cancel: CancelToken | None,
) -> str:
    """Stream ``url`` into ``dest``, after the bytes a download cut off left
    there when the server still has the same file (its ETag); the SHA-256 of
    the whole. Refuses more bytes than expected. A connection lost midway
    keeps what came and says so."""
    import http.client
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    etag_file = _etag_path(dest)
    start = dest.stat().st_size if dest.is_file() else 0
    etag = etag_file.read_text("utf-8").strip() if etag_file.is_file() else ""
    request = urllib.request.Request(url)
    if start and etag:
        request.add_header("Range", f"bytes={start}-")
        request.add_header("If-Range", etag)
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)  # noqa: S310
    except urllib.error.HTTPError as exc:
        raise ModelError(f"{url}: download failed: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(f"{url}: download failed: {reason}") from None
    with response:
        resumed = response.status == 206 and bool(start and etag)
        if not resumed:
            start = 0  # the whole file comes (again): a changed one included
        served_etag = response.headers.get("ETag") or ""
        if served_etag:
            etag_file.write_text(served_etag, "utf-8")
        else:
            etag_file.unlink(missing_ok=True)  # nothing to resume against
        declared = response.headers.get("Content-Length")
        rest = int(declared) if declared and declared.isdigit() else None
        total = start + rest if rest is not None else entry.size or 0
        if entry.size is not None and rest is not None and total != entry.size:
            raise ModelError(
                f"{url}: the server offers {total} bytes, {entry.file} has "
                f"{entry.size}; nothing was kept"
            )
        limit = entry.size
        digest = hashlib.sha256()
        if resumed:
            with open(dest, "rb") as fh:
                for block in iter(lambda: fh.read(_CHUNK), b""):
                    digest.update(block)
        done = start
        with (
            open(dest, "ab" if resumed else "wb") as fh,
            tqdm(
                total=total or None,
                initial=start,
                desc=entry.file,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while True:
                if cancel is not None:
                    cancel.check()
                try:
                    # What has come, up to a chunk: progress and Cancel answer
                    # on a slow line too.
                    chunk = response.read1(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadCutOff(
                        f"{url}: download cut off after {done:,} of {total:,} "
                        f"bytes ({exc}); try again to resume"
                    ) from None
                if not chunk:
                    break
                done += len(chunk)
                if limit is not None and done > limit:
                    raise ModelError(
                        f"{url}: more than the {limit} bytes of {entry.file}; "
                        "nothing was kept"
                    )
                digest.update(chunk)
                fh.write(chunk)
                bar.update(len(chunk))
                if on_progress is not None:
                    on_progress(done, total)
    if total and done < total:
        raise DownloadCutOff(
            f"{url}: download cut off after {done:,} of {total:,} bytes; "
            "try again to resume"
        )
    return digest.hexdigest()


class DownloadCutOff(ModelError):
    """The connection ended before the file did: what came is kept, and the
    next try resumes."""


def download_model(
    name: str,
    *,
    url: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> RestorerInfo:
    """Download the known checkpoint ``name``, verify it, and add it as a user model.

    ``url`` replaces the entry's address (so does env ``RESTORE_DOWNLOAD_BASE``,
    a base URL). ``progress`` draws a bar on stderr; ``on_progress(done, total)``
    reports bytes. ModelError when the name is unknown, the download fails, or
    the bytes do not hash to the pinned SHA-256; nothing is then left behind.
    """
    from restore_app.models.registry import user_models_dir
    from restore_app.models.user_models import (
        ModelExistsError,
        add_model,
        user_card_path,
        user_model_id,
    )

    entry = KNOWN_MODELS.get(name)
    if entry is None:
        known = ", ".join(sorted(KNOWN_MODELS))
        raise ModelError(f"unknown download '{name}' (known: {known})")
    model_id = user_model_id(entry.file)
    if user_card_path(model_id).exists() and not overwrite:
        raise ModelExistsError(
            f"'{model_id}' is already installed (use --overwrite to fetch it again)"
        )
    source = _source_url(entry, url)
    dest = partial_path(entry)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot write into the model folder {user_models_dir()} "
            f"({exc.strerror or exc})"
        ) from None
    try:
        got = _fetch(
            source,
            dest,
            entry,
            progress=progress,
            on_progress=on_progress,
            cancel=cancel,
        )
        if got != entry.sha256.lower():
            raise ModelError(
                f"{entry.file}: checksum mismatch (expected sha256 "
                f"{entry.sha256[:16]}…, got {got[:16]}…); nothing was kept"
            )
        info = add_model(dest, task=entry.task, name=entry.name, overwrite=overwrite)
    except DownloadCutOff:
        raise  # kept, to resume
    except BaseException:
        discard_partial(entry)  # cancelled, refused or mismatched: nothing kept
        raise
    discard_partial(entry)
    return info
