"""``restore-app batch --engine ray`` on a real local Ray cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import load, photo, save_png

pytest.importorskip("ray")


def test_ray_engine_gives_the_local_engines_pixels_and_records(cli, tmp_path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        save_png(src / name, photo(seed=i))
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    local, spread = tmp_path / "local", tmp_path / "ray"
    common = ("--op", "denoise", "--model", "denoise.nlm")

    here = cli("batch", src, "-o", local, *common)
    there = cli(
        "batch", src, "-o", spread, *common, "--engine", "ray", "--workers", "2"
    )

    assert here.code == there.code == 1, there
    assert "Traceback" not in there.err
    assert "3 done, 0 skipped, 1 failed" in there.out
    assert "broken.png" in there.out
    for name in ("a.png", "b.png", "c.png"):
        assert np.array_equal(load(local / name), load(spread / name))
        ours = json.loads((spread / f"{name}.json").read_text())
        theirs = json.loads((local / f"{name}.json").read_text())
        assert ours["operations"] == theirs["operations"]
    assert not (spread / "broken.png").exists()

    again = cli("batch", src, "-o", spread, *common, "--engine", "ray")
    assert "0 done, 3 skipped, 1 failed" in again.out


def test_cluster_options_need_the_ray_engine(cli, tmp_path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    save_png(src / "a.png", photo(seed=0))

    run = cli("batch", src, "-o", tmp_path / "out", "--op", "denoise", "--workers", "2")

    assert run.code == 2
    assert "--engine ray" in run.err
    assert not (tmp_path / "out" / "a.png").exists()
