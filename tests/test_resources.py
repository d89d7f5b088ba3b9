"""Runtime assets are found from the checkout and from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from restore_app import resources

REPO = Path(__file__).resolve().parents[1]


def test_checkout_resources_are_found() -> None:
    assert resources.resources_dir() == REPO / "resources"
    samples = sorted(p.name for p in resources.samples_dir().glob("*.png"))
    assert len(samples) >= 3
    assert (resources.samples_dir() / "LICENSE").is_file()
    icons = resources.app_icon_paths()
    assert [p.suffix for p in icons].count(".png") == len(resources.ICON_SIZES)
    assert icons[-1].suffix == ".svg"


def test_icons_are_real_images_at_their_sizes() -> None:
    from PIL import Image

    for size in resources.ICON_SIZES:
        with Image.open(resources.icons_dir() / f"restore-app-{size}.png") as im:
            assert im.size == (size, size) and im.mode == "RGBA"
            assert im.getextrema()[3][1] == 255  # not blank


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test must not fetch the build backend.
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", str(REPO), "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("restore_app-*.whl")
    return path


def test_wheel_carries_the_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for sample in (REPO / "resources" / "samples").glob("[!.]*"):
        assert f"restore_app/_resources/samples/{sample.name}" in names
    assert "restore_app/_resources/icons/restore-app.svg" in names
    assert "restore_app/resources.py" in names
    # the training code runs from a checkout only
    assert not [n for n in names if n.startswith("restore_app/training/")]
    assert "restore_app/core/grain.py" in names


def test_installed_wheel_finds_its_resources(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index"]
        + ["--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = (
        "import restore_app.resources as r;"
        "print(r.__file__); print(r.resources_dir()); print(len(r.app_icon_paths()));"
        "print(sorted(p.name for p in r.samples_dir().glob('*.png'))[0])"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    module, folder, icons, sample = proc.stdout.split()
    assert Path(module).is_relative_to(target)
    assert Path(folder) == target / "restore_app" / "_resources"
    assert int(icons) == len(resources.ICON_SIZES) + 1
    assert (Path(folder) / "samples" / sample).is_file()
