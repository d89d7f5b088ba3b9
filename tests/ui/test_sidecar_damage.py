"""A damaged sidecar never costs a scan: each file of an image's saved work is
truncated, garbled, wrongly typed, nested too deeply or replaced by a folder;
the folder still opens with every scan and the window says what was set aside."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from ui_helpers import open_and_wait

FILES = ("state.json", "mask.png", "protect.png", "tiles.npz", "repaired.png")


def _damage(path, how: str) -> None:
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: max(1, len(data) // 3)])
    elif how == "garbled":
        data = bytearray(path.read_bytes())
        rng = np.random.default_rng(len(data))
        for i in rng.integers(0, len(data), max(8, len(data) // 10)):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "wrongly typed":
        if path.suffix == ".json":
            state = json.loads(path.read_text())
            state["width"], state["status"] = "wide", ["edited"]
            path.write_text(json.dumps(state))
        else:
            path.write_text('{"not": "an image"}')
    elif how == "nested":
        path.write_text("[" * 100000 + "]" * 100000)
    elif how == "a folder":
        path.unlink()
        path.mkdir()
        (path / "x").write_text("x")


@pytest.fixture(scope="module")
def saved_work(tmp_path_factory, qapp):
    """A folder of scans whose first image has every kind of saved work."""
    from ui_helpers import write_scan

    from restore_app.ui.main_window import MainWindow

    base = tmp_path_factory.mktemp("pristine")
    scans = base / "scans"
    scans.mkdir()
    for i in range(3):
        write_scan(scans / f"scan_{i}.png", seed=i)
    settings = QSettings(str(base / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    w.ask_on_close = False
    w.show()
    w.open_paths([str(scans)])
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    def pump(until, ms=20000):
        loop_end = QTimer()
        loop_end.setSingleShot(True)
        loop_end.start(ms)
        while not until() and loop_end.isActive():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        assert until()

    pump(lambda: w.doc is not None)
    doc = w.doc
    mask = np.zeros(doc.mask.shape, bool)
    mask[40:60, 30:200] = True
    doc.set_mask(mask, "Paint mask")
    w.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    w.run_tool()
    pump(lambda: doc.repaired.any() and not w.jobs.busy)
    mask2 = np.zeros_like(mask)
    mask2[100:120, 50:90] = True
    doc.set_mask(mask2, "Paint mask")
    protect = np.zeros_like(mask)
    protect[:, 150:170] = True
    doc.set_mask(protect, "Protect", "protect")
    w.session.flush()
    w.close()
    image_dir = scans / ".restore" / "images" / "scan_0.png"
    assert all((image_dir / f).exists() for f in FILES)
    return scans


@pytest.mark.parametrize("how", ["truncated", "garbled", "wrongly typed", "nested",
                                 "a folder"])  # fmt: skip
@pytest.mark.parametrize("name", FILES)
def test_every_scan_opens_and_the_damage_is_named(
    qtbot, settings, tmp_path, saved_work, name, how
):
    from restore_app.ui.main_window import MainWindow

    if how == "nested" and name != "state.json":
        pytest.skip("nesting is a JSON damage")
    scans = tmp_path / "scans"
    shutil.copytree(saved_work, scans)
    target = scans / ".restore" / "images" / "scan_0.png" / name
    _damage(target, how)

    w = MainWindow(settings)
    w.ask_on_close = False
    qtbot.addWidget(w)
    w.show()
    doc = open_and_wait(qtbot, w, [scans])
    assert [p.name for p in w.session.paths] == ["scan_0.png", "scan_1.png",
                                                 "scan_2.png"]  # fmt: skip
    assert doc.path.name == "scan_0.png"
    set_aside = sorted(target.parent.glob(name + ".damaged*"))
    message = getattr(w, "last_error", "")
    if how != "garbled":
        assert set_aside, message
    if set_aside:
        assert name + ".damaged" in message and str(scans) in message
    else:
        # Some damage leaves a file that still reads as valid (a garbled byte in
        # a PNG's unused bits): then it is used, and nothing is set aside.
        assert target.exists()
    if name != "state.json":
        # The rest of the entry is still used.
        assert doc.status == "edited"
        if name != "protect.png":
            assert doc.protect[:, 150:170].all()
        if name != "mask.png":
            assert doc.mask[100:120, 50:90].all()
    for i in (1, 2):
        w.show_index(i)
        qtbot.waitUntil(lambda i=i: w.doc.path.name == f"scan_{i}.png", timeout=10000)
    w.close()
