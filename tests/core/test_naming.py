"""Derivative names and folder listings."""

from __future__ import annotations

from pathlib import Path

import pytest

from restore_app.core.errors import ImageReadError
from restore_app.core.naming import SIDECAR_DIRNAME, derivative_path, list_images


def test_derivative_path_beside_source_or_in_out_dir(tmp_path):
    src = tmp_path / "scans" / "Oma 1931.tif"
    assert derivative_path(src, task="inpaint") == src.parent / "Oma 1931.inpaint.tif"
    out = tmp_path / "out"
    assert (
        derivative_path(src, task="denoise", out_dir=out)
        == out / "Oma 1931.denoise.tif"
    )
    assert derivative_path(src, task="deblur", ext="png").name == "Oma 1931.deblur.png"
    assert derivative_path(src, task="deblur", ext=".jpg").suffix == ".jpg"


def test_unwritable_source_formats_become_png():
    assert derivative_path(Path("a.bmp"), task="denoise").name == "a.denoise.png"
    assert derivative_path(Path("b.GIF"), task="denoise").name == "b.denoise.png"
    assert derivative_path(Path("c.JPG"), task="denoise").name == "c.denoise.JPG"


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_list_images_skips_hidden_sidecars_and_other_files(tmp_path):
    wanted = [
        _touch(tmp_path / "a.tif"),
        _touch(tmp_path / "B.JPG"),
        _touch(tmp_path / "c.png"),
    ]
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / ".hidden.png")
    _touch(tmp_path / SIDECAR_DIRNAME / "thumbs" / "a.png")
    deep = _touch(tmp_path / "sub" / "d.webp")
    _touch(tmp_path / ".git" / "e.png")
    (tmp_path / "folder.png").mkdir()

    assert list_images(tmp_path) == sorted(wanted)
    assert list_images(tmp_path, recursive=True) == sorted([*wanted, deep])


def test_list_images_of_a_file_is_an_error(tmp_path):
    with pytest.raises(ImageReadError, match="not a folder"):
        list_images(_touch(tmp_path / "a.png"))
