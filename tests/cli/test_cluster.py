"""``restore-app batch --engine ray`` on a real local Ray cluster."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from cli_helpers import load, photo, save_mask, save_png, scratch_mask

try:
    import ray  # noqa: F401
except ImportError:
    # CI installs the cluster extra: there a missing Ray is a failure, not a skip.
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Ray is not installed", allow_module_level=True)

RECORD_SAME_EXCEPT = {"time", "engine"}


def _scans(tmp_path, names=("a.png", "b.png", "c.png")):
    src = tmp_path / "scans"
    src.mkdir()
    for i, name in enumerate(names):
        save_png(src / name, photo(seed=i))
    return src


def _same_record(here, there) -> None:
    """The same record but for the time, the engine, and where the output is
    (its bytes differ only by the time in its embedded provenance)."""
    ours, theirs = (
        json.loads(p.read_text().replace(str(p.parent), "OUT")) for p in (here, there)
    )
    assert (ours["engine"], theirs["engine"]) == ("local", "ray")
    for record in (ours, theirs):
        del record["output"]["sha256"]
    for key in (set(ours) | set(theirs)) - RECORD_SAME_EXCEPT:
        assert ours.get(key) == theirs.get(key), key


def test_ray_engine_gives_the_local_engines_outputs_and_records(cli, tmp_path) -> None:
    src = _scans(tmp_path)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    masks = tmp_path / "masks"
    masks.mkdir()
    save_mask(masks / "a.png", scratch_mask())  # b and c have none: skipped
    save_mask(masks / "broken.png", scratch_mask())
    local, spread = tmp_path / "local", tmp_path / "ray"
    common = ("--op", "inpaint", "--masks", masks, "--model", "inpaint.telea")

    here = cli("batch", src, "-o", local, *common)
    there = cli(
        "batch", src, "-o", spread, *common, "--engine", "ray", "--workers", "2"
    )

    assert here.code == there.code == 1, there
    assert "Traceback" not in there.err
    assert "1 done, 2 skipped, 1 failed" in here.out
    assert "1 done, 2 skipped, 1 failed" in there.out
    assert "broken.png" in there.out
    assert np.array_equal(load(local / "a.png"), load(spread / "a.png"))
    _same_record(local / "a.png.json", spread / "a.png.json")
    assert sorted(p.name for p in spread.iterdir()) == sorted(
        p.name for p in local.iterdir()
    )

    again = cli("batch", src, "-o", spread, *common, "--engine", "ray")
    assert "0 done, 3 skipped, 1 failed" in again.out


def test_a_detect_batch_on_ray(cli, tmp_path) -> None:
    src = _scans(tmp_path, ("a.png", "b.png"))
    local, spread = tmp_path / "local", tmp_path / "ray"
    common = ("--op", "detect", "--detector", "detect.tophat")

    here = cli("batch", src, "-o", local, *common)
    there = cli("batch", src, "-o", spread, *common, "--engine", "ray")

    assert here.code == there.code == 0, there.err
    assert "2 done" in there.out
    for name in ("a.png", "b.png"):
        assert np.array_equal(load(local / name), load(spread / name))
        _same_record(local / f"{name}.json", spread / f"{name}.json")


def test_cluster_options_need_the_ray_engine(cli, tmp_path) -> None:
    src = _scans(tmp_path, ("a.png",))

    run = cli("batch", src, "-o", tmp_path / "out", "--op", "denoise", "--workers", "2")

    assert run.code == 2
    assert "--engine ray" in run.err
    assert not (tmp_path / "out" / "a.png").exists()
