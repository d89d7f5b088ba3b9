"""``restore-app batch --engine ray`` on a real local Ray cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import cli_env, load, photo, save_mask, save_png, scratch_mask

try:
    import ray
except ImportError:
    # CI installs the cluster extra: there a missing Ray is a failure, not a skip.
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Ray is not installed", allow_module_level=True)

RECORD_SAME_EXCEPT = {"time", "engine"}


@pytest.fixture(scope="module")
def cluster():
    """One real local Ray cluster for the module, on 127.0.0.1, two CPUs: the
    batches join it with ``--address``."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


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


def test_ray_engine_gives_the_local_engines_outputs_and_records(
    cli, cluster, tmp_path
) -> None:
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
        "batch", src, "-o", spread, *common,
        "--engine", "ray", "--address", cluster, "--workers", "2",
    )  # fmt: skip

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

    # Without --address a Ray of its own is started for the run, and stopped.
    again = cli("batch", src, "-o", spread, *common, "--engine", "ray")
    assert "0 done, 3 skipped, 1 failed" in again.out


def test_a_detect_batch_on_ray(cli, cluster, tmp_path) -> None:
    src = _scans(tmp_path, ("a.png", "b.png"))
    local, spread = tmp_path / "local", tmp_path / "ray"
    common = ("--op", "detect", "--detector", "detect.tophat")

    here = cli("batch", src, "-o", local, *common)
    there = cli(
        "batch", src, "-o", spread, *common, "--engine", "ray", "--address", cluster
    )

    assert here.code == there.code == 0, there.err
    assert "2 done" in there.out
    for name in ("a.png", "b.png"):
        assert np.array_equal(load(local / name), load(spread / name))
        _same_record(local / f"{name}.json", spread / f"{name}.json")


def _busy_workers() -> list[int]:
    """Ray worker processes running a batch image now (Ray titles them by task)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            title = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::_process"):
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_mid_image_loses_nothing(cluster, tmp_path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    for i in range(6):
        save_png(src / f"{i}.png", photo(384, 512, seed=i))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "restore_app", "batch", str(src), "-o", str(out),
           "--op", "denoise", "--model", "denoise.nlm",
           "--engine", "ray", "--address", cluster, "--workers", "2"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=cli_env(), cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and proc.poll() is None and time.monotonic() < deadline:
            busy = _busy_workers()
            if busy:
                killed = busy[0]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        summary, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert killed is not None, "no worker was seen at work"
    assert proc.returncode == 0, summary
    assert "6 done, 0 skipped, 0 failed" in summary
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".png") == [
        f"{i}.png" for i in range(6)
    ]
    assert not [p for p in out.iterdir() if ".part" in p.name]


def test_cluster_options_need_the_ray_engine(cli, tmp_path) -> None:
    src = _scans(tmp_path, ("a.png",))

    run = cli("batch", src, "-o", tmp_path / "out", "--op", "denoise", "--workers", "2")

    assert run.code == 2
    assert "--engine ray" in run.err
    assert not (tmp_path / "out" / "a.png").exists()
