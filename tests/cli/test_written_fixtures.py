"""What release 0.1 wrote still reads, replays and verifies: its sidecar (masks,
damage map, protect layer, changed tiles, operation masks, undo history, an
edit journal never saved), the window's export and a command line output with
their records (``tests/data/written-0.1``, made once by its ``make.py``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from restore_app.core import history_log
from restore_app.core.masks import read_mask
from restore_app.core.sidecar import Sidecar

FIXTURE = Path(__file__).parents[1] / "data" / "written-0.1"
#: where make.py worked: the paths its records name
WRITTEN_AT = "/tmp/restore-fixture"


def _moved(tmp_path: Path) -> Path:
    """The fixture as an archive moved to ``tmp_path``: files copied, the
    records' paths moved with them, the scan's time as it was."""
    for name in ("scans", "out"):
        shutil.copytree(FIXTURE / name, tmp_path / name)
    for record in (tmp_path / "out").glob("*.json"):
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace(WRITTEN_AT, str(tmp_path)), encoding="utf-8")
    state = tmp_path / "scans" / ".restore" / "images" / "scan.png" / "state.json"
    mtime = json.loads(state.read_text())["source_mtime_ns"]
    os.utime(tmp_path / "scans" / "scan.png", ns=(mtime, mtime))
    return tmp_path


def test_the_sidecar_of_release_0_1_loads_with_its_journal(tmp_path) -> None:
    root = _moved(tmp_path)
    car = Sidecar(root / "scans")
    saved = car.load("scan.png", (48, 64, 3), np.dtype(np.uint8))
    assert saved is not None and not car.take_damaged()
    assert saved.state.status == "exported" and saved.journaled
    later = np.zeros((48, 64), bool)
    later[40:44, 40:60] = True
    assert np.array_equal(saved.masks["mask"], later)  # only in the journal
    assert (
        saved.masks["protect"][:, 30:36].all() and saved.masks["protect"].sum() == 288
    )
    assert saved.masks["damage:crack"][5:40, 10:12].all()
    assert saved.masks["repaired"].sum() == 196
    assert saved.tiles and set(saved.op_masks) == {"1"}
    history = history_log.read(car.image_dir("scan.png"))
    texts = [step.text for step in history.steps]
    assert texts[:3] == ["Paint mask", "Protect", "Crack"]
    assert history.index == len(history.steps)
    # A batch takes the mask with the journaled stroke, as the window does.
    assert np.array_equal(
        read_mask(car.saved_mask(root / "scans" / "scan.png"), (48, 64)), later
    )


def test_the_records_of_release_0_1_verify_and_replay_bit_for_bit(
    cli, tmp_path
) -> None:
    _moved(tmp_path)
    for output in ("out/cli.png", "out/scan.restored.png"):
        checked = cli("verify", output)
        assert checked.code == 0, checked.err
        again = cli("replay", f"{output}.json", "-o", f"{output}.again.png")
        assert again.code == 0, again.err
        assert "pixels identical" in again.out
