"""Treatment records beside derivatives."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np

import restore_app
from restore_app.core.record import record_path, write_record


def test_record_holds_checksums_operations_and_time(tmp_path):
    source = tmp_path / "master.tif"
    source.write_bytes(b"master bytes")
    mask = tmp_path / "mask.png"
    mask.write_bytes(b"mask bytes")
    output = tmp_path / "master.inpaint.tif"
    output.write_bytes(b"output bytes")
    operations = [
        {
            "task": "inpaint",
            "restorer": "telea",
            "weights_sha256": None,
            "params": {"radius": np.int64(5), "strength": np.float32(0.5)},
            "mask": mask,
        }
    ]

    path = write_record(
        output, source_path=source, operations=operations, warnings=["w1"]
    )

    assert path == record_path(output) == tmp_path / "master.inpaint.tif.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["source"]["sha256"] == hashlib.sha256(b"master bytes").hexdigest()
    assert record["source"]["path"] == str(source)
    assert record["output"]["sha256"] == hashlib.sha256(b"output bytes").hexdigest()
    assert record["output"]["path"] == str(output)
    op = record["operations"][0]
    assert op["restorer"] == "telea" and op["params"] == {"radius": 5, "strength": 0.5}
    assert op["mask"] == str(mask)
    assert op["mask_sha256"] == hashlib.sha256(b"mask bytes").hexdigest()
    assert record["software"]["version"] == restore_app.__version__
    assert record["warnings"] == ["w1"]
    when = dt.datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 60
    assert "mask_sha256" not in operations[0]  # the caller's dict is not changed


def test_record_is_rewritten_with_its_output(tmp_path):
    output = tmp_path / "a.png"
    output.write_bytes(b"1")
    write_record(output, source_path=None, operations=[])
    output.write_bytes(b"2")
    path = write_record(output, source_path=None, operations=[])
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["output"]["sha256"] == hashlib.sha256(b"2").hexdigest()
    assert record["source"] == {"path": None, "sha256": None}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.png.json"]


def test_a_record_names_the_source_as_it_was_read(tmp_path) -> None:
    """A source replaced on disk after it was read: the derivative is refused
    rather than recorded with the new file's SHA-256."""
    import os

    import pytest
    from PIL import Image

    from restore_app.core.atomic import sha256_file
    from restore_app.core.derivative import write_derivative
    from restore_app.core.identity import SourceChangedError
    from restore_app.core.image import read_image

    src = tmp_path / "scan.png"
    Image.fromarray(np.full((20, 30, 3), 100, np.uint8)).save(src)
    first = sha256_file(src)
    doc = read_image(src, identify=True)
    assert doc.identity is not None and doc.identity.sha256 == first
    write_derivative(doc, tmp_path / "a.png", source=src, operations=[])
    record = json.loads((tmp_path / "a.png.json").read_text())
    assert record["source"]["sha256"] == first

    Image.fromarray(np.full((20, 31, 3), 200, np.uint8)).save(src)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(SourceChangedError, match="changed on disk"):
        write_derivative(doc, tmp_path / "b.png", source=src, operations=[])
    assert not (tmp_path / "b.png").exists()


def test_a_record_is_written_and_read_back_as_one_typed_thing(tmp_path) -> None:
    import json

    import pytest

    from restore_app.core.record import RecordError, read_record, write_record

    out = tmp_path / "out.png"
    out.write_bytes(b"pixels")
    src = tmp_path / "scan.png"
    src.write_bytes(b"scan")
    path = write_record(
        out,
        source_path=src,
        operations=[{"task": "denoise", "restorer": "denoise.nlm"}],
        masks=[{"name": "protect", "path": str(tmp_path / "p.png"), "sha256": "ab"}],
        about={"object_id": "INV-3", "operator": "D. Keeper"},
    )
    record = read_record(path)
    assert record.output.size == 6 and record.source.size == 4
    assert record.operations[0]["restorer"] == "denoise.nlm"
    assert record.masks[0].name == "protect" and record.engine == "local"
    assert record.about() == {
        "object_id": "INV-3",
        "operator": "D. Keeper",
        "purpose": None,
    }
    assert record.to_dict() == json.loads(path.read_text())

    # A version 1 record (no people, no sizes, no masks) still reads.
    old = tmp_path / "old.json"
    old.write_text(
        json.dumps(
            {
                "format_version": 1,
                "source": {"path": str(src), "sha256": "cd"},
                "output": {"path": str(out), "sha256": "ef"},
                "operations": [{"task": "inpaint"}],
            }
        )
    )
    first = read_record(old)
    assert first.format_version == 1 and first.output.size is None
    assert first.masks == [] and first.operator is None

    for text in ("[]", '{"operations": 3}', "{", '{"operations": [], "masks": [1]}'):
        old.write_text(text)
        with pytest.raises(RecordError) as err:
            read_record(old)
        assert "\n" not in str(err.value)
