"""The edit journal: appended records replay over the saved masks, in order; a
record torn by a crash, or one that does not fit the image, is ignored."""

from __future__ import annotations

import numpy as np

from restore_app.core import journal


def test_records_replay_in_order_and_segments_are_discarded(tmp_path) -> None:
    a = np.ones((4, 6), bool)
    journal.append(tmp_path, 1, "mask", (2, 3, 8, 7), a)
    journal.append(tmp_path, 2, "mask", (4, 3, 6, 5), np.zeros((2, 2), bool))
    journal.append(tmp_path, 2, "protect", (0, 0, 3, 1), np.array([[1, 0, 1]], bool))
    saved = np.zeros((10, 12), bool)
    layers, changed, damaged = journal.replay(
        tmp_path, (10, 12), {"mask": saved, "protect": None}
    )
    assert changed and damaged == {}
    expect = np.zeros((10, 12), bool)
    expect[3:7, 2:8] = True
    expect[3:5, 4:6] = False
    assert np.array_equal(layers["mask"], expect)
    assert layers["protect"][0, :3].tolist() == [True, False, True]
    journal.discard(tmp_path, 1)
    assert [seq for seq, _ in journal.segments(tmp_path)] == [2]


def test_torn_and_misfit_records_are_ignored(tmp_path) -> None:
    journal.append(tmp_path, 1, "mask", (0, 0, 2, 2), np.ones((2, 2), bool))
    journal.append(tmp_path, 1, "mask", (5, 5, 9, 9), np.ones((4, 4), bool))
    path = tmp_path / "journal.1.bin"
    path.write_bytes(path.read_bytes()[:-1])  # the kill came mid-write
    layers, _, damaged = journal.replay(tmp_path, (10, 10), {"mask": None})
    assert layers["mask"].sum() == 4
    assert damaged == {}  # a torn last record is a crash, not damage
    journal.append(tmp_path, 2, "mask", (8, 8, 20, 20), np.ones((12, 12), bool))
    layers, _, damaged = journal.replay(tmp_path, (10, 10), {"mask": None})
    assert layers["mask"].sum() == 4  # outside a 10×10 image: not applied
    assert damaged == {tmp_path / "journal.2.bin": 1}


def test_a_flipped_bit_is_caught_by_the_checksum_and_never_applied(tmp_path) -> None:
    journal.append(tmp_path, 1, "mask", (0, 0, 8, 2), np.zeros((2, 8), bool))
    journal.append(tmp_path, 1, "mask", (0, 4, 8, 6), np.ones((2, 8), bool))
    path = tmp_path / "journal.1.bin"
    data = bytearray(path.read_bytes())
    data[journal._HEAD.size] ^= 0b0001_0000  # one bit of the first record's box
    path.write_bytes(bytes(data))
    saved = np.zeros((8, 8), bool)
    layers, changed, damaged = journal.replay(tmp_path, (8, 8), {"mask": saved})
    assert not layers["mask"][0:2].any()  # the damaged record is not applied
    assert layers["mask"][4:6].all()  # the one after it is
    assert changed and damaged == {path: 1}


def test_records_of_the_earlier_release_still_replay(tmp_path) -> None:
    """Earlier releases wrote records without a CRC (magic ``RJ``)."""
    import struct

    bits = np.packbits(np.ones(6, bool)).tobytes()
    old = struct.pack("<2sB4I", b"RJ", 1, 1, 1, 4, 3) + bits
    (tmp_path / "journal.1.bin").write_bytes(old)
    layers, changed, damaged = journal.replay(tmp_path, (5, 5), {"mask": None})
    assert changed and damaged == {}
    assert layers["mask"].sum() == 6 and layers["mask"][1:3, 1:4].all()
