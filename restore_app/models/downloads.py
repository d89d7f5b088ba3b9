"""Fetching well-known public checkpoints, only ever when a person asks.

Each entry pins the file's SHA-256: the download streams into a hidden folder
inside the model folder, is checked against it, and only then is added like any
checkpoint a person brings (:func:`restore_app.models.user_models.add_model`).
A failed, cancelled or mismatched download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
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


KNOWN_MODELS: dict[str, KnownModel] = {
    "big-lama": KnownModel(
        file="big-lama.pt",
        url="https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
        sha256="344c77bbcb158f17dd143070d1e789f38a66c04202311ae3a258ef66667a9ea9",
        size=205_669_692,
        task="inpaint",
        name="Big LaMa (TorchScript)",
        license="Apache-2.0",
    ),
    "scunet-real-psnr": KnownModel(
        file="scunet_color_real_psnr.pth",
        url="https://github.com/cszn/KAIR/releases/download/v1.0/scunet_color_real_psnr.pth",
        sha256="fa78899ba2caec9d235a900e91d96c689da71c42029230c2028b00f09f809c2e",
        size=71_982_841,
        task="denoise",
        name="SCUNet real-noise PSNR",
        license="Apache-2.0",
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


def _fetch(
    url: str,
    dest: Path,
    entry: KnownModel,
    *,
    progress: bool,
    on_progress: Callable[[int, int], None] | None,
    cancel: CancelToken | None,
) -> str:
    """Stream ``url`` into ``dest``; its SHA-256. Refuses more bytes than expected."""
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    digest = hashlib.sha256()
    try:
        response = urllib.request.urlopen(url, timeout=_TIMEOUT_S)  # noqa: S310
    except urllib.error.HTTPError as exc:
        raise ModelError(f"{url}: download failed: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(f"{url}: download failed: {reason}") from None
    with response:
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else entry.size or 0
        if entry.size is not None and declared and total != entry.size:
            raise ModelError(
                f"{url}: the server offers {total} bytes, {entry.file} has "
                f"{entry.size}; nothing was kept"
            )
        limit = entry.size if entry.size is not None else None
        done = 0
        with (
            open(dest, "wb") as fh,
            tqdm(
                total=total or None,
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
                    chunk = response.read(_CHUNK)
                except OSError as exc:
                    raise ModelError(f"{url}: download interrupted: {exc}") from None
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
    return digest.hexdigest()


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
    folder = user_models_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Hidden, and in the model folder: same file system, never listed.
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=folder))
    except OSError as exc:
        raise ModelError(
            f"cannot write into the model folder {folder} ({exc.strerror or exc})"
        ) from None
    try:
        dest = staging / entry.file
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
        return add_model(dest, task=entry.task, name=entry.name, overwrite=overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
