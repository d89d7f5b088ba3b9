"""Atomic writes: a failure leaves the old file and no temporary behind."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import tifffile

from restore_app.core import png_io, tiff_io
from restore_app.core.atomic import atomic_output, atomic_write_bytes, sha256_file
from restore_app.core.errors import ImageWriteError, OutputExistsError
from restore_app.core.image import ImageDoc, read_image, write_image


def _doc(value: int = 1000) -> ImageDoc:
    return ImageDoc(np.full((32, 32, 3), value, np.uint16), None)


def test_atomic_write_bytes_replaces_content(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    with pytest.raises(OutputExistsError):
        atomic_write_bytes(target, b"three", overwrite=False)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_failure_inside_atomic_output_keeps_old_file(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png"
        assert tmp.name.startswith(".")
        tmp.write_bytes(b"half of the new")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


@pytest.mark.parametrize(
    ("ext", "module", "name"),
    [(".png", png_io, "encode_png"), (".tif", tiff_io.tifffile, "imwrite")],
)
def test_encoder_failing_mid_write_keeps_old_image(
    tmp_path, monkeypatch, ext, module, name
):
    target = tmp_path / f"out{ext}"
    write_image(_doc(1000), target)
    before = target.read_bytes()
    real = getattr(module, name)

    def failing(*args, **kwargs):
        if name == "imwrite":
            # Write a real partial file first, as a crash mid-write would.
            real(*args, **kwargs)
            with open(args[0], "r+b") as fh:
                fh.truncate(100)
        else:
            real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, name, failing)
    with pytest.raises(ImageWriteError, match="No space left") as info:
        write_image(_doc(2000), target, overwrite=True)
    assert "\n" not in str(info.value)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    monkeypatch.undo()
    np.testing.assert_array_equal(read_image(target).pixels, _doc(1000).pixels)


def test_missing_folder_is_a_write_error(tmp_path):
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_image(_doc(), tmp_path / "nope" / "a.png")


def test_target_that_is_a_folder(tmp_path):
    (tmp_path / "a.tif").mkdir()
    with pytest.raises(ImageWriteError, match="folder"):
        write_image(_doc(), tmp_path / "a.tif", overwrite=True)


def test_sha256_file(tmp_path):
    data = np.random.default_rng(0).bytes(3_000_000)
    (tmp_path / "x").write_bytes(data)
    assert sha256_file(tmp_path / "x") == hashlib.sha256(data).hexdigest()


def test_written_tiff_is_deflate(tmp_path):
    write_image(_doc(), tmp_path / "a.tiff")
    with tifffile.TiffFile(tmp_path / "a.tiff") as tif:
        assert tif.pages.first.compression == 8  # Adobe Deflate


def test_outputs_get_the_umask_mode_not_a_private_one(tmp_path) -> None:
    import os
    import stat

    from restore_app.core.atomic import atomic_write_bytes
    from restore_app.core.sidecar import Sidecar
    from restore_app.core.sidecar_state import ImageSnapshot, ImageState

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "out.bin", b"x")
        assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o644
        (tmp_path / "a.png").write_bytes(b"")
        Sidecar(tmp_path).save(ImageSnapshot(ImageState("a.png", 0, 0, 1, 1)))
        state = tmp_path / ".restore" / "images" / "a.png" / "state.json"
        assert stat.S_IMODE(state.stat().st_mode) == 0o644
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "group.bin", b"x")
        assert stat.S_IMODE((tmp_path / "group.bin").stat().st_mode) == 0o640
    finally:
        os.umask(old)
