"""Where a folder's sidecar lives: beside the scans when that folder can be
written, else (a read-only folder, the application's own samples) in the
user's data folder under a name made from the folder's path."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from restore_app.core.naming import SIDECAR_DIRNAME


def _user_data_dir() -> Path:
    override = os.environ.get("RESTORE_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("restore-app", appauthor=False))


def _writable(folder: Path) -> bool:
    target = folder / SIDECAR_DIRNAME
    try:
        target.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".probe-"):
            pass
        return True
    except OSError:
        return False


def _in_app_resources(folder: Path) -> bool:
    from restore_app.resources import resources_dir

    try:
        return folder.is_relative_to(resources_dir().resolve())
    except FileNotFoundError:
        return False


def sidecar_root(folder: str | os.PathLike[str]) -> Path:
    """Where the sidecar of ``folder`` lives: beside the scans, else the data folder.

    The app's own resources count as not writable: a sidecar there would land in
    a source checkout (and from it in a built package) or an installation.
    """
    folder = Path(folder).resolve()
    if not _in_app_resources(folder) and _writable(folder):
        return folder / SIDECAR_DIRNAME
    return data_sidecar_root(folder)


def data_sidecar_root(folder: Path) -> Path:
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:16]
    return _user_data_dir() / "sidecars" / f"{folder.name}-{digest}"
