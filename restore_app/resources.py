"""Where the runtime assets (samples, icons, built-in weights) live.

In a source checkout (an editable install included) they are the top-level
``resources/`` folder beside the package; an installed wheel carries the same
folder inside the package as ``restore_app/_resources`` (see pyproject's
force-include). The installed location wins, so a wheel never reads a stray
checkout that happens to sit next to it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE_DIR / "_resources", _PACKAGE_DIR.parent / "resources")

APP_ICON_NAME = "restore-app"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The folder holding ``samples/``, ``icons/`` and ``models/``.

    Raises FileNotFoundError when neither an installed nor a checkout copy exists,
    which means a broken installation rather than a user mistake.
    """
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in _CANDIDATES)
    raise FileNotFoundError(f"application resources not found (looked in {tried})")


def resource_path(*parts: str) -> Path:
    """Path of one asset, e.g. ``resource_path("icons", "restore-app.svg")``."""
    return resources_dir().joinpath(*parts)


def samples_dir() -> Path:
    """The bundled sample scans (old photographs with real damage)."""
    return resource_path("samples")


def icons_dir() -> Path:
    return resource_path("icons")


def models_dir() -> Path:
    """Built-in model weights and their cards."""
    return resource_path("models")


def app_icon_paths() -> list[Path]:
    """Every size of the application icon that exists, smallest first, SVG last.

    A window icon built from all of them lets the desktop pick a crisp one for
    each place it is shown (title bar, task switcher, dock).
    """
    folder = icons_dir()
    paths = [folder / f"{APP_ICON_NAME}-{size}.png" for size in ICON_SIZES]
    paths.append(folder / f"{APP_ICON_NAME}.svg")
    return [p for p in paths if p.is_file()]
