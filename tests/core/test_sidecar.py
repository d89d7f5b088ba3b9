from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from restore_app.core.sidecar import Sidecar
from restore_app.core.sidecar_location import sidecar_root
from restore_app.core.sidecar_state import ImageSnapshot, ImageState


def _scan(folder: Path, name: str = "a.png") -> Path:
    path = folder / name
    path.write_bytes(b"not really an image, the sidecar only stamps it")
    return path


def test_round_trip(tmp_path: Path) -> None:
    src = _scan(tmp_path)
    car = Sidecar(tmp_path)
    size, mtime = car.source_stamp(src)
    mask = np.zeros((90, 130), dtype=bool)
    mask[10:20, 30:80] = True
    repaired = np.zeros_like(mask)
    repaired[50:60, 5:9] = True
    tile = np.full((26, 64, 3), 513, dtype=np.uint16)
    state = ImageState("a.png", size, mtime, 130, 90, "edited", {"tool": "brush"})
    car.save(ImageSnapshot(state, {"mask": mask, "repaired": repaired}, {(1, 0): tile}))
    assert (tmp_path / ".restore" / "images" / "a.png" / "mask.png").exists()

    saved = Sidecar(tmp_path).load("a.png", (90, 130, 3), np.dtype(np.uint16))
    assert saved is not None
    assert np.array_equal(saved.masks["mask"], mask)
    assert np.array_equal(saved.masks["repaired"], repaired)
    assert np.array_equal(saved.tiles[(1, 0)], tile)
    assert saved.state.settings == {"tool": "brush"}
    assert Sidecar(tmp_path).statuses() == {"a.png": "edited"}


def test_empty_mask_removes_file_and_none_keeps_it(tmp_path: Path) -> None:
    src = _scan(tmp_path)
    car = Sidecar(tmp_path)
    size, mtime = car.source_stamp(src)
    state = ImageState("a.png", size, mtime, 10, 10)
    mask = np.ones((10, 10), dtype=bool)
    car.save(ImageSnapshot(state, {"mask": mask}))
    car.save(ImageSnapshot(state))  # no mask: unchanged
    assert car.load("a.png", (10, 10, 1), np.dtype(np.uint8)).masks["mask"].all()
    car.save(ImageSnapshot(state, {"mask": np.zeros((10, 10), dtype=bool)}))
    assert "mask" not in car.load("a.png", (10, 10, 1), np.dtype(np.uint8)).masks


def test_changed_source_ignores_entry(tmp_path: Path) -> None:
    src = _scan(tmp_path)
    car = Sidecar(tmp_path)
    size, mtime = car.source_stamp(src)
    car.save(
        ImageSnapshot(
            ImageState("a.png", size, mtime, 10, 10), {"mask": np.ones((10, 10), bool)}
        )
    )
    src.write_bytes(b"a different scan now")
    assert car.load("a.png", (10, 10, 1), np.dtype(np.uint8)) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_goes_to_data_dir(tmp_path: Path, monkeypatch) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    _scan(scans)
    monkeypatch.setenv("RESTORE_DATA_DIR", str(tmp_path / "data"))
    scans.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        root = sidecar_root(scans)
    finally:
        scans.chmod(0o755)
    assert root.is_relative_to(tmp_path / "data")


def test_app_resources_go_to_data_dir(tmp_path: Path, monkeypatch) -> None:
    import restore_app.resources

    resources = tmp_path / "resources"
    samples = resources / "samples"
    samples.mkdir(parents=True)
    _scan(samples)
    monkeypatch.setattr(restore_app.resources, "resources_dir", lambda: resources)
    monkeypatch.setenv("RESTORE_DATA_DIR", str(tmp_path / "data"))
    root = sidecar_root(samples)
    assert root.is_relative_to(tmp_path / "data")
    assert not (samples / ".restore").exists()
    # A folder of scans elsewhere keeps its sidecar beside the scans.
    scans = tmp_path / "scans"
    scans.mkdir()
    assert sidecar_root(scans) == scans / ".restore"


def test_bundled_samples_get_no_sidecar_beside_them(tmp_path, monkeypatch) -> None:
    from restore_app.resources import resources_dir, samples_dir

    monkeypatch.setenv("RESTORE_DATA_DIR", str(tmp_path / "data"))
    root = sidecar_root(samples_dir())
    assert root.is_relative_to(tmp_path / "data")
    assert not root.is_relative_to(resources_dir())


def test_a_damaged_journal_record_is_skipped_and_reported_once(tmp_path) -> None:
    from restore_app.core import journal

    src = _scan(tmp_path)
    car = Sidecar(tmp_path)
    size, mtime = car.source_stamp(src)
    car.save(ImageSnapshot(ImageState("a.png", size, mtime, 10, 10)))
    folder = car.image_dir("a.png")
    journal.append(folder, 1, "mask", (0, 0, 10, 2), np.ones((2, 10), bool))
    path = folder / "journal.1.bin"
    data = bytearray(path.read_bytes())
    data[journal._HEAD.size + 1] ^= 0x01
    path.write_bytes(bytes(data))
    saved = car.load("a.png", (10, 10, 1), np.dtype(np.uint8))
    assert not saved.masks.get("mask", np.zeros(1, bool)).any()
    (line,) = car.take_damaged()
    assert "journal.1.bin" in line and "1 damaged record skipped" in line
    assert car.take_damaged() == []


def test_a_batch_reads_a_saved_mask_with_its_journaled_strokes(tmp_path) -> None:
    """Strokes painted just before the window was killed live only in the
    journal: the window replays them on opening, and so does a batch with
    --sidecar-masks (it used to read mask.png alone and say "no mask")."""
    from restore_app.core import journal
    from restore_app.core.masks import read_mask

    src = _scan(tmp_path)
    car = Sidecar(tmp_path)
    size, mtime = car.source_stamp(src)
    car.save(ImageSnapshot(ImageState("a.png", size, mtime, 10, 10)))
    folder = car.image_dir("a.png")
    assert car.saved_mask(src) is None
    stroke = np.zeros((3, 10), bool)
    stroke[1] = True
    journal.append(folder, 1, "mask", (0, 4, 10, 7), stroke)
    journal.append(folder, 1, "protect", (0, 0, 2, 10), np.ones((10, 2), bool))
    path = car.saved_mask(src)
    assert path is not None
    expected = np.zeros((10, 10), bool)
    expected[5] = True
    assert np.array_equal(read_mask(path, (10, 10)), expected)
    protect = read_mask(car.saved_mask(src, "protect"), (10, 10))
    assert protect[:, :2].all() and not protect[:, 2:].any()
    # What the window saved is left as it was: the journal stays its to apply.
    assert not (folder / "mask.png").exists() and journal.segments(folder)
