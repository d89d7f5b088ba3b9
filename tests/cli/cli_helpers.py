"""Running ``restore-app`` in a child process, as a person would, and test images."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Works from a plain checkout as well as an installed package.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])
    )
    env.update(extra)
    return env


def run_cli(cwd: Path, *args: object, timeout: float = 120, **env: str) -> Run:
    """Run ``python -m restore_app *args`` in ``cwd``."""
    proc = subprocess.run(
        [sys.executable, "-m", "restore_app", *map(str, args)],
        cwd=cwd,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def photo(h: int = 96, w: int = 128, channels: int = 3, dtype=np.uint8, seed: int = 0):
    """A smooth synthetic photo ``(H, W, C)`` (C dropped when 1), a little texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = [
        0.5 + 0.4 * np.sin(x / 13 + k) * np.cos(y / 17 - k) for k in range(channels)
    ]
    img = np.stack(base, axis=-1) + rng.normal(0, 0.02, (h, w, channels))
    img = np.clip(img, 0, 1)
    top = np.iinfo(dtype).max
    out = np.round(img * top).astype(dtype)
    return out[..., 0] if channels == 1 else out


def scratch_mask(h: int = 96, w: int = 128) -> np.ndarray:
    """bool (H, W): a thin diagonal scratch and a dust spot."""
    m = np.zeros((h, w), bool)
    for i in range(10, min(h, w) - 10):
        m[i, i : i + 2] = True
    m[20:24, w - 30 : w - 26] = True
    return m


def save_png(path: Path, arr: np.ndarray) -> Path:
    """Write 8- or 16-bit gray/RGB losslessly (cv2 stores 16-bit PNG; BGR order)."""
    import cv2

    data = arr if arr.ndim == 2 else arr[..., ::-1]
    assert cv2.imwrite(str(path), np.ascontiguousarray(data))
    return path


def load(path: Path) -> np.ndarray:
    """Read an output back at its bit depth, RGB order."""
    import cv2

    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        return tifffile.imread(path)
    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert arr is not None, path
    return arr if arr.ndim == 2 else arr[..., ::-1]


def save_mask(path: Path, mask: np.ndarray) -> Path:
    return save_png(path, mask.astype(np.uint8) * 255)
